import { Composer } from "telegraf";
import { helpText, startText } from "@wbslots/domain";
import type { BotContext } from "../context";
import type { Feature } from "../create-bot";
import { MENU, backToMenuKeyboard, mainMenuKeyboard } from "../menu";

const composer = new Composer<BotContext>();

/** Sends the welcome text with the free catches left and the main menu. */
async function showStart(ctx: BotContext): Promise<void> {
  const { trial, paid } = await ctx.deps.repos.users.catches(ctx.userId);
  const balance = paid > 0 ? `\n💳 Оплаченных поставок: ${paid}` : "";
  const text = `${startText({ trialBookings: trial })}\n\n🎁 Бесплатных поставок осталось: <b>${trial}</b>${balance}`;
  await ctx.reply(text, { parse_mode: "HTML", ...mainMenuKeyboard() });
}

composer.start(async (ctx) => {
  if (ctx.conversation) await ctx.leave();
  const { created } = await ctx.deps.repos.users.register(
    { id: ctx.userId, username: ctx.from.username ?? null, firstName: ctx.from.first_name },
    ctx.deps.config.TRIAL_BOOKINGS,
  );
  if (created) await ctx.deps.repos.operations.log(ctx.userId, "user.registered", { trialBookings: ctx.deps.config.TRIAL_BOOKINGS });
  await showStart(ctx);
});

composer.action(MENU.main, async (ctx) => {
  await ctx.answerCbQuery();
  if (ctx.conversation) await ctx.leave();
  await showStart(ctx);
});

composer.help(async (ctx) => {
  await ctx.reply(helpText(), { parse_mode: "HTML", ...backToMenuKeyboard() });
});

composer.action(MENU.help, async (ctx) => {
  await ctx.answerCbQuery();
  await ctx.reply(helpText(), { parse_mode: "HTML", ...backToMenuKeyboard() });
});

/** /start (registration, welcome, main menu), /help and the menu's «Помощь» / «Меню» buttons. */
export const startFeature: Feature = { name: "start", composer };
