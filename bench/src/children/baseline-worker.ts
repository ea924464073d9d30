/**
 * The bare BullMQ baseline of the capacity scenario, run as its own process:
 * one no-op Worker on queue `monitor` (same prefix scheme and concurrency as the
 * product's worker), measuring the same lag the product's worker measures
 * (`processedOn − (timestamp + delay)`) into the same histogram buckets, served as
 * Prometheus text on BASELINE_PORT (`/metrics`) and `/healthz`.
 *
 * Env: REDIS_URL, QUEUE_PREFIX, WORKER_CONCURRENCY, BASELINE_PORT.
 */
import http from "node:http";
import { Worker } from "bullmq";
import { Redis } from "ioredis";

const BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5];

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`${name} is required\n`);
    process.exit(1);
  }
  return value;
}

const redisUrl = required("REDIS_URL");
const prefix = required("QUEUE_PREFIX");
const concurrency = Number(required("WORKER_CONCURRENCY"));
const port = Number(required("BASELINE_PORT"));

const counts = new Array<number>(BUCKETS.length + 1).fill(0);
let total = 0;
let sum = 0;

const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
connection.on("error", () => undefined);
const worker = new Worker(
  "monitor",
  async (job) => {
    if (job.processedOn) {
      const lag = Math.max(0, job.processedOn - (job.timestamp + (job.opts.delay ?? 0))) / 1000;
      let i = BUCKETS.findIndex((le) => lag <= le);
      if (i < 0) i = BUCKETS.length;
      counts[i] = (counts[i] ?? 0) + 1;
      total += 1;
      sum += lag;
    }
  },
  { connection, prefix, concurrency, stalledInterval: 3000 },
);
worker.on("error", () => undefined);

function metrics(): string {
  const lines: string[] = [];
  let cumulative = 0;
  BUCKETS.forEach((le, i) => {
    cumulative += counts[i] ?? 0;
    lines.push(`worker_monitor_lag_seconds_bucket{le="${le}"} ${cumulative}`);
  });
  lines.push(`worker_monitor_lag_seconds_bucket{le="+Inf"} ${total}`);
  lines.push(`worker_monitor_lag_seconds_sum ${sum}`);
  lines.push(`worker_monitor_lag_seconds_count ${total}`);
  lines.push(`worker_monitor_checks_total{result="noop"} ${total}`);
  return `${lines.join("\n")}\n`;
}

const server = http.createServer((req, res) => {
  if (req.url === "/healthz") res.writeHead(200).end("ok");
  else if (req.url === "/metrics") res.writeHead(200, { "content-type": "text/plain" }).end(metrics());
  else res.writeHead(404).end();
});
server.listen(port, "127.0.0.1");

const shutdown = (): void => {
  void worker
    .close()
    .catch(() => undefined)
    .finally(() => {
      connection.disconnect();
      server.close();
      process.exit(0);
    });
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
