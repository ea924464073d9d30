import { Composer } from "telegraf";
import type { BotContext } from "../context";
import type { Feature } from "../create-bot";

const composer = new Composer<BotContext>();

composer.command("monitor", async (ctx) => {
  await ctx.reply("Раздел в разработке.");
});

/** The /monitor feature. */
export const monitorFeature: Feature = { name: "monitor", composer };
