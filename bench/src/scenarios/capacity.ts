/**
 * Scenario 2 — scheduler capacity (and the data of scenario 5, memory).
 *
 * For a ladder of task counts, hold N active tasks at 1 Hz and measure the
 * scheduling lag (job.processedOn − its planned time) over a window; a step
 * "holds" when ≥ 99 % of jobs started ≤ 250 ms late (i.e. lag p99 < 250 ms, read
 * exactly at the histogram bound 0.25 s) and ≥ 95 % of N jobs/s ran.
 *
 * Ours: the real apps/worker processes over Postgres, Redis and the WB sandbox
 * (child process), tasks spread over `--credentials` portal accounts and the
 * catalog's warehouses, no slot open (every check is a full no-match check).
 * Baseline, same run: a bare BullMQ queue with N `upsertJobScheduler(every:
 * 1000)` and a no-op Worker in the same number of processes with the same
 * concurrency, on its own fresh Redis. Capacity ratio = ours / baseline.
 */
import path from "node:path";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { coreEnv, freePort, waitForHttpStatus, type PostgresServer } from "@wbslots/testkit";
import { schedulePhase } from "@wbslots/queues";
import {
  CpuMeter,
  catalog,
  createBenchDb,
  histoDelta,
  histoQuantile,
  histoShareBelow,
  histogramOf,
  counterSum,
  log,
  onCleanup,
  openQueues,
  pool,
  randomPrefix,
  round,
  rssBytes,
  scrape,
  seedAccounts,
  seedTasks,
  sleep,
  startBenchRedis,
  startBenchChild,
  startSandboxProcess,
  startWorkers,
  upsertMonitors,
  type BaselineMode,
  type BenchOptions,
  type BenchRedis,
  type Figure,
  type ScenarioResult,
  profileEnv,
} from "../harness";

/** What one ladder step measured. */
export interface StepResult {
  readonly tasks: number;
  /** Seconds to create the tasks' schedulers (not measured window). */
  readonly setupS: number;
  readonly jobsPerS: number;
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  /** Share of jobs that started ≤ 250 ms late. */
  readonly shareUnder250: number;
  readonly held: boolean;
  /** % of one core, per process and summed over the workers. */
  readonly cpu: Record<string, number>;
  /** RSS of each worker process, MB. */
  readonly workerRssMb: number[];
  readonly redisUsedMb: number;
  /** Redis commands per job in the window (Lua scripts' inner calls included), and `evalsha` (BullMQ scripts) alone. */
  readonly redisCallsPerJob: number;
  readonly redisScriptsPerJob: number;
}

/** A running side (ours or the baseline) that can grow to N tasks and be measured. */
export interface Side {
  readonly name: string;
  readonly redis: BenchRedis;
  readonly pids: Map<string, number>;
  readonly workerPids: number[];
  readonly metricsUrls: string[];
  grow(to: number): Promise<number>;
  stop(): Promise<void>;
}

const LAG = "worker_monitor_lag_seconds";
const CHECKS = "worker_monitor_checks";

