import { Composer } from "telegraf";
import type { BotContext } from "../context";
import type { Feature } from "../create-bot";

const composer = new Composer<BotContext>();

composer.command("redistribute", async (ctx) => {
  await ctx.reply("Раздел в разработке.");
});

/** The /redistribute feature. */
export const redistributeFeature: Feature = { name: "redistribute", composer };
