/**
 * The whole product, for end-to-end tests: the real bot and N real worker
 * processes (children, started from their TypeScript entry points), over a real
 * Postgres database and Redis, with WB simulated by the sandbox and Telegram by
 * the recording fake Bot API — both on 127.0.0.1.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startSandbox } from "@wbslots/wb-sandbox";
import {
  createUpdateBuilders,
  freePort,
  startFakeTelegram,
  startTsProcess,
  waitForHttpStatus,
  type FakeTelegram,
  type ManagedProcess,
  type UpdateBuilders,
} from "@wbslots/testkit";

/** Options of {@link startStack}. */
export interface StackOptions {
  databaseUrl: string;
  redisUrl: string;
  /** BullMQ / key prefix, unique per test file. */
  prefix: string;
  workers?: number;
  /** Extra environment for every process. */
  env?: Record<string, string>;
}

/** A running stack. */
export interface Stack {
  readonly botUrl: string;
  readonly sandboxUrl: string;
  readonly telegram: FakeTelegram;
  readonly updates: UpdateBuilders;
  readonly env: Record<string, string>;
  readonly bot: ManagedProcess;
  readonly workers: ManagedProcess[];
  /** Directory holding every process's log file. */
  readonly logDir: string;
  /** POSTs an update to the webhook with the right secret. @returns the HTTP status */
  send(update: Record<string, unknown>): Promise<number>;
  /** Starts one more worker process. */
  startWorker(): Promise<ManagedProcess>;
  /** Calls the sandbox admin API. */
  sandbox<T = unknown>(method: "GET" | "POST" | "DELETE", route: string, body?: unknown): Promise<T>;
  /** Every log line every process wrote. */
  logs(): string;
  stop(): Promise<void>;
}

/**
 * Starts the stack and waits until the bot's /readyz answers 200.
 * @returns the stack; call stop() in afterAll
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "wbslots-e2e-"));
  const sandbox = await startSandbox({ port: 0 });
  const token = `${100_000_000 + Math.floor(Math.random() * 800_000_000)}:${randomBytes(20).toString("base64url")}`;
  const telegram = await startFakeTelegram({ token });
  const port = await freePort();
  const webhookSecret = randomBytes(16).toString("hex");
  const env: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: options.prefix,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    WB_COMMON_API_URL: sandbox.url,
    WB_SUPPLIES_API_URL: sandbox.url,
    WB_SELLER_SUPPLY_URL: sandbox.url,
    WB_SELLER_URL: sandbox.url,
    LOG_LEVEL: "info",
    ...options.env,
  };
  const botEnv = {
    ...env,
    TELEGRAM_BOT_TOKEN: token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_WEBHOOK_SECRET: webhookSecret,
    HOST: "127.0.0.1",
    PORT: String(port),
    ADMIN_USER: "admin",
    ADMIN_PASSWORD: randomBytes(12).toString("hex"),
  };
  const bot = startTsProcess("bot", "apps/bot/src/main.ts", botEnv, path.join(logDir, "bot.log"));
  const workers: ManagedProcess[] = [];
  let workerCount = 0;
  const startWorker = async (): Promise<ManagedProcess> => {
    workerCount += 1;
    const worker = startTsProcess(`worker-${workerCount}`, "apps/worker/src/main.ts", { ...env, WORKER_CONCURRENCY: "20" }, path.join(logDir, `worker-${workerCount}.log`));
    workers.push(worker);
    return worker;
  };
  for (let i = 0; i < (options.workers ?? 2); i += 1) await startWorker();
  const botUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForHttpStatus(`${botUrl}/readyz`, 60_000);
  } catch (error) {
    throw new Error(`${String(error)}\n--- bot output ---\n${bot.output().slice(-4000)}`);
  }

  return {
    botUrl,
    sandboxUrl: sandbox.url,
    telegram,
    updates: createUpdateBuilders(),
    env: botEnv,
    bot,
    workers,
    logDir,
    send: async (update) => {
      const response = await fetch(`${botUrl}/telegram/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": webhookSecret },
        body: JSON.stringify(update),
      });
      return response.status;
    },
    startWorker,
    sandbox: async <T>(method: "GET" | "POST" | "DELETE", route: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${sandbox.url}${route}`, {
        method,
        ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`sandbox ${method} ${route} → ${response.status} ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    logs: () => [bot, ...workers].map((p) => p.output()).join("\n"),
    stop: async () => {
      await Promise.all([bot.stop(), ...workers.map((worker) => worker.stop())]);
      await telegram.close();
      await sandbox.close();
    },
  };
}

/** An inline button as the bot sent it. */
export interface SentButton {
  text: string;
  callback_data?: string;
  url?: string;
}

/**
 * The inline buttons of the bot's latest message (sent or edited) to a chat.
 * @returns the buttons and the message id they sit under
 */
export function latestKeyboard(telegram: FakeTelegram, chatId: number): { messageId: number; buttons: SentButton[] } | null {
  for (let i = telegram.calls.length - 1; i >= 0; i -= 1) {
    const call = telegram.calls[i];
    if (!call || !call.ok) continue;
    if (!["sendMessage", "editMessageText", "editMessageReplyMarkup"].includes(call.method)) continue;
    if (String(call.payload.chat_id) !== String(chatId)) continue;
    const markup = call.payload.reply_markup as { inline_keyboard?: SentButton[][] } | undefined;
    if (!markup?.inline_keyboard) continue;
    const messageId = Number(call.payload.message_id ?? (call as unknown as { resultMessageId?: number }).resultMessageId ?? 1);
    return { messageId, buttons: markup.inline_keyboard.flat() };
  }
  return null;
}
