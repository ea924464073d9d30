/**
 * WB's published request limits and the refresh intervals derived from them.
 * A token bucket per (seller account, token type, method): capacity `burst`, one
 * token back every `intervalMs`. Official numbers come from WB's specs
 * (01-general, 07-orders-fbw, 10-tariffs); portal numbers are NOT published by
 * WB and are our inference (README).
 */

/** WB token types (`acc` claim 1..4). */
export type TokenType = "base" | "test" | "personal" | "service";

/** One token bucket. */
export interface BucketSpec {
  readonly intervalMs: number;
  readonly burst: number;
}

/** Official logical methods (same names as the sandbox request log). */
export type OfficialMethod = "ping" | "seller-info" | "coefficients" | "warehouses" | "options" | "supplies" | "supply" | "supply/goods" | "supply/package";

/** Portal logical methods. */
export type PortalMethod =
  | "acceptanceCoefficientsReport"
  | "getWarehouseFilterItems"
  | "draft/create"
  | "draft/UpdateDraftGoods"
  | "supply/create"
  | "plan/add"
  | "transfer/AvailableLimits"
  | "transfer/list"
  | "transfer/order"
  | "auth/token";

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;
const b = (intervalMs: number, burst: number): BucketSpec => ({ intervalMs, burst });

const OFFICIAL_FULL: Record<OfficialMethod, BucketSpec> = {
  ping: b(10 * SEC, 3),
  "seller-info": b(MIN, 10),
  coefficients: b(10 * SEC, 6),
  warehouses: b(10 * SEC, 6),
  options: b(10 * SEC, 6),
  supplies: b(2 * SEC, 10),
  supply: b(2 * SEC, 10),
  "supply/goods": b(2 * SEC, 10),
  "supply/package": b(2 * SEC, 10),
};

const OFFICIAL_BASE: Record<OfficialMethod, BucketSpec> = {
  ping: b(10 * SEC, 3),
  "seller-info": b(24 * HOUR, 1),
  coefficients: b(HOUR, 1),
  warehouses: b(12 * HOUR, 1),
  options: b(30 * MIN, 1),
  supplies: b(30 * MIN, 1),
  supply: b(30 * MIN, 1),
  "supply/goods": b(30 * MIN, 1),
  "supply/package": b(30 * MIN, 1),
};

/** Portal limits per supplier — INFERENCE (WB publishes none). */
export const PORTAL_LIMITS: Readonly<Record<PortalMethod, BucketSpec>> = {
  acceptanceCoefficientsReport: b(SEC, 3),
  getWarehouseFilterItems: b(SEC, 3),
  "draft/create": b(6 * SEC, 5),
  "draft/UpdateDraftGoods": b(6 * SEC, 5),
  "supply/create": b(6 * SEC, 5),
  "plan/add": b(6 * SEC, 5),
  "transfer/AvailableLimits": b(2 * SEC, 5),
  "transfer/list": b(2 * SEC, 5),
  "transfer/order": b(6 * SEC, 5),
  "auth/token": b(10 * SEC, 3),
};

/**
 * WB's bucket for an official method and token type.
 * @returns interval and burst (Test/Personal/Service share the full limits)
 */
export function officialLimit(method: OfficialMethod, tokenType: TokenType): BucketSpec {
  return (tokenType === "base" ? OFFICIAL_BASE : OFFICIAL_FULL)[method];
}

/**
 * How often the portal report is re-read per supplier (ms). Inference (WB
 * publishes no portal limits): the report group allows ~1 request/s with a
 * burst of 3; reading every 1.1 s keeps ~9 % of it (and the burst) for the
 * other calls of that group, e.g. checking a newly added session.
 */
export const PORTAL_REPORT_REFRESH_MS = 1100;

/**
 * The real refresh interval of a slot snapshot a credential allows: show it to
 * the user, never fake 1 s.
 * @param source `official` coefficients or the `portal` report
 * @param tokenType the official token type (ignored for the portal)
 * @returns 10 000 ms for Personal/Service/Test, 3 600 000 ms for Base, 1 100 ms for the portal
 */
export function refreshIntervalMs(source: "official" | "portal", tokenType?: TokenType): number {
  if (source === "portal") return PORTAL_REPORT_REFRESH_MS;
  return officialLimit("coefficients", tokenType ?? "personal").intervalMs;
}
