import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const FIXTURES = fileURLToPath(new URL("../fixtures", import.meta.url));
import { describe, expect, it } from "vitest";
import { officialToSlots, portalToSlots } from "./normalize";
import { coefficientsSchema, portalReportSchema } from "./schemas";
import { decodeWbToken, checkOfficialCredential } from "./token";
import { WbTokenInvalid } from "./errors";
import type { OfficialClient } from "./official";

const fakeJwt = (payload: Record<string, unknown>): string =>
  [Buffer.from('{"alg":"ES256"}').toString("base64url"), Buffer.from(JSON.stringify(payload)).toString("base64url"), "c2ln"].join(".");

describe("normalizers", () => {
  it("official rows (real Sept-2024 capture): QR rows dropped, dates as YYYY-MM-DD", () => {
    const rows = coefficientsSchema.parse(JSON.parse(readFileSync(`${FIXTURES}/coefficients-sample-one-day.json`, "utf8")));
    const slots = officialToSlots(rows);
    expect(slots.length).toBe(rows.filter((r) => r.boxTypeID !== undefined && [2, 5, 6].includes(r.boxTypeID)).length);
    expect(slots.every((s) => s.date === "2024-09-26")).toBe(true);
    const doc = officialToSlots(coefficientsSchema.parse(JSON.parse(readFileSync(`${FIXTURES}/coefficients-doc-example.json`, "utf8"))));
    expect(doc).toEqual([{ warehouseId: 217081, warehouseName: "Сц Брянск 2", date: "2024-04-11", boxTypeId: 6, coefficient: -1, allowUnload: false }]);
  });

  it("portal rows (real 2024 capture): acceptanceType 6→2, 4→5, 5→6", () => {
    const raw = JSON.parse(readFileSync(`${FIXTURES}/acceptanceCoefficientsReport-response-2024-04-03.json`, "utf8")) as { result: unknown };
    const report = portalReportSchema.parse(raw.result).report;
    const slots = portalToSlots(report);
    expect(slots).toHaveLength(report.length);
    const kol = slots.filter((s) => s.warehouseId === 507 && s.date === "2024-04-03");
    expect(kol.map((s) => [s.boxTypeId, s.coefficient])).toEqual([[5, 4], [6, 0], [2, 4]]);
  });
});

describe("decodeWbToken / checkOfficialCredential", () => {
  const exp = Math.floor(Date.UTC(2027, 4, 12, 12) / 1000);
  it("decodes type, seller, Supplies bit, expiry", () => {
    const t = decodeWbToken(fakeJwt({ acc: 3, sid: "seller-1", s: 2 ** 10 + 2 ** 1, exp, for: "self", t: false }), Date.UTC(2026, 0, 1));
    expect(t).toMatchObject({ tokenType: "personal", sellerId: "seller-1", suppliesGranted: true, readOnly: false, categories: ["content", "supplies"] });
    expect(t.expiresAt.toISOString()).toBe("2027-05-12T12:00:00.000Z");
  });
  it("throws typed errors for non-JWT and expired", () => {
    expect(() => decodeWbToken("hello")).toThrow(WbTokenInvalid);
    const expired = (() => {
      try {
        decodeWbToken(fakeJwt({ acc: 3, sid: "x", s: 1024, exp: 1 }));
      } catch (e) {
        return e as WbTokenInvalid;
      }
      return null;
    })();
    expect(expired?.reason).toBe("expired");
  });
  it("verdicts: summary in Russian; no Supplies → precise reason", async () => {
    const official = { ping: async () => ({ TS: "x", Status: "OK" }) } as unknown as OfficialClient;
    const ok = await checkOfficialCredential({ official }, fakeJwt({ acc: 3, sid: "s1", s: 1024, exp }), Date.UTC(2026, 0, 1));
    expect(ok).toMatchObject({ ok: true, summary: "Персональный токен · Поставки · до 12.05.2027" });
    const noScope = await checkOfficialCredential({ official }, fakeJwt({ acc: 4, sid: "s1", s: 2, exp }), Date.UTC(2026, 0, 1));
    expect(noScope).toMatchObject({ ok: false, code: "no_supplies_scope" });
    expect(await checkOfficialCredential({ official }, "nope")).toMatchObject({ ok: false, code: "malformed" });
  });
});
