import { Composer } from "telegraf";
import type { BotContext } from "../context";
import type { Feature } from "../create-bot";
import { StaleCallbackError } from "../errors";
import { backToMenuKeyboard } from "../menu";

const composer = new Composer<BotContext>();

// Any button no feature recognised: forged, stale, or from an old version of the bot.
composer.on("callback_query", () => {
  throw new StaleCallbackError();
});

composer.on("message", async (ctx, next) => {
  if (ctx.chat.type !== "private") return next();
  await ctx.reply("Не понял сообщение. Выберите действие в меню или посмотрите /help.", backToMenuKeyboard());
});

/** Must be the last feature: stale buttons get an alert, unknown messages a hint. */
export const fallbackFeature: Feature = { name: "fallback", composer };
