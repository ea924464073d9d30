import { describe, expect, it } from "vitest";
import type { Slot } from "@wbslots/domain";
import { accountOf, kindOf, sourceOf, tokenTypeOf } from "./credentials";
import { parseSourceOffKey, slotKey, workerKeys } from "./keys";
import { refreshPeriodMs } from "./monitor";
import { packSnapshot, unpackSnapshot } from "./snapshots";

const slot = (o: Partial<Slot>): Slot => ({ warehouseId: 507, warehouseName: "Коледино", date: "2026-12-01", boxTypeId: 2, coefficient: 0, allowUnload: true, ...o });

describe("snapshot packing", () => {
  it.each([
    ["open free slot kept", slot({}), 1],
    ["paid slot kept", slot({ coefficient: 5 }), 1],
    ["closed (−1) dropped", slot({ coefficient: -1 }), 0],
    ["no unloading dropped", slot({ allowUnload: false }), 0],
  ])("%s", (_name, input, expected) => {
    const view = unpackSnapshot(packSnapshot(42, [input]));
    expect(view?.size).toBe(expected);
    expect(view?.fetchedAt).toBe(42);
    expect(view?.version).toBe("42");
  });

  it("indexes by warehouse and round-trips the matching fields", () => {
    const view = unpackSnapshot(packSnapshot(1, [slot({}), slot({ warehouseId: 117501, boxTypeId: 5, coefficient: 2 }), slot({ date: "2026-12-02" })]));
    expect(view?.byWarehouse.get(507)).toHaveLength(2);
    expect(view?.byWarehouse.get(117501)?.[0]).toMatchObject({ boxTypeId: 5, coefficient: 2, allowUnload: true, date: "2026-12-01" });
  });

  it.each([["not json"], ['{"fetchedAt":"x","slots":[]}'], ["null"], ['{"fetchedAt":1}']])("refuses %s", (text) => {
    expect(unpackSnapshot(text)).toBeNull();
  });
});

describe("keys and credentials", () => {
  const keys = workerKeys("p");
  it.each([
    [keys.sourceOff("official", "abc-1"), { source: "official", account: "abc-1" }],
    [keys.sourceOff("portal", "x:y"), { source: "portal", account: "x:y" }],
    [keys.sourceOffUsers("official", "abc"), null],
    ["p:wk:srcoff:other:abc", null],
    ["q:wk:srcoff:official:abc", null],
    ["p:wk:srcoff:official:", null],
  ])("parseSourceOffKey(%s)", (key, expected) => {
    expect(parseSourceOffKey(keys.root, key)).toEqual(expected);
  });

  it.each([
    [{ kind: "OFFICIAL_TOKEN" as const, sellerId: "s", supplierId: "p" }, "s", "official"],
    [{ kind: "PORTAL_SESSION" as const, sellerId: "s", supplierId: "p" }, "p", "portal"],
    [{ kind: "OFFICIAL_TOKEN" as const, sellerId: null, supplierId: "p" }, null, "official"],
  ])("account and source of %j", (facts, account, source) => {
    expect(accountOf(facts)).toBe(account);
    expect(sourceOf(facts.kind)).toBe(source);
    expect(kindOf(sourceOf(facts.kind))).toBe(facts.kind);
  });

  it.each([
    ["official", "personal", 10_000],
    ["official", "service", 10_000],
    ["official", "base", 3_600_000],
    ["official", null, 10_000],
    ["official", "weird", 10_000],
    ["portal", null, 1_100],
  ] as const)("refresh period of %s/%s is %i ms", (source, tokenType, ms) => {
    expect(refreshPeriodMs(source, { tokenType })).toBe(ms);
    expect(tokenTypeOf({ tokenType }) === "base").toBe(tokenType === "base");
  });

  it("slot keys identify warehouse, date and box", () => {
    expect(slotKey({ warehouseId: 507, date: "2026-12-01", boxTypeId: 5 })).toBe("507:2026-12-01:5");
  });
});
