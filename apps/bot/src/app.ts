import type { FastifyInstance } from "fastify";
import type { Telegraf } from "telegraf";
import type { BotConfig } from "@wbslots/config";
import { parseMasterKey } from "@wbslots/crypto";
import { createRepositories } from "@wbslots/db";
import type { Logger } from "@wbslots/logger";
import { createQueues, createRedisConnection } from "@wbslots/queues";
import { createWbClients } from "@wbslots/wb";
import { installBotApiTransport, type BotApiTransport } from "./bot/bot-api-transport";
import type { BotContext } from "./bot/context";
import { createBot, type Feature } from "./bot/create-bot";
import type { BotDeps } from "./bot/deps";
import { allFeatures } from "./bot/features/index";
import { createMetrics, type BotMetrics } from "./metrics";
import { startNotificationSender, type NotificationSender, type NotificationSenderOptions } from "./notifications/sender";
import { buildServer } from "./server";

/** Real dependencies built from configuration, with one close() for all of them. */
export interface OwnedBotDeps {
  readonly deps: BotDeps;
  /** Closes the WB clients, queues, Redis and the database pool. */
  close(): Promise<void>;
}

/**
 * Builds the bot's dependencies: repositories (credentials sealed with
 * ENCRYPTION_KEY), the producer Redis connection, every queue and the WB gateway.
 * @returns the deps and a close()
 */
export function createBotDeps(config: BotConfig, logger: Logger, options: { now?: () => Date } = {}): OwnedBotDeps {
  const repos = createRepositories({ databaseUrl: config.DATABASE_URL, masterKey: parseMasterKey(config.ENCRYPTION_KEY) });
  const redis = createRedisConnection(config.REDIS_URL, "producer");
  const queues = createQueues(redis, config.QUEUE_PREFIX);
  const wb = createWbClients({
    logger,
    redis,
    keyPrefix: config.QUEUE_PREFIX,
    urls: { common: config.WB_COMMON_API_URL, supplies: config.WB_SUPPLIES_API_URL, sellerSupply: config.WB_SELLER_SUPPLY_URL, seller: config.WB_SELLER_URL },
  });
  const deps: BotDeps = { config, logger, repos, queues, wb, redis, now: options.now ?? (() => new Date()) };
  return {
    deps,
    close: async () => {
      await wb.close().catch(() => undefined);
      await queues.close().catch(() => undefined);
      redis.disconnect();
      await repos.close();
    },
  };
}

/** Options of {@link createBotApp}. */
export interface CreateBotAppOptions {
  /** Features (default {@link allFeatures}). */
  readonly features?: readonly Feature[];
  /** Start the notifications sender (default true). */
  readonly sender?: boolean | NotificationSenderOptions;
  /** Also collect Node process metrics (default false; main: true). */
  readonly defaultMetrics?: boolean;
}

/** The bot process minus `listen`: what main and the tests run. */
export interface BotApp {
  readonly bot: Telegraf<BotContext>;
  readonly server: FastifyInstance;
  readonly metrics: BotMetrics;
  readonly sender: NotificationSender | null;
  /** The Bot API transport of `bot.telegram` and every update's `ctx.telegram`. */
  readonly transport: BotApiTransport;
  /** Stops the sender and the server and closes the Bot API connections (deps stay open: their owner closes them). */
  close(): Promise<void>;
}

/**
 * Assembles the bot, its HTTP server and the notifications sender over `deps`.
 * @returns the app (the server is ready, not listening)
 */
export async function createBotApp(deps: BotDeps, options: CreateBotAppOptions = {}): Promise<BotApp> {
  const metrics = createMetrics({ queues: deps.queues.all, defaultMetrics: options.defaultMetrics ?? false });
  const bot = createBot(deps, options.features ?? allFeatures());
  // JSON Bot API calls (the webhook's edits, the sender's messages) over keep-alive undici connections.
  const transport = installBotApiTransport(bot.telegram, { apiRoot: deps.config.TELEGRAM_API_ROOT, token: deps.config.TELEGRAM_BOT_TOKEN });
  const server = await buildServer(deps, bot, { metrics });
  let sender: NotificationSender | null = null;
  let senderConnection: ReturnType<typeof createRedisConnection> | null = null;
  if (options.sender !== false) {
    senderConnection = createRedisConnection(deps.config.REDIS_URL, "worker");
    sender = startNotificationSender(
      { logger: deps.logger, repos: deps.repos, queues: deps.queues, telegram: bot.telegram, metrics, connection: senderConnection, prefix: deps.config.QUEUE_PREFIX },
      typeof options.sender === "object" ? options.sender : {},
    );
  }
  return {
    bot,
    server,
    metrics,
    sender,
    transport,
    close: async () => {
      await sender?.close();
      senderConnection?.disconnect();
      await server.close();
      await transport.close();
    },
  };
}
