/**
 * The recording fake Bot API of @wbslots/testkit as its own process, so its CPU
 * does not share an event loop with the load generator. Prints `READY <apiRoot>`.
 * Recorded calls are dropped every second (the bench does not read them).
 *
 * Env: TELEGRAM_BOT_TOKEN.
 */
import { startFakeTelegram } from "@wbslots/testkit";

const token = process.env.TELEGRAM_BOT_TOKEN;
if (!token) {
  process.stderr.write("TELEGRAM_BOT_TOKEN is required\n");
  process.exit(1);
}
const telegram = await startFakeTelegram({ token });
const timer = setInterval(() => telegram.reset(), 1000);
process.stdout.write(`READY ${telegram.apiRoot}\n`);

const shutdown = (): void => {
  clearInterval(timer);
  void telegram.close().finally(() => process.exit(0));
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
