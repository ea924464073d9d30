/**
 * Composition root of the WB gateway: one HTTP layer, one shared limiter, the
 * official and portal clients.
 */
import type { Redis } from "ioredis";
import type { Logger } from "@wbslots/logger";
import { WbHttp, type BreakerOptions, type RetryOptions, type WbRequestEvent } from "./http";
import { SharedLimiter } from "./limiter";
import { createOfficialClient, type OfficialClient } from "./official";
import { createPortalClient, type PortalClient } from "./portal";

/** Dependencies of {@link createWbClients}. */
export interface WbClientsDeps {
  readonly logger: Logger;
  /** ioredis connection holding the shared limiter state (not closed by us). */
  readonly redis: Redis;
  /** WB hosts (CONTRACT.md env: WB_COMMON_API_URL, WB_SUPPLIES_API_URL, WB_SELLER_SUPPLY_URL, WB_SELLER_URL). */
  readonly urls: { readonly common: string; readonly supplies: string; readonly sellerSupply: string; readonly seller: string };
  /** Prefix of our Redis keys (tests use a unique one). */
  readonly keyPrefix?: string;
  /** Metrics hooks. */
  readonly metrics?: { readonly onRequest?: (event: WbRequestEvent) => void };
  readonly retry?: RetryOptions;
  readonly breaker?: BreakerOptions;
  readonly timeouts?: { readonly read?: number; readonly write?: number };
  /** Limiter tuning: `maxWaitMs` > 0 waits for budget instead of throwing (default 0). */
  readonly limiter?: { readonly maxWaitMs?: number; readonly safety?: number; readonly maxConcurrent?: number };
}

/** The WB gateway. */
export interface WbClients {
  readonly official: OfficialClient;
  readonly portal: PortalClient;
  /** Releases agents and local limiters (the Redis connection stays open). */
  close(): Promise<void>;
}

/**
 * Creates the WB clients.
 * @returns official and portal clients sharing one HTTP layer and limiter
 */
export function createWbClients(deps: WbClientsDeps): WbClients {
  const limiter = new SharedLimiter({
    redis: deps.redis,
    ...(deps.keyPrefix === undefined ? {} : { keyPrefix: deps.keyPrefix }),
    ...deps.limiter,
  });
  const http = new WbHttp({
    logger: deps.logger.child({ component: "wb" }),
    limiter,
    ...(deps.metrics?.onRequest ? { onRequest: deps.metrics.onRequest } : {}),
    ...(deps.retry ? { retry: deps.retry } : {}),
    ...(deps.breaker ? { breaker: deps.breaker } : {}),
    ...(deps.timeouts ? { timeouts: deps.timeouts } : {}),
  });
  return {
    official: createOfficialClient(http, { common: deps.urls.common, supplies: deps.urls.supplies }),
    portal: createPortalClient(http, { sellerSupply: deps.urls.sellerSupply, seller: deps.urls.seller }),
    close: async () => {
      http.close();
      await limiter.close();
    },
  };
}
