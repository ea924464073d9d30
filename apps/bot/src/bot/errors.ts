import { randomBytes } from "node:crypto";
import { TelegramError } from "telegraf";
import { errorText } from "@wbslots/domain";
import type { BotContext } from "./context";

/** Alert shown for a forged, stale or foreign inline button. */
export const STALE_BUTTON_TEXT = "Кнопка устарела или больше не действует. Откройте раздел заново: /start";

/**
 * Thrown by a handler when a callback's data is forged, stale or points at
 * something that is not the user's: the user gets an alert, not an apology.
 */
export class StaleCallbackError extends Error {
  override readonly name = "StaleCallbackError";
  /** @param alert the Russian text of the alert (default {@link STALE_BUTTON_TEXT}) */
  constructor(readonly alert: string = STALE_BUTTON_TEXT) {
    super("stale or forged callback");
  }
}

/** @returns a short random id that ties an apology to its log line */
export function newErrorId(): string {
  return randomBytes(4).toString("hex");
}

/** @returns true for Telegram's "the user blocked the bot / the chat is gone" errors */
export function isChatUnreachable(error: unknown): boolean {
  return error instanceof TelegramError && (error.code === 403 || /chat not found|user is deactivated/i.test(error.description));
}

/**
 * The bot's last line of defence (`bot.catch`): stale buttons get an alert;
 * anything else is logged with its stack under a short error id and the user
 * gets a Russian apology with that id. Never throws; never shows internals.
 */
export async function handleBotError(error: unknown, ctx: BotContext): Promise<void> {
  const log = ctx.log ?? ctx.deps.logger;
  if (error instanceof StaleCallbackError) {
    log.info({ updateType: ctx.updateType }, "stale or forged callback refused");
    if (ctx.callbackQuery) await ctx.answerCbQuery(error.alert, { show_alert: true }).catch(() => undefined);
    return;
  }
  if (error instanceof TelegramError && /query is too old|query ID is invalid/i.test(error.description)) {
    log.info("callback query too old to answer");
    return;
  }
  const errorId = newErrorId();
  log.error({ err: error, errorId, updateType: ctx.updateType }, "update handler failed");
  if (isChatUnreachable(error)) return;
  try {
    if (ctx.callbackQuery) await ctx.answerCbQuery().catch(() => undefined);
    if (ctx.chat) await ctx.reply(errorText(errorId), { parse_mode: "HTML" });
  } catch (replyError) {
    log.warn({ err: replyError, errorId }, "could not send the apology");
  }
}
