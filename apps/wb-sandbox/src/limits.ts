/**
 * WB's published request limits (token bucket per seller account, token type and
 * method) and the sandbox's in-memory bucket. Numbers from the official specs
 * (01-general, 07-orders-fbw, 10-tariffs). The portal numbers are NOT published by
 * WB: they are our inference, documented in README.md.
 */
import type { TokenTypeName } from "./jwt";

/** One bucket: capacity `burst`, one token back every `intervalMs`. */
export interface BucketSpec {
  readonly intervalMs: number;
  readonly burst: number;
}

/** Logical method names (also the `method` of the request log). */
export const OFFICIAL_METHODS = [
  "ping",
  "seller-info",
  "coefficients",
  "warehouses",
  "options",
  "supplies",
  "supply",
  "supply/goods",
  "supply/package",
] as const;

/** Portal JSON-RPC logical method names. */
export const PORTAL_METHODS = [
  "acceptanceCoefficientsReport",
  "getAcceptanceCosts",
  "getWarehouseFilterItems",
  "draft/create",
  "draft/UpdateDraftGoods",
  "supply/create",
  "plan/add",
  "transfer/AvailableLimits",
  "transfer/list",
  "transfer/order",
  "auth/token",
] as const;

/** An official method name. */
export type OfficialMethod = (typeof OFFICIAL_METHODS)[number];
/** A portal method name. */
export type PortalMethod = (typeof PORTAL_METHODS)[number];
/** Any logical method the sandbox serves. */
export type MethodName = OfficialMethod | PortalMethod;

const SEC = 1000;
const MIN = 60 * SEC;
const HOUR = 60 * MIN;

const perMinute = (intervalMs: number, burst: number): BucketSpec => ({ intervalMs, burst });

/** Official limits for Personal, Service and Test tokens (Base-with-secret is the same). */
const OFFICIAL_FULL: Record<OfficialMethod, BucketSpec> = {
  ping: perMinute(10 * SEC, 3),
  "seller-info": perMinute(MIN, 10),
  coefficients: perMinute(10 * SEC, 6),
  warehouses: perMinute(10 * SEC, 6),
  options: perMinute(10 * SEC, 6),
  supplies: perMinute(2 * SEC, 10),
  supply: perMinute(2 * SEC, 10),
  "supply/goods": perMinute(2 * SEC, 10),
  "supply/package": perMinute(2 * SEC, 10),
};

/** Official limits for a plain Base token. */
const OFFICIAL_BASE: Record<OfficialMethod, BucketSpec> = {
  ping: perMinute(10 * SEC, 3),
  "seller-info": perMinute(24 * HOUR, 1),
  coefficients: perMinute(HOUR, 1),
  warehouses: perMinute(12 * HOUR, 1),
  options: perMinute(30 * MIN, 1),
  supplies: perMinute(30 * MIN, 1),
  supply: perMinute(30 * MIN, 1),
  "supply/goods": perMinute(30 * MIN, 1),
  "supply/package": perMinute(30 * MIN, 1),
};

/** Portal limits per supplier: INFERENCE, WB publishes none (see README). */
export const PORTAL_LIMITS: Record<PortalMethod, BucketSpec> = {
  acceptanceCoefficientsReport: perMinute(SEC, 3),
  getAcceptanceCosts: perMinute(SEC, 3),
  getWarehouseFilterItems: perMinute(SEC, 3),
  "draft/create": perMinute(6 * SEC, 5),
  "draft/UpdateDraftGoods": perMinute(6 * SEC, 5),
  "supply/create": perMinute(6 * SEC, 5),
  "plan/add": perMinute(6 * SEC, 5),
  "transfer/AvailableLimits": perMinute(2 * SEC, 5),
  "transfer/list": perMinute(2 * SEC, 5),
  "transfer/order": perMinute(6 * SEC, 5),
  "auth/token": perMinute(10 * SEC, 3),
};

/** Who is limited: an official token type or the portal session. */
export type LimitSubject = TokenTypeName | "portal";

/**
 * The bucket for a method and subject.
 * @returns WB's numbers, or the override when tests pass one
 */
export function bucketSpecFor(method: MethodName, subject: LimitSubject, overrides?: Partial<Record<MethodName, BucketSpec>>): BucketSpec {
  const override = overrides?.[method];
  if (override) return override;
  if (subject === "portal") return PORTAL_LIMITS[method as PortalMethod] ?? perMinute(SEC, 3);
  const table = subject === "base" ? OFFICIAL_BASE : OFFICIAL_FULL;
  return table[method as OfficialMethod] ?? perMinute(SEC, 3);
}

/** Outcome of taking one token. */
export type TakeResult =
  | { ok: true; remaining: number }
  | { ok: false; retryMs: number; resetMs: number; limit: number };

/** In-memory token buckets keyed by (seller, subject, method). */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  /** Forgets every bucket (sandbox reset). */
  clear(): void {
    this.buckets.clear();
  }

  /**
   * Takes one token from the bucket `key` at time `now`.
   * @returns ok with whole tokens left, or the wait until one token and until full
   */
  take(key: string, spec: BucketSpec, now: number): TakeResult {
    const prev = this.buckets.get(key) ?? { tokens: spec.burst, at: now };
    const elapsed = Math.max(0, now - prev.at);
    const tokens = Math.min(spec.burst, prev.tokens + elapsed / spec.intervalMs);
    if (tokens >= 1) {
      this.buckets.set(key, { tokens: tokens - 1, at: now });
      return { ok: true, remaining: Math.floor(tokens - 1) };
    }
    this.buckets.set(key, { tokens, at: now });
    return {
      ok: false,
      retryMs: Math.ceil((1 - tokens) * spec.intervalMs),
      resetMs: Math.ceil((spec.burst - tokens) * spec.intervalMs),
      limit: spec.burst,
    };
  }
}
