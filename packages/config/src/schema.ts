import { z } from "zod";

const url = z.url({ protocol: /^https?$/ });
const port = z.coerce.number().int().min(0).max(65535);
const masterKey = z
  .string()
  .min(1)
  .refine((value) => Buffer.from(value, "base64").length === 32 && /^[A-Za-z0-9+/=]+$/.test(value), {
    message: "must be 32 random bytes in base64 (e.g. `openssl rand -base64 32`)",
  });
const logLevel = z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]);
const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL");
const redisUrl = z.string().regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL");
const positiveInt = z.coerce.number().int().positive();

/** Variables every process that touches storage and WB needs. */
export const coreSchema = z.object({
  LOG_LEVEL: logLevel.default("info"),
  DATABASE_URL: postgresUrl,
  REDIS_URL: redisUrl,
  ENCRYPTION_KEY: masterKey,
  WB_COMMON_API_URL: url.default("https://common-api.wildberries.ru"),
  WB_SUPPLIES_API_URL: url.default("https://supplies-api.wildberries.ru"),
  WB_SELLER_SUPPLY_URL: url.default("https://seller-supply.wildberries.ru"),
  WB_SELLER_URL: url.default("https://seller.wildberries.ru"),
  /** Free caught supplies for a new user. */
  TRIAL_BOOKINGS: z.coerce.number().int().min(0).default(2),
  /** Upper bound on snapshot staleness (ms): the seed's 5 s cache TTL. */
  SNAPSHOT_MAX_AGE_MS: positiveInt.default(5000),
  /** BullMQ key prefix (tests isolate runs with it). */
  QUEUE_PREFIX: z.string().min(1).default("wbslots"),
  /** Telegram Stars price of one package of catches (the bot sells it; the worker offers it when catches run out). */
  PLAN_PRICE_STARS: positiveInt.default(250),
  /** Catches granted by one package. */
  PLAN_PACKAGE_BOOKINGS: positiveInt.default(10),
});

/** The bot process (Fastify + Telegraf + notifications sender + dashboard). */
export const botSchema = coreSchema.extend({
  TELEGRAM_BOT_TOKEN: z.string().regex(/^\d+:[A-Za-z0-9_-]{10,}$/, "must look like 123456:ABC-DEF… (from @BotFather)"),
  TELEGRAM_API_ROOT: url.default("https://api.telegram.org"),
  TELEGRAM_WEBHOOK_SECRET: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,256}$/, "must be 1-256 characters A-Z a-z 0-9 _ - (Telegram's rule)"),
  PUBLIC_URL: url.optional(),
  HOST: z.string().min(1).default("0.0.0.0"),
  PORT: port.default(3000),
  ADMIN_USER: z.string().min(1),
  ADMIN_PASSWORD: z.string().min(8, "must be at least 8 characters"),
});

/** A worker process (monitor / book / redistribute jobs). */
export const workerSchema = coreSchema.extend({
  WORKER_CONCURRENCY: positiveInt.default(50),
  /**
   * Prepare each task's draft + preorder ahead so a catch needs only plan/add.
   * Off by default: preparing spends the seller's portal write budget that
   * bookings need (measured: with it on, bookings failed on draft/create rate
   * limits); it needs a budget split or booking priority first (BENCHMARKS.md).
   */
  WORKER_PREPARE_AHEAD: z.enum(["true", "false"]).default("false").transform((value) => value === "true"),
  /** Port for the worker's /metrics and /healthz (0 = off). */
  WORKER_METRICS_PORT: port.default(0),
  /**
   * How often a worker checks that the maintenance schedulers survived in Redis
   * (ms; 0 = off). One small read per check; 15 s keeps "every scheduler back
   * within a minute" after a Redis loss with margin (the reconcile itself takes seconds).
   */
  WORKER_SELF_HEAL_MS: z.coerce.number().int().min(0).default(15_000),
});

/** The WB sandbox process. */
export const sandboxSchema = z.object({
  LOG_LEVEL: logLevel.default("info"),
  WB_SANDBOX_PORT: port.default(3100),
  WB_SANDBOX_HOST: z.string().min(1).default("127.0.0.1"),
  /** Seed of the sandbox's random slot script; unset = no random script. */
  WB_SANDBOX_SEED: z.coerce.number().int().optional(),
});

export type CoreConfig = z.infer<typeof coreSchema>;
export type BotConfig = z.infer<typeof botSchema>;
export type WorkerConfig = z.infer<typeof workerSchema>;
export type SandboxConfig = z.infer<typeof sandboxSchema>;
