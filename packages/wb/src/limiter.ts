/**
 * The request limiter shared by every process: a token bucket per (seller
 * account, token type, method) held in Redis by one atomic Lua script (Redis
 * clock), plus a block key set when WB answers 429 so that no process sends
 * before `X-Ratelimit-Retry` elapses. Non-blocking: an empty budget throws
 * `WbRateLimited{source:"local"}`. Bottleneck only caps in-process concurrency
 * per key (its Redis datastore is unreliable on Redis 7, see TOOLCHAIN.md).
 */
import Bottleneck from "bottleneck";
import type { Redis } from "ioredis";
import { WbRateLimited } from "./errors";
import type { BucketSpec } from "./limits";

const TAKE_LUA = `
local block = redis.call('PTTL', KEYS[2])
if block > 0 then return {0, block} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local data = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(data[1])
local at = tonumber(data[2])
if tokens == nil or at == nil then tokens = burst; at = now end
local elapsed = now - at
if elapsed < 0 then elapsed = 0 end
tokens = math.min(burst, tokens + elapsed / interval)
local stamp = now
if at > now then stamp = at end
if tokens >= 1 then
  tokens = tokens - 1
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(stamp))
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {1, math.floor(tokens)}
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(stamp))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local wait = math.ceil((1 - tokens) * interval)
if at > now then wait = wait + (at - now) end
return {0, wait}
`;

const BLOCK_LUA = `
local ms = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[2]) < ms then redis.call('SET', KEYS[2], '1', 'PX', ms) end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('HSET', KEYS[1], 'tokens', '1', 'at', tostring(now + ms))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** Who and what a budget belongs to. */
export interface LimitKey {
  /** Seller account (official `sid`, portal supplier id): more tokens of one seller add no capacity. */
  readonly account: string;
  /** Token type, or `portal`. */
  readonly subject: string;
  /** Method group (logical method). */
  readonly group: string;
}

/** Options of {@link SharedLimiter}. */
export interface SharedLimiterOptions {
  readonly redis: Redis;
  readonly keyPrefix?: string;
  /** Extra slack per token against clock/network jitter (fraction of the interval, default 0.02). */
  readonly safety?: number;
  /** In-process concurrency per key (default 4). */
  readonly maxConcurrent?: number;
  /** When > 0, wait up to this long for budget instead of throwing. Default 0 (non-blocking). */
  readonly maxWaitMs?: number;
}

type RedisWithScripts = Redis & {
  wbTake(bucket: string, block: string, interval: string, burst: string, ttl: string): Promise<[number, number]>;
  wbBlock(bucket: string, block: string, ms: string, ttl: string): Promise<number>;
};

/** The shared limiter. */
export class SharedLimiter {
  private readonly redis: RedisWithScripts;
  private readonly prefix: string;
  private readonly safety: number;
  private readonly maxWaitMs: number;
  private readonly local = new Bottleneck.Group({ maxConcurrent: 4, highWater: 50, strategy: Bottleneck.strategy.OVERFLOW });

  constructor(options: SharedLimiterOptions) {
    this.redis = options.redis as RedisWithScripts;
    if (typeof this.redis.wbTake !== "function") {
      options.redis.defineCommand("wbTake", { numberOfKeys: 2, lua: TAKE_LUA });
      options.redis.defineCommand("wbBlock", { numberOfKeys: 2, lua: BLOCK_LUA });
    }
    this.prefix = options.keyPrefix ?? "";
    this.safety = options.safety ?? 0.02;
    this.maxWaitMs = options.maxWaitMs ?? 0;
    if (options.maxConcurrent) this.local.updateSettings({ maxConcurrent: options.maxConcurrent });
  }

  private keys(key: LimitKey): [string, string] {
    const base = `${this.prefix}wb:rl:{${key.account}}:${key.subject}:${key.group}`;
    return [`${base}:bucket`, `${base}:block`];
  }

  private effective(spec: BucketSpec): BucketSpec {
    return { burst: spec.burst, intervalMs: Math.ceil(spec.intervalMs * (1 + this.safety)) + 5 };
  }

  /**
   * Takes one request from the shared budget.
   * @throws WbRateLimited (source "local") with the wait until the next token
   */
  async acquire(key: LimitKey, spec: BucketSpec, method?: string): Promise<void> {
    const eff = this.effective(spec);
    const [bucket, block] = this.keys(key);
    const deadline = Date.now() + this.maxWaitMs;
    for (;;) {
      const [ok, value] = await this.redis.wbTake(bucket, block, String(eff.intervalMs), String(eff.burst), String(eff.intervalMs * eff.burst * 2));
      if (ok === 1) return;
      if (Date.now() + value > deadline) {
        throw new WbRateLimited(`local request budget exhausted for ${key.group}; retry in ${value} ms`, value, "local", method === undefined ? {} : { method });
      }
      await new Promise((resolve) => setTimeout(resolve, value));
    }
  }

  /** Blocks the key for every process after a WB 429 until `retryAfterMs` elapses. */
  async block(key: LimitKey, spec: BucketSpec, retryAfterMs: number): Promise<void> {
    const [bucket, block] = this.keys(key);
    const ms = Math.max(1, Math.ceil(retryAfterMs));
    await this.redis.wbBlock(bucket, block, String(ms), String(ms + spec.intervalMs * spec.burst * 2));
  }

  /**
   * Runs `fn` under the in-process concurrency cap of the key.
   * @throws WbRateLimited (local) when too many calls queue up in this process
   */
  async schedule<T>(key: LimitKey, fn: () => Promise<T>): Promise<T> {
    const id = this.keys(key)[0];
    try {
      return await this.local.key(id).schedule(fn);
    } catch (error) {
      if (error instanceof Bottleneck.BottleneckError) throw new WbRateLimited("too many queued calls in this process", 1000, "local");
      throw error;
    }
  }

  /** Stops the local limiters. */
  async close(): Promise<void> {
    await Promise.all(this.local.limiters().map(({ limiter }) => limiter.stop({ dropWaitingJobs: true })));
  }
}
