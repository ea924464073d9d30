/**
 * Small Telegram helpers shared by the monitor, tasks and redistribute features:
 * show a screen (edit in place on a button press, reply otherwise), answer a
 * callback with an alert, make sure the user row exists.
 */
import type { InlineKeyboard } from "@wbslots/domain";
import type { BotContext } from "../../context";

/** A keyboard as Telegram's `inline_keyboard` (plain data). */
export type Keyboard = InlineKeyboard;

function isNotModified(error: unknown): boolean {
  return error instanceof Error && /message is not modified/i.test(error.message);
}

function isUneditable(error: unknown): boolean {
  return error instanceof Error && /(message to edit not found|message can't be edited|there is no text in the message)/i.test(error.message);
}

/**
 * Shows an HTML screen: edits the message the pressed button belongs to, or sends a
 * new message for a command / typed text (or when the old message cannot be edited).
 */
export async function showScreen(ctx: BotContext, html: string, keyboard: Keyboard = []): Promise<void> {
  const extra = {
    parse_mode: "HTML" as const,
    link_preview_options: { is_disabled: true },
    reply_markup: { inline_keyboard: keyboard },
  };
  if (ctx.callbackQuery && ctx.callbackQuery.message) {
    try {
      await ctx.editMessageText(html, extra);
      return;
    } catch (error) {
      if (isNotModified(error)) return;
      if (!isUneditable(error)) throw error;
    }
  }
  await ctx.reply(html, extra);
}

/**
 * Replaces only the inline keyboard of the pressed button's message (the calendar).
 */
export async function showKeyboard(ctx: BotContext, keyboard: Keyboard): Promise<void> {
  try {
    await ctx.editMessageReplyMarkup({ inline_keyboard: keyboard });
  } catch (error) {
    if (!isNotModified(error)) throw error;
  }
}

/** Answers the pressed button with a pop-up alert (Telegram shows it as a dialog). */
export async function alert(ctx: BotContext, text: string): Promise<void> {
  if (ctx.callbackQuery) await ctx.answerCbQuery(text, { show_alert: true });
  else await ctx.reply(text);
}

/** Answers the pressed button silently (stops the spinner); a no-op for messages. */
export async function ack(ctx: BotContext, text?: string): Promise<void> {
  if (ctx.callbackQuery) await ctx.answerCbQuery(text);
}

/** The callback data of the pressed button, or undefined (not a button press / game). */
export function callbackData(ctx: BotContext): string | undefined {
  const query = ctx.callbackQuery;
  return query && "data" in query ? query.data : undefined;
}

/** The typed text of a message, or undefined. */
export function messageText(ctx: BotContext): string | undefined {
  const message = ctx.message;
  return message && "text" in message ? message.text : undefined;
}

/** The Russian alert for a button of a wizard step that is already over. */
export const STALE_BUTTON_TEXT = "Эта кнопка устарела. Начните заново командой из меню.";
