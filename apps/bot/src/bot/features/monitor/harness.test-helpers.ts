/**
 * Test harness for the monitor / tasks / redistribute features: the real bot built by
 * createBot over real deps (fresh Postgres database, shared Redis with a unique prefix
 * as queue prefix, WB clients against the in-process sandbox) and the recording fake
 * Bot API. Updates go straight to `bot.handleUpdate`, so each `send` resolves when the
 * update is fully handled.
 */
import { randomBytes } from "node:crypto";
import type { Telegraf } from "telegraf";
import { botSchema, parseConfig, type BotConfig } from "@wbslots/config";
import type { CredentialView } from "@wbslots/db";
import { silentLogger } from "@wbslots/logger";
import { createUpdateBuilders, startFakeTelegram, type FakeTelegram, type RecordedCall, type UpdateBuilders } from "@wbslots/testkit";
import { testDatabase, testRedis } from "@wbslots/testkit/vitest";
import { startSandbox, type RunningSandbox } from "@wbslots/wb-sandbox";
import type { Update } from "telegraf/types";
import { createBotDeps, type OwnedBotDeps } from "../../../app";
import type { BotContext } from "../../context";
import { createBot } from "../../create-bot";
import type { BotDeps } from "../../deps";
import { monitorFeature } from "../monitor";
import { redistributeFeature } from "../redistribute";
import { tasksFeature } from "../tasks";

const TOKEN = "123456:FEATURE-test_token_abcdefghij";

/** A button of a recorded screen. */
export interface Button {
  readonly text: string;
  readonly callback_data?: string;
}

/** The running pieces. */
export interface FeatureHarness {
  readonly config: BotConfig;
  readonly deps: BotDeps;
  readonly bot: Telegraf<BotContext>;
  readonly telegram: FakeTelegram;
  readonly updates: UpdateBuilders;
  /** Sets the clock the bot sees (default: real time). */
  setNow(now: Date | null): void;
  /** Handles one update to completion. */
  send(update: Record<string, unknown>): Promise<void>;
  /** `/command` from a user. */
  command(userId: number, command: string): Promise<void>;
  /** A button press from a user. */
  press(userId: number, data: string): Promise<void>;
  /** A typed text from a user. */
  type(userId: number, text: string): Promise<void>;
  /** The last sendMessage / editMessageText / editMessageReplyMarkup to a chat. */
  lastScreen(chatId: number): RecordedCall;
  /** The buttons of the last screen. */
  buttons(chatId: number): Button[];
  /** The last answerCallbackQuery. */
  lastAnswer(): RecordedCall | undefined;
  /** Registers a user and gives them a credential. */
  addUserWithKey(userId: number, kind: "OFFICIAL_TOKEN" | "PORTAL_SESSION", tokenType?: string): Promise<CredentialView>;
  close(): Promise<void>;
}

/** Buttons of a recorded call's inline keyboard. */
export function buttonsOf(call: RecordedCall): Button[] {
  const markup = call.payload.reply_markup as { inline_keyboard?: Button[][] } | undefined;
  return markup?.inline_keyboard?.flat() ?? [];
}

/** @returns a running harness; close() it in afterAll */
export async function startFeatureHarness(): Promise<FeatureHarness> {
  const db = await testDatabase();
  const redis = testRedis();
  const telegram = await startFakeTelegram({ token: TOKEN });
  const sandbox: RunningSandbox = await startSandbox({ port: 0 });
  const config = parseConfig(botSchema, {
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_WEBHOOK_SECRET: "feature_secret",
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: redis.prefix,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    ADMIN_USER: "admin",
    ADMIN_PASSWORD: "password123",
    WB_COMMON_API_URL: sandbox.url,
    WB_SUPPLIES_API_URL: sandbox.url,
    WB_SELLER_SUPPLY_URL: sandbox.url,
    WB_SELLER_URL: sandbox.url,
  });
  let pinned: Date | null = null;
  const owned: OwnedBotDeps = createBotDeps(config, silentLogger(), { now: () => pinned ?? new Date() });
  const bot = createBot(owned.deps, [monitorFeature, tasksFeature, redistributeFeature]);
  const updates = createUpdateBuilders();
  const screens = new Set(["sendMessage", "editMessageText", "editMessageReplyMarkup"]);
  const lastScreen = (chatId: number): RecordedCall => {
    const call = [...telegram.calls].reverse().find((c) => c.ok && screens.has(c.method) && Number(c.payload.chat_id) === chatId);
    if (!call) throw new Error(`no screen sent to ${chatId}; calls: ${telegram.calls.map((c) => c.method).join(", ")}`);
    return call;
  };
  let keyCounter = 0;
  const send = async (update: Record<string, unknown>): Promise<void> => {
    await bot.handleUpdate(update as unknown as Update);
  };
  return {
    config,
    deps: owned.deps,
    bot,
    telegram,
    updates,
    setNow: (now) => {
      pinned = now;
    },
    send,
    command: (userId, command) => send(updates.commandUpdate(userId, command)),
    press: (userId, data) => send(updates.callbackUpdate(userId, data)),
    type: (userId, text) => send(updates.textUpdate(userId, text)),
    lastScreen,
    buttons: (chatId) => buttonsOf(lastScreen(chatId)),
    lastAnswer: () => [...telegram.calls].reverse().find((c) => c.method === "answerCallbackQuery"),
    addUserWithKey: async (userId, kind, tokenType = "service") => {
      await owned.deps.repos.users.register({ id: BigInt(userId), firstName: "Тест" }, 2);
      keyCounter += 1;
      return await owned.deps.repos.apiKeys.create({
        userId: BigInt(userId),
        kind,
        name: kind === "PORTAL_SESSION" ? `Кабинет ${keyCounter}` : `Ключ <${keyCounter}>`,
        secret: `secret-${userId}-${keyCounter}-${randomBytes(4).toString("hex")}`,
        tokenType: kind === "PORTAL_SESSION" ? null : tokenType,
        sellerId: "seller",
        supplierId: kind === "PORTAL_SESSION" ? "supplier" : null,
      });
    },
    close: async () => {
      await owned.close();
      await sandbox.close();
      await telegram.close();
      await db.drop();
    },
  };
}
