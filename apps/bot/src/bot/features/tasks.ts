import { Composer } from "telegraf";
import type { BotContext } from "../context";
import type { Feature } from "../create-bot";

const composer = new Composer<BotContext>();

composer.command("tasks", async (ctx) => {
  await ctx.reply("Раздел в разработке.");
});

/** The /tasks feature. */
export const tasksFeature: Feature = { name: "tasks", composer };
