import closeWithGrace from "close-with-grace";
import { botSchema, loadConfigOrExit } from "@wbslots/config";
import { createLogger } from "@wbslots/logger";
import { createBotApp, createBotDeps } from "./app";
import { BOT_COMMANDS } from "./commands";
import { WEBHOOK_PATH } from "./webhook";

/** The bot process: config, deps, commands, webhook, sender, HTTP, graceful shutdown. */
async function main(): Promise<void> {
  const config = loadConfigOrExit(botSchema);
  const logger = createLogger({ level: config.LOG_LEVEL, name: "bot" });
  const owned = createBotDeps(config, logger);
  const app = await createBotApp(owned.deps, { defaultMetrics: true });
  const telegram = app.bot.telegram;

  try {
    app.bot.botInfo = await telegram.getMe();
    await telegram.setMyCommands([...BOT_COMMANDS]);
    if (config.PUBLIC_URL) {
      const url = new URL(WEBHOOK_PATH, config.PUBLIC_URL).toString();
      await telegram.setWebhook(url, { secret_token: config.TELEGRAM_WEBHOOK_SECRET, allowed_updates: ["message", "callback_query", "pre_checkout_query"] });
      logger.info({ url }, "webhook set");
    }
  } catch (error) {
    // Telegram unreachable at start: serve anyway (the webhook keeps its last setting).
    logger.error({ err: error }, "Telegram setup failed (getMe/setMyCommands/setWebhook)");
  }

  const address = await app.server.listen({ host: config.HOST, port: config.PORT });
  logger.info({ address }, "bot listening");

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) logger.error({ err }, "shutting down after an error");
    else logger.info({ signal }, "shutting down");
    await app.close();
    await owned.close();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bot failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
