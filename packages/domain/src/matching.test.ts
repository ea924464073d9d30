import { describe, expect, it } from "vitest";
import { bestMatch, compareSlots, findMatches, isBookable, isSlotOpen, type TaskFilter } from "./matching";
import type { Slot } from "./slot";

const filter: TaskFilter = {
  warehouseIds: [507, 117501],
  dateFrom: "2026-12-05",
  dateTo: "2026-12-10",
  boxTypeId: 2,
  maxCoefficient: 3,
};

function slot(over: Partial<Slot> = {}): Slot {
  return { warehouseId: 507, warehouseName: "Коледино", date: "2026-12-07", boxTypeId: 2, coefficient: 1, allowUnload: true, ...over };
}

describe("isSlotOpen", () => {
  it.each<[Partial<Slot>, boolean]>([
    [{}, true],
    [{ coefficient: 0 }, true],
    [{ coefficient: -1 }, false],
    [{ coefficient: -1, allowUnload: true }, false],
    [{ allowUnload: false }, false],
    [{ coefficient: Number.NaN }, false],
  ])("%j → %s", (over, open) => {
    expect(isSlotOpen(slot(over))).toBe(open);
  });
});

describe("isBookable", () => {
  it.each<[string, Partial<Slot>, boolean]>([
    ["typical", {}, true],
    ["coefficient 0 (free)", { coefficient: 0 }, true],
    ["coefficient −1 closed", { coefficient: -1 }, false],
    ["allowUnload false", { allowUnload: false }, false],
    ["allowUnload false with x0", { allowUnload: false, coefficient: 0 }, false],
    ["coefficient = max", { coefficient: 3 }, true],
    ["coefficient > max", { coefficient: 4 }, false],
    ["first day of range", { date: "2026-12-05" }, true],
    ["last day of range", { date: "2026-12-10" }, true],
    ["day before range", { date: "2026-12-04" }, false],
    ["day after range", { date: "2026-12-11" }, false],
    ["second warehouse", { warehouseId: 117501 }, true],
    ["other warehouse", { warehouseId: 120762 }, false],
    ["box type 5", { boxTypeId: 5 }, false],
    ["box type 6", { boxTypeId: 6 }, false],
  ])("%s", (_name, over, ok) => {
    expect(isBookable(slot(over), filter)).toBe(ok);
  });

  it.each<[string, Partial<TaskFilter>, Partial<Slot>, boolean]>([
    ["max 0 accepts x0", { maxCoefficient: 0 }, { coefficient: 0 }, true],
    ["max 0 refuses x1", { maxCoefficient: 0 }, { coefficient: 1 }, false],
    ["max 0 refuses −1", { maxCoefficient: 0 }, { coefficient: -1 }, false],
    ["no warehouses matches nothing", { warehouseIds: [] }, {}, false],
    ["single-day range", { dateFrom: "2026-12-07", dateTo: "2026-12-07" }, {}, true],
    ["monopallets filter", { boxTypeId: 5 }, { boxTypeId: 5 }, true],
  ])("%s", (_name, f, over, ok) => {
    expect(isBookable(slot(over), { ...filter, ...f })).toBe(ok);
  });
});

describe("findMatches", () => {
  it("returns bookable slots best first: coefficient, then date, then user's warehouse order", () => {
    const slots: Slot[] = [
      slot({ warehouseId: 507, date: "2026-12-09", coefficient: 2 }),
      slot({ warehouseId: 507, date: "2026-12-08", coefficient: 0 }),
      slot({ warehouseId: 507, date: "2026-12-06", coefficient: 1 }),
      slot({ warehouseId: 117501, date: "2026-12-06", coefficient: 0, warehouseName: "Подольск" }),
      slot({ warehouseId: 117501, date: "2026-12-08", coefficient: 0, warehouseName: "Подольск" }),
      slot({ warehouseId: 507, date: "2026-12-06", coefficient: -1 }),
      slot({ warehouseId: 507, date: "2026-12-05", coefficient: 0, allowUnload: false }),
      slot({ warehouseId: 120762, date: "2026-12-05", coefficient: 0 }),
      slot({ warehouseId: 507, date: "2026-12-05", coefficient: 0, boxTypeId: 5 }),
      slot({ warehouseId: 507, date: "2026-12-05", coefficient: 5 }),
    ];
    const copy = [...slots];
    const got = findMatches(filter, slots).map((s) => `${s.warehouseId}/${s.date}/x${s.coefficient}`);
    expect(got).toEqual([
      "117501/2026-12-06/x0",
      "507/2026-12-08/x0",
      "117501/2026-12-08/x0",
      "507/2026-12-06/x1",
      "507/2026-12-09/x2",
    ]);
    expect(slots).toEqual(copy);
    expect(bestMatch(filter, slots)?.warehouseId).toBe(117501);
  });

  it("user's order breaks ties (117501 listed first)", () => {
    const slots = [slot({ warehouseId: 507, coefficient: 0 }), slot({ warehouseId: 117501, coefficient: 0 })];
    expect(findMatches({ ...filter, warehouseIds: [117501, 507] }, slots).map((s) => s.warehouseId)).toEqual([117501, 507]);
    expect(findMatches(filter, slots).map((s) => s.warehouseId)).toEqual([507, 117501]);
  });

  it("empty input and no match", () => {
    expect(findMatches(filter, [])).toEqual([]);
    expect(bestMatch(filter, [slot({ coefficient: -1 })])).toBeNull();
  });

  it("compareSlots falls back to warehouse id", () => {
    expect(compareSlots(slot({ warehouseId: 1 }), slot({ warehouseId: 2 }))).toBeLessThan(0);
    expect(compareSlots(slot(), slot())).toBe(0);
  });
});