async function measure(side: Side, tasks: number, setupS: number, options: BenchOptions): Promise<StepResult> {
  await sleep(options.warmup * 1000);
  const meter = new CpuMeter(side.pids);
  const before = await scrape(side.metricsUrls);
  const callsBefore = await side.redis.commandCalls();
  meter.start();
  const t0 = performance.now();
  await sleep(options.duration * 1000);
  const after = await scrape(side.metricsUrls);
  const callsAfter = await side.redis.commandCalls();
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = meter.stop();
  const lag = histoDelta(histogramOf(after, LAG), histogramOf(before, LAG));
  const jobs = counterSum(after, CHECKS) - counterSum(before, CHECKS);
  const jobsPerS = jobs / elapsed;
  const share = histoShareBelow(lag, 0.25);
  const workersCpu = Object.entries(cpu)
    .filter(([name]) => name.startsWith("worker"))
    .reduce((a, [, v]) => a + v, 0);
  const result: StepResult = {
    tasks,
    setupS: round(setupS, 1),
    jobsPerS: round(jobsPerS, 0),
    lagP50Ms: round(histoQuantile(lag, 0.5) * 1000, 0),
    lagP99Ms: round(histoQuantile(lag, 0.99) * 1000, 0),
    shareUnder250: round(share, 4),
    held: share >= 0.99 && jobsPerS >= 0.95 * tasks,
    cpu: { ...cpu, workersTotal: round(workersCpu, 1) },
    workerRssMb: side.workerPids.map((pid) => round(rssBytes(pid) / 2 ** 20, 0)),
    redisUsedMb: round((await side.redis.usedMemory()) / 2 ** 20, 1),
    // The two commandstats reads themselves (INFO) are not counted.
    redisCallsPerJob: round(jobs > 0 ? ([...callsAfter].reduce((a, [name, n]) => a + (name === "info" ? 0 : n - (callsBefore.get(name) ?? 0)), 0)) / jobs : 0, 1),
    redisScriptsPerJob: round(jobs > 0 ? ((callsAfter.get("evalsha") ?? 0) - (callsBefore.get("evalsha") ?? 0)) / jobs : 0, 2),
  };
  log(`${side.name} @${tasks}: ${result.jobsPerS} jobs/s, lag p50 ${result.lagP50Ms} ms p99 ${result.lagP99Ms} ms (≤250 ms: ${(share * 100).toFixed(2)} %), cpu ${JSON.stringify(result.cpu)}, rss ${result.workerRssMb.join("/")} MB, redis ${result.redisUsedMb} MB, redis calls/job ${result.redisCallsPerJob} (scripts ${result.redisScriptsPerJob}) → ${result.held ? "held" : "NOT held"}`);
  return result;
}

/**
 * Runs a ladder on one side: grows to each step, measures, stops after the first
 * failing step unless `full`.
 * @returns the step results
 */
async function runLadder(side: Side, ladder: readonly number[], options: BenchOptions, full: boolean): Promise<StepResult[]> {
  const out: StepResult[] = [];
  for (const n of ladder) {
    const setupS = await side.grow(n);
    const step = await measure(side, n, setupS, options);
    out.push(step);
    if (!step.held && !full) break;
  }
  return out;
}

/** Starts the product side: Redis, sandbox, database, workers; tasks are added by grow(). @returns the side */
export async function startOurs(pg: PostgresServer, options: BenchOptions, tag: string, extraEnv: Record<string, string> = {}): Promise<Side> {
  const redis = await startBenchRedis(`${tag}-ours`);
  const sandbox = await startSandboxProcess(options.logDir, tag);
  const prefix = randomPrefix(tag);
  const env = coreEnv({ databaseUrl: "", redisUrl: redis.url, sandboxUrl: sandbox.url, prefix, logLevel: "warn" });
  const db = await createBenchDb(pg, `bench_${tag}_${Date.now()}`, env.ENCRYPTION_KEY);
  env.DATABASE_URL = db.url;
  const accounts = await seedAccounts(db.repos, sandbox, options.credentials, "PORTAL_SESSION");
  const queues = openQueues(redis.url, prefix);
  const workers = await startWorkers(options.workers, { ...env, ...extraEnv }, options.concurrency, options.logDir, tag, options.built);
  const warehouses = catalog();
  let have = 0;
  const pids = new Map<string, number>([["redis", redis.pid], ["sandbox", sandbox.process.pid]]);
  workers.forEach((w, i) => pids.set(`worker${i + 1}`, w.pid));
  return {
    name: "ours",
    redis,
    pids,
    workerPids: workers.map((w) => w.pid),
    metricsUrls: workers.map((w) => w.metricsUrl),
    grow: async (to) => {
      if (to <= have) return 0;
      const started = performance.now();
      const tasks = await seedTasks(db.repos, accounts, to - have, warehouses, have);
      await upsertMonitors(queues, tasks.map((t) => t.id));
      have = to;
      return (performance.now() - started) / 1000;
    },
    stop: async () => {
      for (const w of workers) await w.stop();
      await sandbox.stop();
      await redis.stop();
    },
  };
}

