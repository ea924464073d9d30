/**
 * Per-supplier cache of the redistribution limits (`transfer/AvailableLimits`), so many
 * waiting requests of one supplier cost WB about one call per period, whichever worker
 * and whichever request gets there first.
 *
 * Protocol (both implementations):
 * - `get` returns the cached quotas while they are fresher than the period;
 * - on a miss, `tryAcquire` takes the supplier's gate for one period; only the holder
 *   calls WB and `put`s the answer; everybody else waits for the next tick;
 * - `holdOff` (WB said 429) closes the gate until WB's retry time: nobody calls before.
 */
import type { Redis } from "ioredis";
import { z } from "zod";
import { quotasSchema, type Quota } from "./wb-port";

/** The cache of limits per supplier. */
export interface LimitsCache {
  /** @returns fresh cached quotas, or null */
  get(supplierId: string): Promise<Quota[] | null>;
  /** @returns whether this caller may call WB now (the gate is held for `ttlMs`) */
  tryAcquire(supplierId: string): Promise<boolean>;
  /** Stores a fresh answer. */
  put(supplierId: string, quotas: Quota[]): Promise<void>;
  /** Nobody calls WB for this supplier for `ms` (rate limited). */
  holdOff(supplierId: string, ms: number): Promise<void>;
  /** Forgets the cached answer (after an order spent some quota). */
  invalidate(supplierId: string): Promise<void>;
}

/**
 * The cache shared by every worker through Redis.
 * Keys: `{prefix}:redistribute:limits:{supplierId}` (JSON, PX ttl) and
 * `{prefix}:redistribute:limits-gate:{supplierId}` (SET NX PX).
 */
export class RedisLimitsCache implements LimitsCache {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  private valueKey(supplierId: string): string {
    return `${this.prefix}:redistribute:limits:${supplierId}`;
  }

  private gateKey(supplierId: string): string {
    return `${this.prefix}:redistribute:limits-gate:${supplierId}`;
  }

  async get(supplierId: string): Promise<Quota[] | null> {
    const raw = await this.redis.get(this.valueKey(supplierId));
    if (raw === null) return null;
    try {
      const parsed = quotasSchema.safeParse(z.unknown().parse(JSON.parse(raw)));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  async tryAcquire(supplierId: string): Promise<boolean> {
    return (await this.redis.set(this.gateKey(supplierId), "1", "PX", this.ttlMs, "NX")) === "OK";
  }

  async put(supplierId: string, quotas: Quota[]): Promise<void> {
    await this.redis.set(this.valueKey(supplierId), JSON.stringify(quotas), "PX", this.ttlMs);
  }

  async holdOff(supplierId: string, ms: number): Promise<void> {
    await this.redis.set(this.gateKey(supplierId), "429", "PX", Math.max(1, Math.ceil(ms)));
  }

  async invalidate(supplierId: string): Promise<void> {
    await this.redis.del(this.valueKey(supplierId));
  }
}

/** The same protocol inside one process (when no Redis connection is given). */
export class InProcessLimitsCache implements LimitsCache {
  private readonly values = new Map<string, { quotas: Quota[]; until: number }>();
  private readonly gates = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  async get(supplierId: string): Promise<Quota[] | null> {
    const entry = this.values.get(supplierId);
    if (!entry) return null;
    if (entry.until <= this.now()) {
      this.values.delete(supplierId);
      return null;
    }
    return entry.quotas;
  }

  async tryAcquire(supplierId: string): Promise<boolean> {
    const until = this.gates.get(supplierId) ?? 0;
    if (until > this.now()) return false;
    this.gates.set(supplierId, this.now() + this.ttlMs);
    return true;
  }

  async put(supplierId: string, quotas: Quota[]): Promise<void> {
    this.values.set(supplierId, { quotas, until: this.now() + this.ttlMs });
  }

  async holdOff(supplierId: string, ms: number): Promise<void> {
    this.gates.set(supplierId, this.now() + ms);
  }

  async invalidate(supplierId: string): Promise<void> {
    this.values.delete(supplierId);
  }
}
