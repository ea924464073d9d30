import { describe, expect, it } from "vitest";
import {
  PLAN_OFFERS,
  applyCharge,
  applyPurchase,
  canBook,
  catchesLeft,
  chooseChargeSource,
  findOffer,
  pricePerBooking,
  type CatchBalance,
  type ChargeSource,
} from "./plan";

describe("chooseChargeSource / catchesLeft / canBook", () => {
  it.each<[CatchBalance, ChargeSource | null, number]>([
    [{ trialBookings: 2, paidBookings: 0 }, "TRIAL", 2],
    [{ trialBookings: 1, paidBookings: 5 }, "TRIAL", 6],
    [{ trialBookings: 0, paidBookings: 5 }, "PAID", 5],
    [{ trialBookings: 0, paidBookings: 1 }, "PAID", 1],
    [{ trialBookings: 0, paidBookings: 0 }, null, 0],
    [{ trialBookings: -3, paidBookings: 0 }, null, 0],
    [{ trialBookings: -1, paidBookings: 2 }, "PAID", 2],
    [{ trialBookings: Number.NaN, paidBookings: Number.POSITIVE_INFINITY }, null, 0],
    [{ trialBookings: 0.5, paidBookings: 0 }, null, 0],
  ])("%j → %s, %i left", (balance, source, left) => {
    expect(chooseChargeSource(balance)).toBe(source);
    expect(catchesLeft(balance)).toBe(left);
    expect(canBook(balance)).toBe(source !== null);
  });
});

describe("applyCharge / applyPurchase", () => {
  it.each<[CatchBalance, ChargeSource, CatchBalance]>([
    [{ trialBookings: 2, paidBookings: 3 }, "TRIAL", { trialBookings: 1, paidBookings: 3 }],
    [{ trialBookings: 0, paidBookings: 3 }, "PAID", { trialBookings: 0, paidBookings: 2 }],
    [{ trialBookings: 0, paidBookings: 0 }, "PAID", { trialBookings: 0, paidBookings: 0 }],
  ])("%j charged to %s", (b, s, expected) => {
    expect(applyCharge(b, s)).toEqual(expected);
  });

  it("spends trial first, then paid, then stops", () => {
    let b: CatchBalance = { trialBookings: 2, paidBookings: 1 };
    const sources: (ChargeSource | null)[] = [];
    for (let i = 0; i < 4; i++) {
      const s = chooseChargeSource(b);
      sources.push(s);
      if (s) b = applyCharge(b, s);
    }
    expect(sources).toEqual(["TRIAL", "TRIAL", "PAID", null]);
  });

  it("purchase adds the package", () => {
    const offer = PLAN_OFFERS[1];
    if (!offer) throw new Error("no offer");
    expect(applyPurchase({ trialBookings: 1, paidBookings: 2 }, offer)).toEqual({ trialBookings: 1, paidBookings: 2 + offer.bookings });
  });
});

describe("offers", () => {
  it("are sane: unique safe ids, positive, cheaper per catch in bigger packages", () => {
    const ids = PLAN_OFFERS.map((o) => o.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const o of PLAN_OFFERS) {
      expect(o.id).toMatch(/^[a-z0-9_]+$/);
      expect(Number.isInteger(o.priceStars) && o.priceStars > 0).toBe(true);
      expect(Number.isInteger(o.bookings) && o.bookings > 0).toBe(true);
    }
    const per = PLAN_OFFERS.map(pricePerBooking);
    expect([...per].sort((a, b) => b - a)).toEqual(per);
  });
  it.each([
    ["p5", 5],
    ["nope", undefined],
  ])("findOffer(%s)", (id, bookings) => {
    expect(findOffer(id, PLAN_OFFERS)?.bookings).toBe(bookings);
  });
  it("pricePerBooking", () => {
    expect(pricePerBooking({ id: "x", bookings: 4, priceStars: 250 })).toBe(63);
    expect(pricePerBooking({ id: "x", bookings: 0, priceStars: 250 })).toBe(0);
  });
});