async function startBaseline(options: BenchOptions, tag: string, mode: BaselineMode): Promise<Side> {
  const redis = await startBenchRedis(`${tag}-baseline`);
  const prefix = randomPrefix(`${tag}-base`);
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  connection.on("error", () => undefined);
  const queue = new Queue("monitor", { connection, prefix });
  queue.on("error", () => undefined);
  const closeQueue = onCleanup(`baseline-queue-${tag}`, async () => {
    await queue.close();
    connection.disconnect();
  });
  const children: { pid: number; url: string; stop: () => Promise<void> }[] = [];
  for (let i = 1; i <= options.workers; i += 1) {
    const port = await freePort();
    const name = `baseline-${tag}-${i}`;
    const child = startBenchChild(
      "baseline-worker",
      name,
      { REDIS_URL: redis.url, QUEUE_PREFIX: prefix, WORKER_CONCURRENCY: String(options.concurrency), BASELINE_PORT: String(port), ...profileEnv("BENCH_BASELINE_PROFILE_DIR") },
      path.join(options.logDir, `${name}.log`),
      options.built,
    );
    const stop = onCleanup(name, () => child.stop());
    children.push({ pid: child.pid, url: `http://127.0.0.1:${port}/metrics`, stop });
    await waitForHttpStatus(`http://127.0.0.1:${port}/healthz`, 60_000);
  }
  let have = 0;
  const pids = new Map<string, number>([["redis", redis.pid]]);
  children.forEach((c, i) => pids.set(`worker${i + 1}`, c.pid));
  return {
    name: `baseline-${mode}`,
    redis,
    pids,
    workerPids: children.map((c) => c.pid),
    metricsUrls: children.map((c) => c.url),
    grow: async (to) => {
      if (to <= have) return 0;
      const started = performance.now();
      const ids = Array.from({ length: to - have }, (_, i) => have + i + 1);
      await pool(ids, 64, (id) =>
        queue.upsertJobScheduler(`monitor:${id}`, mode === "offset" ? { every: 1000, offset: schedulePhase(id) } : { every: 1000 }, { name: "monitor", data: { taskId: id }, opts: { removeOnComplete: true, removeOnFail: { count: 1000, age: 3600 } } }),
      );
      have = to;
      return (performance.now() - started) / 1000;
    },
    stop: async () => {
      for (const c of children) await c.stop();
      await closeQueue();
      await redis.stop();
    },
  };
}

/** @returns the largest held step (0 when none) */
function capacityOf(steps: readonly StepResult[]): number {
  let best = 0;
  for (const step of steps) {
    if (!step.held) break;
    best = step.tasks;
  }
  return best;
}

/** Capacity steps of the last run, reused by the memory scenario (ours, and the fair baseline for its RSS). */
export let lastOursSteps: StepResult[] = [];
export let lastBaselineSteps: StepResult[] = [];

/**
 * Runs the capacity scenario: each baseline of `options.baselines` over the whole
 * ladder (so every step has a baseline to compare with), then ours.
 * @returns its table rows and raw steps
 */
