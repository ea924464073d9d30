import type { Redis } from "ioredis";
import type { BotConfig } from "@wbslots/config";
import type { Repositories } from "@wbslots/db";
import type { Logger } from "@wbslots/logger";
import type { Queues } from "@wbslots/queues";
import type { WbClients } from "@wbslots/wb";

/**
 * Everything the bot needs, passed in (never module singletons), so tests build
 * the real bot with test settings.
 */
export interface BotDeps {
  readonly config: BotConfig;
  readonly logger: Logger;
  readonly repos: Repositories;
  readonly queues: Queues;
  /** WB gateway: the bot calls WB only to check a credential the user just added. */
  readonly wb: WbClients;
  /** Producer-kind Redis connection (fails fast): update dedupe, short-lived caches. */
  readonly redis: Redis;
  /** Clock (tests pin it). */
  readonly now: () => Date;
}
