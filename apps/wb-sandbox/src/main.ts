/**
 * The WB sandbox process: `pnpm start:wb-sandbox` (built) or `pnpm --filter @wbslots/wb-sandbox dev`.
 */
import { loadConfigOrExit, sandboxSchema } from "@wbslots/config";
import { createLogger } from "@wbslots/logger";
import { startSandbox } from "./index";

const config = loadConfigOrExit(sandboxSchema);
const logger = createLogger({ name: "wb-sandbox", level: config.LOG_LEVEL });
const sandbox = await startSandbox({
  port: config.WB_SANDBOX_PORT,
  host: config.WB_SANDBOX_HOST,
  logger,
  ...(config.WB_SANDBOX_SEED === undefined ? {} : { seed: config.WB_SANDBOX_SEED }),
});
logger.info({ url: sandbox.url, seed: config.WB_SANDBOX_SEED ?? null }, `WB sandbox listening on ${sandbox.url}`);

const shutdown = (): void => {
  void sandbox.close().then(() => process.exit(0));
};
process.once("SIGINT", shutdown);
process.once("SIGTERM", shutdown);
