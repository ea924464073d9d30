/**
 * The whole product, for end-to-end tests: the real bot and N real worker
 * processes (children, started from their TypeScript entry points), over a real
 * Postgres database and Redis, with WB simulated by the sandbox and Telegram by
 * the recording fake Bot API — both on 127.0.0.1.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startSandbox } from "@wbslots/wb-sandbox";
import { coreEnv, createUpdateBuilders, randomBotToken, startFakeTelegram, startProduct, type FakeTelegram, type ManagedProcess, type UpdateBuilders } from "@wbslots/testkit";

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
  const token = randomBotToken();
  const telegram = await startFakeTelegram({ token });
  const env = { ...coreEnv({ databaseUrl: options.databaseUrl, redisUrl: options.redisUrl, prefix: options.prefix, sandboxUrl: sandbox.url }), ...options.env };
  const product = await startProduct({ env, telegram: { token, fake: telegram }, logDir, workers: options.workers ?? 2 }).catch(async (error: unknown) => {
    await telegram.close();
    await sandbox.close();
    throw error;
  });
  const { bot, workers } = product;

  return {
    botUrl: product.botUrl,
    sandboxUrl: sandbox.url,
    telegram,
    updates: createUpdateBuilders(),
    env: product.botEnv,
    bot,
    workers,
    logDir,
    send: product.send,
    startWorker: product.startWorker,
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
      await product.stop();
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
