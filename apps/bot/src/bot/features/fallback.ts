import { Composer } from "telegraf";
import { message } from "telegraf/filters";
import type { BotContext } from "../context";
import type { Feature } from "../create-bot";
import { StaleCallbackError } from "../errors";
import { backToMenuKeyboard } from "../menu";

/** A WB token or portal session pasted outside the keys wizard. */
const SECRET_LIKE = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/;

const composer = new Composer<BotContext>();

// Any button no feature recognised: forged, stale, or from an old version of the bot.
composer.on("callback_query", () => {
  throw new StaleCallbackError();
});

composer.on(message("text"), async (ctx, next) => {
  if (ctx.chat.type !== "private") return next();
  if (SECRET_LIKE.test(ctx.message.text)) {
    // Do not leave a credential lying in the chat history.
    await ctx.deleteMessage(ctx.message.message_id).catch(() => undefined);
    await ctx.reply("🔒 Похоже, это ключ WB — я удалил сообщение, чтобы он не остался в чате. Чтобы добавить ключ, откройте /keys и нажмите «Добавить ключ».");
    return;
  }
  await ctx.reply("Не понял сообщение. Выберите действие в меню или посмотрите /help.", backToMenuKeyboard());
});

/** Must be the last feature: stale buttons get an alert, unknown text a hint (pasted keys are deleted). */
export const fallbackFeature: Feature = { name: "fallback", composer };
