/**
 * Test harness: the real bot app over a fresh Postgres database, the shared
 * Redis (unique prefix), the WB sandbox in-process and the fake Bot API; the
 * server listens on 127.0.0.1 and updates are POSTed over real HTTP.
 */
import { randomBytes } from "node:crypto";
import { botSchema, parseConfig, type BotConfig } from "@wbslots/config";
import { createLogger, silentLogger } from "@wbslots/logger";
import { createUpdateBuilders, startFakeTelegram, type FakeTelegram, type UpdateBuilders } from "@wbslots/testkit";
import { testDatabase, testRedis } from "@wbslots/testkit/vitest";
import { startSandbox, type RunningSandbox } from "@wbslots/wb-sandbox";
import { createBotApp, createBotDeps, type BotApp, type CreateBotAppOptions, type OwnedBotDeps } from "./app";
import { WEBHOOK_PATH } from "./webhook";

export const TEST_BOT_TOKEN = "123456:TEST-bot_token_abcdefghij";
export const TEST_SECRET = "test_webhook_secret";
export const ADMIN = { user: "admin", password: "password123" } as const;

/** Everything a bot test needs. */
export interface Harness {
  readonly config: BotConfig;
  readonly owned: OwnedBotDeps;
  readonly app: BotApp;
  readonly url: string;
  readonly telegram: FakeTelegram;
  readonly sandbox: RunningSandbox;
  readonly updates: UpdateBuilders;
  /** Delivers an update to the webhook with the right secret (or `secret`) as Telegram does (fake `deliver`). */
  post(update: unknown, secret?: string | null): Promise<Response>;
  close(): Promise<void>;
}

/** Options of {@link startHarness}. */
export interface HarnessOptions {
  readonly app?: CreateBotAppOptions;
  readonly env?: Record<string, string>;
}

/** @returns a running harness; call close() in afterAll */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const db = await testDatabase();
  const redis = testRedis();
  const telegram = await startFakeTelegram({ token: TEST_BOT_TOKEN });
  const sandbox = await startSandbox({ port: 0 });
  const config = parseConfig(botSchema, {
    TELEGRAM_BOT_TOKEN: TEST_BOT_TOKEN,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_WEBHOOK_SECRET: TEST_SECRET,
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: redis.prefix,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    ADMIN_USER: ADMIN.user,
    ADMIN_PASSWORD: ADMIN.password,
    WB_COMMON_API_URL: sandbox.url,
    WB_SUPPLIES_API_URL: sandbox.url,
    WB_SELLER_SUPPLY_URL: sandbox.url,
    WB_SELLER_URL: sandbox.url,
    ...options.env,
  });
  // eslint-disable-next-line no-restricted-properties -- opt-in test logging only
  const logger = process.env.TEST_LOG ? createLogger({ level: process.env.TEST_LOG, name: "bot-test" }) : silentLogger();
  const owned = createBotDeps(config, logger);
  const app = await createBotApp(owned.deps, options.app ?? {});
  await app.server.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.server.address();
  const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  const updates = createUpdateBuilders();
  return {
    config,
    owned,
    app,
    url,
    telegram,
    sandbox,
    updates,
    post: async (update, secret = TEST_SECRET) => {
      // Delivered as Telegram does: a method in the answer (a button's answer) is executed by the fake.
      const delivered = await telegram.deliver(`${url}${WEBHOOK_PATH}`, update, secret);
      return new Response(delivered.body, { status: delivered.status });
    },
    close: async () => {
      await app.close();
      await owned.close();
      await sandbox.close();
      await telegram.close();
      await db.drop();
    },
  };
}

/** Sandbox admin call. */
export async function sandboxAdmin<T>(sandbox: RunningSandbox, path: string, body: unknown): Promise<T> {
  const response = await fetch(`${sandbox.url}/__sandbox/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!response.ok) throw new Error(`sandbox ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** @returns a fresh sandbox seller with a token of the given type */
export async function sandboxToken(sandbox: RunningSandbox, type: "personal" | "service" | "base" = "service"): Promise<{ sellerId: string; token: string }> {
  const { sellerId } = await sandboxAdmin<{ sellerId: string }>(sandbox, "sellers", {});
  const { token } = await sandboxAdmin<{ token: string }>(sandbox, "tokens", { sellerId, type });
  return { sellerId, token };
}

/** Texts of successful sendMessage calls to a chat. */
export function textsTo(telegram: FakeTelegram, chatId: number): string[] {
  return telegram.sentTo(chatId).map((call) => String(call.payload.text));
}

/** Callback data of every inline button of a recorded call. */
export function buttonsOf(payload: Record<string, unknown>): { text: string; callback_data?: string }[] {
  const markup = payload.reply_markup as { inline_keyboard?: { text: string; callback_data?: string }[][] } | undefined;
  return markup?.inline_keyboard?.flat() ?? [];
}
