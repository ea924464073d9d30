/**
 * A profiling aid (not part of `pnpm bench`): starts the product side of the
 * capacity scenario with N tasks, prints the worker's monitor metrics after a
 * while and, with `--cpu-prof`, writes V8 CPU profiles of the worker processes
 * to bench/results/profiles/ on exit.
 *
 *   node --import tsx bench/src/profile.ts [tasks=1000] [seconds=20] [--cpu-prof] [--built]
 *
 * `--built` profiles `apps/worker/dist/main.js` (run `pnpm build` first) instead of the TypeScript source.
 */
import fs from "node:fs";
import path from "node:path";
import { Redis } from "ioredis";
import { repoRoot, startEmbeddedPostgres } from "@wbslots/testkit";
import { cleanupAll, log, makeLogDir, onCleanup, parseProm, scrape, sleep, type BenchOptions } from "./harness";
import { startOurs } from "./scenarios/capacity";

const args = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const tasks = Number(args[0] ?? 1000);
const seconds = Number(args[1] ?? 20);
const cpuProf = process.argv.includes("--cpu-prof");
const profDir = path.join(repoRoot, "bench", "results", "profiles");
if (cpuProf) fs.mkdirSync(profDir, { recursive: true });

const options: BenchOptions = {
  scenarios: [],
  tasks: [tasks],
  ladder: [tasks],
  duration: seconds,
  warmup: 5,
  workers: Number(process.env.BENCH_WORKERS ?? 1),
  concurrency: Number(process.env.BENCH_CONCURRENCY ?? 50),
  credentials: Number(process.env.BENCH_CREDENTIALS ?? 10),
  slots: 0,
  catchRuns: 1,
  connections: 0,
  repeats: 1,
  fullLadder: false,
  baselines: ["offset"],
  baselineOnly: false,
  // The profiler hook is TypeScript: NODE_OPTIONS below loads tsx for it either way.
  built: process.argv.includes("--built"),
  logDir: makeLogDir(),
};

try {
  const pg = await startEmbeddedPostgres();
  onCleanup("postgres", () => pg.stop());
  const profiler = path.join(repoRoot, "bench/src/children/cpu-profiler.ts");
  const side = await startOurs(pg, options, "prof", cpuProf ? { NODE_OPTIONS: `--import tsx --import ${profiler}`, BENCH_PROFILE_DIR: profDir, BENCH_PROFILE_START_MS: "8000", BENCH_PROFILE_MS: String(Math.max(5, seconds - 10) * 1000) } : {});
  const setup = await side.grow(tasks);
  log(`${tasks} tasks set up in ${setup.toFixed(1)} s; logs in ${options.logDir}`);
  for (let t = 0; t < seconds; t += 5) {
    await sleep(5000);
    const texts = await scrape(side.metricsUrls);
    const pick = texts.flatMap((text) => parseProm(text)).filter((s) => /^(worker_monitor_checks_total|worker_snapshot_fetches_total|wb_reads_total|worker_monitor_lag_seconds_count|worker_monitor_lag_seconds_sum|wb_request_duration_seconds_count|wb_request_duration_seconds_sum|worker_queue_depth|nodejs_eventloop_lag_p99_seconds|process_cpu_seconds_total)$/.test(s.name));
    log(pick.map((s) => `${s.name}${JSON.stringify(s.labels)}=${s.value}`).join("\n  "));
  }
  // Redis commands per monitor check: what a check costs on the wire, beside BullMQ's own.
  const inspect = new Redis(side.redis.url);
  const stats = await inspect.info("commandstats");
  inspect.disconnect();
  log(`redis commandstats after ${seconds} s:\n  ${stats.split("\n").filter((l) => l.startsWith("cmdstat_")).sort((a, b) => Number(/calls=(\d+)/.exec(b)?.[1]) - Number(/calls=(\d+)/.exec(a)?.[1])).slice(0, 25).join("\n  ")}`);
  await side.stop();
} finally {
  await cleanupAll();
}
