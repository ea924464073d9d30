/**
 * Trial and paid catches. A "catch" is one booked supply; the user first spends free
 * trial catches (TRIAL_BOOKINGS, default 2), then catches bought in packages for Telegram Stars.
 */

/** What pays for one booking. */
export type ChargeSource = "TRIAL" | "PAID";

/** Catches a user still has. Negative or fractional values are treated as 0 / floored. */
export interface CatchBalance {
  readonly trialBookings: number;
  readonly paidBookings: number;
}

/** A package of catches sold for Telegram Stars (XTR). */
export interface PlanOffer {
  /** Stable id, safe for callback data and invoice payloads ([a-z0-9_]). */
  readonly id: string;
  readonly bookings: number;
  readonly priceStars: number;
}

/** Example package ladder (tests, docs). Production sells what PLAN_PACKAGE_BOOKINGS / PLAN_PRICE_STARS configure. */
export const PLAN_OFFERS: readonly PlanOffer[] = [
  { id: "p1", bookings: 1, priceStars: 75 },
  { id: "p5", bookings: 5, priceStars: 300 },
  { id: "p20", bookings: 20, priceStars: 1000 },
];

function count(n: number): number {
  return Number.isFinite(n) && n > 0 ? Math.floor(n) : 0;
}

/**
 * Which balance pays for the next booking: trial first, then paid.
 * @returns null when nothing is left (the task must not book)
 */
export function chooseChargeSource(balance: CatchBalance): ChargeSource | null {
  if (count(balance.trialBookings) > 0) return "TRIAL";
  if (count(balance.paidBookings) > 0) return "PAID";
  return null;
}

/**
 * Total catches left (trial + paid).
 */
export function catchesLeft(balance: CatchBalance): number {
  return count(balance.trialBookings) + count(balance.paidBookings);
}

/**
 * Whether the user can still book anything.
 */
export function canBook(balance: CatchBalance): boolean {
  return chooseChargeSource(balance) !== null;
}

/**
 * The balance after one booking is charged to `source` (never below 0).
 */
export function applyCharge(balance: CatchBalance, source: ChargeSource): CatchBalance {
  const trial = count(balance.trialBookings);
  const paid = count(balance.paidBookings);
  return source === "TRIAL"
    ? { trialBookings: Math.max(0, trial - 1), paidBookings: paid }
    : { trialBookings: trial, paidBookings: Math.max(0, paid - 1) };
}

/**
 * The balance after buying a package.
 */
export function applyPurchase(balance: CatchBalance, offer: PlanOffer): CatchBalance {
  return { trialBookings: count(balance.trialBookings), paidBookings: count(balance.paidBookings) + count(offer.bookings) };
}

/**
 * Finds an offer by id.
 * @returns the offer, or undefined for an unknown id
 */
export function findOffer(id: string, offers: readonly PlanOffer[]): PlanOffer | undefined {
  return offers.find((o) => o.id === id);
}

/**
 * Stars per catch, rounded to a whole star.
 */
export function pricePerBooking(offer: PlanOffer): number {
  return offer.bookings > 0 ? Math.round(offer.priceStars / offer.bookings) : 0;
}