export async function runCapacity(pg: PostgresServer, options: BenchOptions, alsoSteps: readonly number[] = []): Promise<ScenarioResult> {
  const started = performance.now();
  const baselines = new Map<BaselineMode, StepResult[]>();
  for (const mode of options.baselines) {
    log(`capacity: baseline (${mode === "offset" ? "offset: schedulePhase(id)" : "no offset"}) ladder ${options.ladder.join(", ")} (${options.workers} process(es) × concurrency ${options.concurrency})`);
    const side = await startBaseline(options, `cap${mode}`, mode);
    try {
      baselines.set(mode, await runLadder(side, options.ladder, options, true));
    } finally {
      await side.stop();
    }
  }
  let ours: StepResult[] = [];
  const oursSide = options.baselineOnly ? null : await startOurs(pg, options, "cap");
  if (oursSide) {
    log(`capacity: ours ladder ${options.ladder.join(", ")}`);
    try {
      // The memory scenario wants the top steps even when the lag goal already failed.
      const full = options.fullLadder || alsoSteps.length > 0;
      ours = await runLadder(oursSide, options.ladder, options, full);
    } finally {
      await oursSide.stop();
    }
  }
  // Our schedulers use `offset: schedulePhase(id)` (upsertMonitor), so the fair baseline is the offset one.
  const fairMode: BaselineMode | undefined = baselines.has("offset") ? "offset" : options.baselines[0];
  const fair = fairMode ? (baselines.get(fairMode) ?? []) : [];
  const plain = fairMode === "plain" ? undefined : baselines.get("plain");
  lastOursSteps = ours;
  lastBaselineSteps = fair;
  const capOurs = capacityOf(ours);
  const capBase = capacityOf(fair);
  const capPlain = plain ? capacityOf(plain) : null;
  const ratio = capBase > 0 ? capOurs / capBase : null;
  const baseLabel = fairMode === "offset" ? "baseline = bare BullMQ with offset" : `baseline = bare BullMQ ${fairMode ?? "—"}`;
  const figures: Figure[] = [
    {
      scenario: "capacity",
      figure: `tasks held at 1 Hz, lag p99 < 250 ms (${baseLabel}${capPlain === null ? "" : `; without offset: ${capPlain}`})`,
      ours: options.baselineOnly ? null : capOurs,
      baseline: capBase,
      ratio: ratio === null ? null : round(ratio, 2),
      unit: "tasks",
      goal: "≥ 10000 and ≥ 0.7 × baseline",
      met: options.baselineOnly ? null : capOurs >= 10_000 && ratio !== null && ratio >= 0.7,
    },
  ];
  const plainText = (step: StepResult | undefined): string => (step ? `; no offset ${step.jobsPerS} jobs/s, p99 ${step.lagP99Ms} ms` : "");
  for (const n of options.ladder) {
    const step = ours.find((s) => s.tasks === n);
    const base = fair.find((b) => b.tasks === n);
    if (!step && !base) continue;
    const p = plain?.find((b) => b.tasks === n);
    figures.push({
      scenario: "capacity",
      figure: `checks/s @${n} (baseline jobs/s with offset${plainText(p)})`,
      ours: step?.jobsPerS ?? null,
      baseline: base?.jobsPerS ?? null,
      ratio: step && base && base.jobsPerS > 0 ? round(step.jobsPerS / base.jobsPerS, 2) : null,
      unit: "/s",
      goal: `≥ ${Math.round(0.95 * n)}`,
      met: step ? step.jobsPerS >= 0.95 * n : null,
    });
    figures.push({
      scenario: "capacity",
      figure: `lag p99 @${n} (≤ 250 ms: ${step ? `${round(step.shareUnder250 * 100, 1)} %` : "—"} vs ${base ? `${round(base.shareUnder250 * 100, 1)} %` : "—"})`,
      ours: step?.lagP99Ms ?? null,
      baseline: base?.lagP99Ms ?? null,
      ratio: null,
      unit: "ms",
      goal: "< 250 ms",
      met: step ? step.held : null,
    });
    figures.push({
      scenario: "capacity",
      figure: `CPU workers + redis @${n}`,
      ours: step ? `${step.cpu.workersTotal}% + ${step.cpu.redis}%` : null,
      baseline: base ? `${base.cpu.workersTotal}% + ${base.cpu.redis}%` : null,
      unit: "% of a core",
    });
  }
  return {
    scenario: "capacity",
    figures,
    details: { ours, baselines: Object.fromEntries(baselines), fairBaseline: fairMode, capacityOurs: capOurs, capacityBaseline: capBase, capacityBaselinePlain: capPlain, ratio, built: options.built },
    durationS: round((performance.now() - started) / 1000, 0),
  };
}
