/**
 * The worker process: `pnpm start:worker` (built) or `pnpm --filter @wbslots/worker dev`.
 * Builds every dependency from the environment, starts the jobs, serves
 * /metrics and /healthz on WORKER_METRICS_PORT (> 0), and shuts down gracefully
 * on SIGTERM/SIGINT: stop taking jobs, finish the ones in flight, write the
 * buffered checks, close connections.
 */
import closeWithGrace from "close-with-grace";
import { loadConfigOrExit, workerSchema } from "@wbslots/config";
import { parseMasterKey } from "@wbslots/crypto";
import { createRepositories } from "@wbslots/db";
import { createLogger } from "@wbslots/logger";
import { createQueues, createRedisConnection } from "@wbslots/queues";
import { createWbClients } from "@wbslots/wb";
import { createWorkerApp } from "./app";
import { startMetricsServer, type MetricsServer } from "./http";
import { createWorkerMetrics } from "./metrics";
import { createRedistributeProcessor } from "./redistribution";

async function main(): Promise<void> {
  const config = loadConfigOrExit(workerSchema);
  const logger = createLogger({ level: config.LOG_LEVEL, name: "worker" });
  const repos = createRepositories({ databaseUrl: config.DATABASE_URL, masterKey: parseMasterKey(config.ENCRYPTION_KEY), poolSize: 20 });
  const bullmq = createRedisConnection(config.REDIS_URL, "worker");
  const cache = createRedisConnection(config.REDIS_URL, "worker");
  const queues = createQueues(bullmq, config.QUEUE_PREFIX);
  const metrics = createWorkerMetrics({ defaultMetrics: true });
  const wb = createWbClients({
    logger,
    redis: cache,
    keyPrefix: config.QUEUE_PREFIX,
    urls: { common: config.WB_COMMON_API_URL, supplies: config.WB_SUPPLIES_API_URL, sellerSupply: config.WB_SELLER_SUPPLY_URL, seller: config.WB_SELLER_URL },
    metrics: { onRequest: (event) => metrics.onWbRequest(event) },
  });
  const redistribute = createRedistributeProcessor({ repos, wb, queues, logger, redis: cache, keyPrefix: config.QUEUE_PREFIX });
  const app = createWorkerApp({ config, logger, repos, redis: { bullmq, cache }, wb, queues, metrics, redistribute, options: { selfHealEveryMs: config.WORKER_SELF_HEAL_MS } });
  let server: MetricsServer | null = null;

  closeWithGrace({ delay: 30_000, logger: { error: (message: unknown) => logger.error({ message }, "shutdown") } }, async ({ signal, err }) => {
    if (err) logger.error({ err }, "worker crashed; shutting down");
    else logger.info({ signal }, "worker shutting down");
    await app.close();
    await server?.close();
    await queues.close();
    await wb.close();
    await repos.close();
    bullmq.disconnect();
    cache.disconnect();
    logger.info("worker stopped");
  });

  await app.start();
  if (config.WORKER_METRICS_PORT > 0) {
    server = await startMetricsServer({ port: config.WORKER_METRICS_PORT, registry: metrics.registry });
    logger.info({ port: server.port }, "metrics on /metrics, health on /healthz");
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`worker failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
