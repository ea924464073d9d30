/**
 * The product's own processes for suites that run it whole: the environment of
 * one stack (CONTRACT.md variables pointing at a test database, Redis, WB
 * sandbox and fake Bot API) and the bot and worker processes started from their
 * TypeScript entry points. Used by the e2e, resilience and bench stacks, so
 * every one of them runs the product the same way.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import { freePort } from "./ports";
import { startTsProcess, waitForHttpStatus, type ManagedProcess } from "./processes";
import type { FakeTelegram } from "./fake-telegram";

/** The environment every product process of one stack shares. */
export interface CoreEnv extends Record<string, string> {
  DATABASE_URL: string;
  REDIS_URL: string;
  QUEUE_PREFIX: string;
  ENCRYPTION_KEY: string;
}

/** Where a stack's processes find their services. */
export interface CoreEnvOptions {
  readonly databaseUrl: string;
  readonly redisUrl: string;
  readonly prefix: string;
  /** Every WB host (the sandbox serves them all). */
  readonly sandboxUrl: string;
  /** Default "info". */
  readonly logLevel?: string;
}

/**
 * The shared environment, with a fresh random ENCRYPTION_KEY.
 * @returns the variables (add an app's own on top)
 */
export function coreEnv(o: CoreEnvOptions): CoreEnv {
  return {
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    QUEUE_PREFIX: o.prefix,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    WB_COMMON_API_URL: o.sandboxUrl,
    WB_SUPPLIES_API_URL: o.sandboxUrl,
    WB_SELLER_SUPPLY_URL: o.sandboxUrl,
    WB_SELLER_URL: o.sandboxUrl,
    LOG_LEVEL: o.logLevel ?? "info",
  };
}

/**
 * A random bot token of Telegram's shape (`<id>:<35 chars>`).
 * @returns the token
 */
export function randomBotToken(): string {
  return `${100_000_000 + Math.floor(Math.random() * 800_000_000)}:${randomBytes(20).toString("base64url")}`;
}

/** Options of {@link startProduct}. */
export interface StartProductOptions {
  /** The shared environment ({@link coreEnv} plus anything every process should get). */
  readonly env: Record<string, string>;
  /** The fake Bot API (it delivers the updates of {@link RunningProduct.send}) and the bot token it accepts. */
  readonly telegram: { readonly token: string; readonly fake: FakeTelegram };
  /** Where each process writes its output (`bot.log`, `worker-N.log`). */
  readonly logDir: string;
  /** Workers started at once (default 2). */
  readonly workers?: number;
  /** Extra environment for worker processes only (default WORKER_CONCURRENCY 20). */
  readonly workerEnv?: Record<string, string>;
}

/** The running bot and workers. */
export interface RunningProduct {
  readonly botUrl: string;
  /** The bot's full environment (the shared one plus its own). */
  readonly botEnv: Record<string, string>;
  readonly webhookSecret: string;
  readonly bot: ManagedProcess;
  /** Every worker started so far (live or not). */
  readonly workers: ManagedProcess[];
  /** Starts one more worker. */
  startWorker(): Promise<ManagedProcess>;
  /** POSTs an update to the webhook with the right secret. @returns the HTTP status */
  send(update: Record<string, unknown>): Promise<number>;
  /** SIGTERMs the bot and every worker and waits for them. */
  stop(): Promise<void>;
}

/**
 * Starts the bot (webhook on a free loopback port) and the workers, and waits
 * until the bot's /readyz answers 200.
 * @returns the processes; call stop() when done
 * @throws Error with the bot's last output when it never becomes ready
 */
export async function startProduct(o: StartProductOptions): Promise<RunningProduct> {
  const port = await freePort();
  const webhookSecret = randomBytes(16).toString("hex");
  const botEnv: Record<string, string> = {
    ...o.env,
    TELEGRAM_BOT_TOKEN: o.telegram.token,
    TELEGRAM_API_ROOT: o.telegram.fake.apiRoot,
    TELEGRAM_WEBHOOK_SECRET: webhookSecret,
    HOST: "127.0.0.1",
    PORT: String(port),
    ADMIN_USER: "admin",
    ADMIN_PASSWORD: randomBytes(12).toString("hex"),
  };
  const bot = startTsProcess("bot", "apps/bot/src/main.ts", botEnv, path.join(o.logDir, "bot.log"));
  const workers: ManagedProcess[] = [];
  const startWorker = async (): Promise<ManagedProcess> => {
    const n = workers.length + 1;
    const worker = startTsProcess(`worker-${n}`, "apps/worker/src/main.ts", { ...o.env, WORKER_CONCURRENCY: "20", ...o.workerEnv }, path.join(o.logDir, `worker-${n}.log`));
    workers.push(worker);
    return worker;
  };
  for (let i = 0; i < (o.workers ?? 2); i += 1) await startWorker();
  const botUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHttpStatus(`${botUrl}/readyz`, 60_000);
  } catch (error) {
    await Promise.all([bot, ...workers].map((p) => p.stop("SIGTERM", 10_000)));
    throw new Error(`${String(error)}\n--- bot output ---\n${bot.output().slice(-4000)}`);
  }
  return {
    botUrl,
    botEnv,
    webhookSecret,
    bot,
    workers,
    startWorker,
    send: async (update) => (await o.telegram.fake.deliver(`${botUrl}/telegram/webhook`, update, webhookSecret)).status,
    stop: async () => {
      await Promise.all([bot, ...workers].map((p) => p.stop("SIGTERM", 10_000)));
    },
  };
}
