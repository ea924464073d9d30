import { Telegraf, type Composer } from "telegraf";
import { BotContext } from "./context";
import type { BotDeps } from "./deps";
import { handleBotError } from "./errors";
import { loadSender, type TaskPageRequest } from "./hot-reads";

/** A feature: one composer with the commands, callbacks and wizard steps of one screen. */
export interface Feature {
  readonly name: string;
  readonly composer: Composer<BotContext>;
  /**
   * The task page this update will show, if the feature knows it from the update
   * alone: it is then read in the same statement as the sender (hot-reads.ts).
   */
  readonly prefetchTaskPage?: (ctx: BotContext) => TaskPageRequest | null;
}

/**
 * Builds the Telegraf bot with every feature. Order: the context middleware
 * (child logger, first-contact registration, conversation), then features in
 * the given order; each feature's text handler acts only inside its own scene
 * (`ctx.inScene(...)`) and calls `next()` otherwise. Errors end in
 * {@link handleBotError} (apology with an error id; stale buttons get an alert).
 * @returns the bot (not launched: updates arrive through the webhook route)
 */
export function createBot(deps: BotDeps, features: readonly Feature[]): Telegraf<BotContext> {
  const bot = new Telegraf<BotContext>(deps.config.TELEGRAM_BOT_TOKEN, {
    contextType: BotContext,
    telegram: { apiRoot: deps.config.TELEGRAM_API_ROOT, webhookReply: false },
    handlerTimeout: 20_000,
  });
  bot.context.deps = deps;
  const prefetchers = features.flatMap((feature) => (feature.prefetchTaskPage ? [feature.prefetchTaskPage] : []));
  bot.catch(handleBotError);
  bot.use(async (ctx, next) => {
    // Telegraf gives each update a Telegram of its own: it calls the Bot API the way
    // bot.telegram does (the undici transport once createBotApp installed it).
    if (ctx.telegram !== bot.telegram) ctx.telegram.callApi = bot.telegram.callApi;
    if (ctx.from && !ctx.from.is_bot) {
      const userId = BigInt(ctx.from.id);
      // One round trip for the common case: a registered user and their wizard step.
      let taskPage: TaskPageRequest | null = null;
      for (const prefetch of prefetchers) taskPage ??= prefetch(ctx);
      const known = await loadSender(deps.repos.pool, userId, taskPage);
      if (taskPage && known?.taskPage) ctx.prefetchedTaskPage = { request: taskPage, rows: known.taskPage };
      if (!known) {
        const { created } = await deps.repos.users.register(
          { id: userId, username: ctx.from.username ?? null, firstName: ctx.from.first_name },
          deps.config.TRIAL_BOOKINGS,
        );
        if (created) {
          ctx.isNewUser = true;
          await deps.repos.operations.log(userId, "user.registered", { trialBookings: deps.config.TRIAL_BOOKINGS });
        }
      }
      ctx.conversation = known ? known.conversation : await deps.repos.conversations.get(userId);
    }
    await next();
  });
  for (const feature of features) bot.use(feature.composer);
  return bot;
}
