/**
 * Shared harness of the benchmarks: process bookkeeping (every child we start is
 * stopped by its PID, also on Ctrl+C and errors), /proc readings (CPU, RSS),
 * Prometheus text parsing, percentiles, the WB sandbox as a child process, worker
 * processes, bulk seeding of users / credentials / tasks, and the result rows.
 * Network: 127.0.0.1 only.
 */
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { parseMasterKey } from "@wbslots/crypto";
import { createRepositories, type Repositories } from "@wbslots/db";
import { createQueues, upsertMonitor, type Queues } from "@wbslots/queues";
import {
  createMigratedDatabase,
  freePort,
  repoRoot,
  startNodeProcess,
  productionCommand,
  startRedis,
  startTsProcess,
  waitForHttpStatus,
  type CoreEnv,
  type ManagedProcess,
  type PostgresServer,
  type RedisServer,
} from "@wbslots/testkit";

// ---------------------------------------------------------------- results

/** One row of the printed table (and of the JSON). */
export interface Figure {
  /** Scenario name (`catch`, `capacity`, …). */
  readonly scenario: string;
  /** What was measured, with its parameters (e.g. `latency p99 @1000 tasks`). */
  readonly figure: string;
  /** Our value (number in `unit`, or a text). */
  readonly ours: number | string | null;
  /** The bare baseline measured in the same run, when the scenario has one. */
  readonly baseline?: number | string | null;
  /** ours / baseline where meaningful. */
  readonly ratio?: number | null;
  readonly unit?: string;
  /** The goal in words (e.g. `≤ 0.8 s`), empty when the figure is informative only. */
  readonly goal?: string;
  /** Whether the goal is met; null when there is no goal or no value. */
  readonly met?: boolean | null;
}

/** Everything one scenario reports: table rows plus raw details for the JSON. */
export interface ScenarioResult {
  readonly scenario: string;
  readonly figures: Figure[];
  readonly details: Record<string, unknown>;
  readonly durationS: number;
}

/** Options every scenario reads (from the command line). */
export interface BenchOptions {
  readonly scenarios: readonly string[];
  /** Task counts for catch latency and upstream economy. */
  readonly tasks: readonly number[];
  /** Task-count ladder for scheduler capacity. */
  readonly ladder: readonly number[];
  /** Measured window per step, seconds. */
  readonly duration: number;
  /** Warm-up before each measured window, seconds. */
  readonly warmup: number;
  /** Worker processes (ours and the baseline). */
  readonly workers: number;
  /** BullMQ concurrency of each worker process (ours and the baseline). */
  readonly concurrency: number;
  /** WB accounts (credentials) the tasks are spread over. */
  readonly credentials: number;
  /** Slot openings per catch-latency run. */
  readonly slots: number;
  /** Catch-latency runs per task count (fresh sandbox, Redis and workers each); percentiles over all their slots. */
  readonly catchRuns: number;
  /** Concurrent connections of the webhook load. */
  readonly connections: number;
  /** Repetitions of cheap measurements (webhook); the median is reported. */
  readonly repeats: number;
  /** Continue the capacity ladder after the first failing step. */
  readonly fullLadder: boolean;
  /**
   * Capacity baselines to run, in this order: `offset` = schedulers `{every: 1000, offset: id mod 1000}`
   * (what `upsertMonitor` does; the fair baseline, ratios are against it), `plain` = `{every: 1000}`.
   */
  readonly baselines: readonly BaselineMode[];
  /** Run the worker and the bot as production JS (`apps/<app>/dist/main.js`, NODE_ENV=production) instead of tsx; the bench's own children (baseline worker, bare server) then run as built JS too (bench/dist). */
  readonly built: boolean;
  /** Capacity: run the baseline ladder only. */
  readonly baselineOnly: boolean;
  /** Keep log files of child processes here. */
  readonly logDir: string;
}

/** Scheduler shape of a capacity baseline: with `offset: id mod 1000` or without. */
export type BaselineMode = "offset" | "plain";

// ---------------------------------------------------------------- entry points

/**
 * Starts an app under test: `pnpm start:<app>`'s command (its variables, node
 * flags and `apps/<app>/dist/main.js`) with NODE_ENV=production, as the Docker
 * images run it, when `built`, else
 * `node --import tsx apps/<app>/src/main.ts`.
 * @returns the managed process
 */
export function startApp(app: "worker" | "bot", name: string, env: Record<string, string>, logFile: string, built: boolean): ManagedProcess {
  if (!built) return startTsProcess(name, `apps/${app}/src/main.ts`, env, logFile);
  // Exactly `pnpm start:<app>`: its variables (e.g. MALLOC_ARENA_MAX) and node flags (heap sizes).
  const command = productionCommand(app);
  return startNodeProcess(name, [...command.nodeArgs, path.join(repoRoot, command.script)], { NODE_ENV: "production", ...command.env, ...env }, logFile);
}

/** Children of the bench that are baselines (must run like the app they are compared with). */
export type BenchChild = "baseline-worker" | "bare-server" | "floor-server";

/** Where `buildBenchChildren` writes the built baselines. */
export const BENCH_DIST = path.join(repoRoot, "bench", "dist");

/**
 * Starts a baseline child of the bench: `node bench/dist/<child>.js` with
 * NODE_ENV=production when `built` (see buildBenchChildren; the baseline worker
 * with the worker's production flags), else through tsx.
 * @returns the managed process
 */
export function startBenchChild(child: BenchChild, name: string, env: Record<string, string>, logFile: string, built: boolean): ManagedProcess {
  if (!built) return startTsProcess(name, `bench/src/children/${child}.ts`, env, logFile);
  // The no-op worker runs with the real worker's runtime flags: memory is compared like for like.
  const runtime = child === "baseline-worker" ? productionCommand("worker") : { env: {}, nodeArgs: [] };
  return startNodeProcess(name, [...runtime.nodeArgs, path.join(BENCH_DIST, `${child}.js`)], { NODE_ENV: "production", ...runtime.env, ...env }, logFile);
}

/**
 * Bundles the baseline children to plain ESM JS in bench/dist with tsup (npm
 * dependencies of bench/package.json stay external, resolved from bench/node_modules),
 * so a built worker / bot is compared with a built baseline.
 */
export function buildBenchChildren(): void {
  const tsup = path.join(repoRoot, "node_modules", ".bin", "tsup");
  const entries = (["baseline-worker", "bare-server", "floor-server"] as const).map((c) => `src/children/${c}.ts`);
  execFileSync(tsup, [...entries, "--format", "esm", "--platform", "node", "--target", "node20", "--out-dir", "dist", "--silent"], { cwd: path.join(repoRoot, "bench"), stdio: ["ignore", "ignore", "inherit"] });
}

// ---------------------------------------------------------------- cleanup

type Cleanup = { readonly name: string; readonly run: () => Promise<unknown> };
const cleanups: Cleanup[] = [];
let signalsHooked = false;

/**
 * Registers something to stop at the end (LIFO), on an error, or on Ctrl+C.
 * @returns a function that runs and unregisters it now
 */
export function onCleanup(name: string, run: () => Promise<unknown>): () => Promise<void> {
  const entry: Cleanup = { name, run };
  cleanups.push(entry);
  hookSignals();
  return async () => {
    const index = cleanups.indexOf(entry);
    if (index < 0) return;
    cleanups.splice(index, 1);
    await safely(entry);
  };
}

async function safely(entry: Cleanup): Promise<void> {
  try {
    await withTimeout(entry.run(), 20_000, `stopping ${entry.name}`);
  } catch (error) {
    process.stderr.write(`cleanup ${entry.name}: ${String(error)}\n`);
  }
}

/** Runs every registered cleanup, newest first. */
export async function cleanupAll(): Promise<void> {
  while (cleanups.length > 0) {
    const entry = cleanups.pop();
    if (entry) await safely(entry);
  }
}

function hookSignals(): void {
  if (signalsHooked) return;
  signalsHooked = true;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping every process the bench started…\n`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
}

/**
 * Rejects when `promise` takes longer than `ms`.
 * @returns the promise's value
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Prints a progress line to stderr (the table goes to stdout). */
export function log(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

// ---------------------------------------------------------------- statistics

/**
 * Nearest-rank percentile of an ascending array.
 * @returns the value, or NaN for an empty array
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** p50 / p95 / p99 / max of a sample. */
export interface Summary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** @returns the summary of `values` (any order) */
export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : Number.NaN;
  return { n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN, mean };
}

/** @returns the median of `values` (NaN when empty) */
export function median(values: readonly number[]): number {
  return percentile([...values].sort((a, b) => a - b), 50);
}

/** Rounds for display and JSON. @returns the rounded number */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

// ---------------------------------------------------------------- /proc

let clockTicks: number | null = null;

/** @returns the kernel's clock ticks per second (`getconf CLK_TCK`, usually 100) */
export function ticksPerSecond(): number {
  if (clockTicks !== null) return clockTicks;
  try {
    clockTicks = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    clockTicks = 100;
  }
  return clockTicks;
}

/**
 * CPU time a process has used so far (utime + stime of /proc/PID/stat).
 * @returns seconds, or NaN when the process is gone
 */
export function cpuSeconds(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may contain spaces: fields are counted after the closing ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / ticksPerSecond();
  } catch {
    return Number.NaN;
  }
}

/** @returns the resident set size of a process in bytes (VmRSS), NaN when gone */
export function rssBytes(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match?.[1] ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time used so far by each Postgres server process (command name `postgres`:
 * the postmaster and its backends), by PID. A meter sums per-PID differences, so a
 * backend that exits between two readings takes none of the others' time with it.
 * @returns seconds by PID
 */
export function postgresCpuSeconds(): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")")) !== "postgres") continue;
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      byPid.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / ticksPerSecond());
    } catch {
      // The process ended while we listed /proc.
    }
  }
  return byPid;
}

/**
 * Busy CPU time of the whole machine so far, all cores (/proc/stat: every state but idle and iowait).
 * @returns seconds
 */
export function machineBusySeconds(): number {
  const line = fs.readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / ticksPerSecond();
}

/** What a {@link CpuMeter} reads: a PID, CPU seconds so far, or CPU seconds so far by PID. */
export type CpuSource = number | (() => number) | (() => ReadonlyMap<number, number>);

/**
 * A CPU meter over named sources — a PID, or a function returning CPU seconds
 * used so far, in all or by PID ({@link machineBusySeconds}, {@link postgresCpuSeconds}):
 * call `start()`, later `stop()` for % of one core per source. For a by-PID source
 * a process seen only at `stop()` counts from 0 and one gone by then is left out
 * (its last seconds are lost, never subtracted).
 */
export class CpuMeter {
  private startAt = 0;
  private readonly startCpu = new Map<string, number | ReadonlyMap<number, number>>();

  constructor(private readonly sources: ReadonlyMap<string, CpuSource>) {}

  private static read(source: CpuSource): number | ReadonlyMap<number, number> {
    return typeof source === "number" ? cpuSeconds(source) : source();
  }

  private static used(before: number | ReadonlyMap<number, number> | undefined, after: number | ReadonlyMap<number, number>): number {
    if (typeof after === "number") return typeof before === "number" ? after - before : Number.NaN;
    let total = 0;
    for (const [pid, seconds] of after) total += seconds - (before instanceof Map ? (before.get(pid) ?? 0) : 0);
    return total;
  }

  /** Remembers the current CPU times. */
  start(): void {
    this.startAt = performance.now();
    for (const [name, source] of this.sources) this.startCpu.set(name, CpuMeter.read(source));
  }

  /** @returns % of one core used by each named source since start() */
  stop(): Record<string, number> {
    const elapsed = (performance.now() - this.startAt) / 1000;
    const out: Record<string, number> = {};
    for (const [name, source] of this.sources) out[name] = round((100 * CpuMeter.used(this.startCpu.get(name), CpuMeter.read(source))) / elapsed, 1);
    return out;
  }
}

// ---------------------------------------------------------------- Prometheus

/** One parsed sample line. */
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

/** @returns every sample of a Prometheus text exposition */
export function parseProm(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match?.[1] || match[4] === undefined) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[3] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) if (pair[1]) labels[pair[1]] = pair[2] ?? "";
    out.push({ name: match[1], labels, value: Number(match[4]) });
  }
  return out;
}

/** Cumulative histogram buckets (upper bound → count) plus count and sum. */
export interface Histo {
  readonly buckets: Map<number, number>;
  count: number;
  sum: number;
}

/** @returns the histogram `name` summed over every label set and every text */
export function histogramOf(texts: readonly string[], name: string): Histo {
  const histo: Histo = { buckets: new Map(), count: 0, sum: 0 };
  for (const text of texts) {
    for (const s of parseProm(text)) {
      if (s.name === `${name}_bucket`) {
        const le = s.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(s.labels.le);
        histo.buckets.set(le, (histo.buckets.get(le) ?? 0) + s.value);
      } else if (s.name === `${name}_count`) histo.count += s.value;
      else if (s.name === `${name}_sum`) histo.sum += s.value;
    }
  }
  return histo;
}

/** @returns `later − earlier`, bucket by bucket */
export function histoDelta(later: Histo, earlier: Histo): Histo {
  const buckets = new Map<number, number>();
  for (const [le, count] of later.buckets) buckets.set(le, count - (earlier.buckets.get(le) ?? 0));
  return { buckets, count: later.count - earlier.count, sum: later.sum - earlier.sum };
}

/**
 * A quantile from cumulative buckets, linearly interpolated inside the bucket
 * (what Prometheus' histogram_quantile does).
 * @returns the value, NaN when empty
 */
export function histoQuantile(histo: Histo, q: number): number {
  if (histo.count <= 0) return Number.NaN;
  const rank = q * histo.count;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of [...histo.buckets].sort((a, b) => a[0] - b[0])) {
    if (count >= rank) {
      if (!Number.isFinite(le)) return prevLe;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / Math.max(1, count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** @returns the share of observations ≤ `le` (which must be a bucket bound) */
export function histoShareBelow(histo: Histo, le: number): number {
  if (histo.count <= 0) return Number.NaN;
  return (histo.buckets.get(le) ?? Number.NaN) / histo.count;
}

/** @returns the sum of every sample of counter `name` whose labels include `match` */
export function counterSum(texts: readonly string[], name: string, match: Record<string, string> = {}): number {
  let total = 0;
  for (const text of texts) {
    for (const s of parseProm(text)) {
      if (s.name !== name && s.name !== `${name}_total`) continue;
      if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) total += s.value;
    }
  }
  return total;
}

// ---------------------------------------------------------------- pieces

/**
 * Profiling aid: with the environment variable `dirVariable` set (BENCH_SANDBOX_PROFILE_DIR,
 * BENCH_BASELINE_PROFILE_DIR), that child writes a V8 CPU profile of 10 s starting 12 s after
 * its start into that directory (children/cpu-profiler.ts; TypeScript children only, not `--built`).
 * @returns the extra environment of the child
 */
export function profileEnv(dirVariable: string): Record<string, string> {
  const dir = process.env[dirVariable];
  if (!dir) return {};
  return { NODE_OPTIONS: `--import tsx --import ${path.join(repoRoot, "bench/src/children/cpu-profiler.ts")}`, BENCH_PROFILE_DIR: dir, BENCH_PROFILE_START_MS: "12000", BENCH_PROFILE_MS: "10000" };
}

/** A WB sandbox running as a child process (its CPU is then not the bench's). */
export interface SandboxProcess {
  readonly url: string;
  readonly process: ManagedProcess;
  /** Calls the admin API. @returns the parsed JSON answer */
  admin<T>(method: "GET" | "POST" | "DELETE", route: string, body?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/**
 * Starts apps/wb-sandbox/src/main.ts on a free loopback port.
 * @returns the running sandbox
 */
export async function startSandboxProcess(logDir: string, tag: string): Promise<SandboxProcess> {
  const port = await freePort();
  const child = startTsProcess(`wb-sandbox-${tag}`, "apps/wb-sandbox/src/main.ts", { WB_SANDBOX_PORT: String(port), WB_SANDBOX_HOST: "127.0.0.1", LOG_LEVEL: "warn", ...profileEnv("BENCH_SANDBOX_PROFILE_DIR") }, path.join(logDir, `wb-sandbox-${tag}.log`));
  const stop = onCleanup(`wb-sandbox-${tag}`, () => child.stop());
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForChild(child, waitForHttpStatus(`${url}/__sandbox/health`, 60_000));
  } catch (error) {
    await stop();
    throw new Error(`${String(error)}\n${child.output().slice(-2000)}`);
  }
  return {
    url,
    process: child,
    admin: async <T>(method: "GET" | "POST" | "DELETE", route: string, body?: unknown): Promise<T> => {
      const response = await fetch(`${url}${route}`, {
        method,
        ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`sandbox ${method} ${route} → ${response.status} ${text.slice(0, 300)}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    stop,
  };
}

/** A Redis server of ours plus a client to read INFO. */
export interface BenchRedis {
  readonly server: RedisServer;
  readonly url: string;
  readonly pid: number;
  readonly client: Redis;
  /** @returns `used_memory` in bytes */
  usedMemory(): Promise<number>;
  /** @returns calls per command since the server started (`INFO commandstats`; Lua's own calls included) */
  commandCalls(): Promise<Map<string, number>>;
  stop(): Promise<void>;
}

/** Starts a fresh redis-server child (no persistence). @returns it */
export async function startBenchRedis(tag: string): Promise<BenchRedis> {
  const server = await startRedis();
  if (server.pid === undefined) throw new Error("redis-server has no pid");
  const client = new Redis(server.url, { maxRetriesPerRequest: null });
  client.on("error", () => undefined);
  const stop = onCleanup(`redis-${tag}`, async () => {
    client.disconnect();
    await server.stop();
  });
  return {
    server,
    url: server.url,
    pid: server.pid,
    client,
    usedMemory: async () => {
      const info = await client.info("memory");
      return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
    },
    commandCalls: async () => {
      const info = await client.info("commandstats");
      const calls = new Map<string, number>();
      for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1] ?? "", Number(match[2]));
      return calls;
    },
    stop,
  };
}

/** One worker process with its metrics URL. */
export interface WorkerProcess {
  readonly process: ManagedProcess;
  readonly pid: number;
  readonly metricsUrl: string;
  stop(): Promise<void>;
}

/**
 * Starts `count` apps/worker processes (built JS or tsx, see startApp) and waits for their /healthz.
 * @returns the workers
 */
export async function startWorkers(count: number, env: CoreEnv, concurrency: number, logDir: string, tag: string, built: boolean): Promise<WorkerProcess[]> {
  const workers: WorkerProcess[] = [];
  for (let i = 1; i <= count; i += 1) {
    const port = await freePort();
    const name = `worker-${tag}-${i}`;
    const child = startApp("worker", name, { ...env, WORKER_CONCURRENCY: String(concurrency), WORKER_METRICS_PORT: String(port) }, path.join(logDir, `${name}.log`), built);
    const stop = onCleanup(name, () => child.stop());
    workers.push({ process: child, pid: child.pid, metricsUrl: `http://127.0.0.1:${port}/metrics`, stop });
  }
  for (const worker of workers) {
    try {
      await waitForChild(worker.process, waitForHttpStatus(worker.metricsUrl.replace("/metrics", "/healthz"), 120_000));
    } catch (error) {
      throw new Error(`${String(error)}\n--- ${worker.process.name} ---\n${worker.process.output().slice(-3000)}`);
    }
  }
  return workers;
}

/**
 * Waits for `ready` unless the child exits first.
 * @throws Error with the child's last output when it exits before being ready
 */
export async function waitForChild(child: ManagedProcess, ready: Promise<void>): Promise<void> {
  const exited = child.exited.then((code) => {
    throw new Error(`${child.name} exited with ${String(code)} before it was ready`);
  });
  await Promise.race([ready, exited]);
}

/** @returns every worker's /metrics text */
export async function scrape(urls: readonly string[]): Promise<string[]> {
  return await Promise.all(
    urls.map(async (url) => {
      const response = await fetch(url);
      return await response.text();
    }),
  );
}

/** A fresh migrated database plus repositories over it. */
export interface BenchDb {
  readonly url: string;
  readonly repos: Repositories;
}

/** Creates database `name` with every migration and opens repositories with `encryptionKey`. @returns it */
export async function createBenchDb(pg: PostgresServer, name: string, encryptionKey: string): Promise<BenchDb> {
  const url = await createMigratedDatabase(pg, name);
  const repos = createRepositories({ databaseUrl: url, masterKey: parseMasterKey(encryptionKey), poolSize: 10 });
  onCleanup(`repos-${name}`, () => repos.close());
  return { url, repos };
}

/** Opens the product's queues over a fresh connection. @returns the queues */
export function openQueues(redisUrl: string, prefix: string): Queues {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  connection.on("error", () => undefined);
  const queues = createQueues(connection, prefix);
  onCleanup(`queues-${prefix}`, async () => {
    await queues.close();
    connection.disconnect();
  });
  return queues;
}

// ---------------------------------------------------------------- seeding

/** The real warehouse catalog the sandbox serves. */
export function catalog(): { id: number; name: string }[] {
  const file = path.join(repoRoot, "apps/wb-sandbox/src/data/warehouses.json");
  return JSON.parse(fs.readFileSync(file, "utf8")) as { id: number; name: string }[];
}

/** One seeded WB account: a sandbox seller, a bench user owning one credential of it. */
export interface Account {
  readonly userId: bigint;
  readonly credentialId: string;
  readonly sellerId: string;
  readonly kind: "PORTAL_SESSION" | "OFFICIAL_TOKEN";
}

let nextUserId = 7_000_000_000n;

/**
 * Creates `count` sandbox sellers, one bench user each (with plenty of paid
 * catches) and one credential each (portal session or service token).
 * @returns the accounts
 */
export async function seedAccounts(repos: Repositories, sandbox: SandboxProcess, count: number, kind: Account["kind"] | "mixed"): Promise<Account[]> {
  const accounts: Account[] = [];
  for (let i = 0; i < count; i += 1) {
    const own: Account["kind"] = kind === "mixed" ? (i % 2 === 0 ? "PORTAL_SESSION" : "OFFICIAL_TOKEN") : kind;
    const { sellerId } = await sandbox.admin<{ sellerId: string }>("POST", "/__sandbox/sellers", { name: `Бенч ${i}` });
    const userId = nextUserId++;
    await repos.prisma.user.create({ data: { id: userId, firstName: `bench${i}`, trialBookings: 0, paidBookings: 1_000_000, portalOptIn: true } });
    let credentialId: string;
    if (own === "PORTAL_SESSION") {
      const session = await sandbox.admin<{ authorizev3: string; supplierId: string }>("POST", "/__sandbox/sessions", { sellerId });
      const view = await repos.apiKeys.create({
        userId,
        kind: "PORTAL_SESSION",
        name: `Кабинет ${i}`,
        secret: JSON.stringify({ authorizev3: session.authorizev3, supplierId: session.supplierId }),
        supplierId: session.supplierId,
        sellerId,
      });
      credentialId = view.id;
    } else {
      const { token } = await sandbox.admin<{ token: string }>("POST", "/__sandbox/tokens", { sellerId, type: "service" });
      const view = await repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name: `Ключ ${i}`, secret: token, tokenType: "service", sellerId });
      credentialId = view.id;
    }
    accounts.push({ userId, credentialId, sellerId, kind: own });
  }
  return accounts;
}

/** @returns today's Moscow date plus `days`, `YYYY-MM-DD` */
export function moscowDay(days = 0): string {
  return new Date(Date.now() + 3 * 3_600_000 + days * 86_400_000).toISOString().slice(0, 10);
}

/** Where a seeded task watches. */
export interface SeededTask {
  readonly id: number;
  readonly account: Account;
  readonly warehouseId: number;
  /** The one day it watches, `YYYY-MM-DD`. */
  readonly date: string;
  readonly boxTypeId: number;
}

/** Box types a seeded task may watch (Короба, Суперсейф, Монопаллеты). */
const SEED_BOX_TYPES = [2, 6, 5] as const;

/**
 * Inserts `count` ACTIVE tasks (createMany), round-robin over accounts. Task i
 * watches exactly one acceptance cell — warehouse i mod W, day 1 + ⌊i/W⌋ mod 13,
 * box type by ⌊i/(13·W)⌋ — so up to 13·3·W (6,552 with the 168-warehouse
 * catalog) tasks watch distinct cells and an opened cell matches one task only
 * (no booking races between bench tasks). Max coefficient 5.
 * @returns the tasks with their ids
 */
export async function seedTasks(repos: Repositories, accounts: readonly Account[], count: number, warehouses: readonly { id: number; name: string }[], offset = 0): Promise<SeededTask[]> {
  const rows: { userId: bigint; credentialId: string; warehouseId: number; warehouseName: string; date: string; boxTypeId: number; account: Account }[] = [];
  const w = warehouses.length;
  for (let i = offset; i < offset + count; i += 1) {
    const account = accounts[i % accounts.length];
    const warehouse = warehouses[i % w];
    if (!account || !warehouse) throw new Error("no accounts or warehouses to seed tasks over");
    const day = 1 + (Math.floor(i / w) % 13);
    const boxTypeId = SEED_BOX_TYPES[Math.floor(i / (13 * w)) % SEED_BOX_TYPES.length] ?? 2;
    rows.push({ userId: account.userId, credentialId: account.credentialId, warehouseId: warehouse.id, warehouseName: warehouse.name, date: moscowDay(day), boxTypeId, account });
  }
  const out: SeededTask[] = [];
  for (let i = 0; i < rows.length; i += 2000) {
    const chunk = rows.slice(i, i + 2000);
    const created = await repos.prisma.monitoringTask.createManyAndReturn({
      data: chunk.map((r) => ({
        userId: r.userId,
        credentialId: r.credentialId,
        warehouseId: r.warehouseId,
        warehouseName: r.warehouseName,
        dateFrom: new Date(`${r.date}T00:00:00Z`),
        dateTo: new Date(`${r.date}T00:00:00Z`),
        boxTypeId: r.boxTypeId,
        maxCoefficient: 5,
        goods: [{ barcode: "2000000000013", quantity: 10 }],
        status: "ACTIVE" as const,
        isActive: true,
      })),
      select: { id: true },
    });
    created.forEach((row, j) => {
      const r = chunk[j];
      if (r) out.push({ id: row.id, account: r.account, warehouseId: r.warehouseId, date: r.date, boxTypeId: r.boxTypeId });
    });
  }
  return out;
}

/**
 * Runs `fn` over `items` with at most `parallel` in flight.
 */
export async function pool<T>(items: readonly T[], parallel: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(parallel, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  });
  await Promise.all(runners);
}

/** Upserts the product's 1 s monitor scheduler of every task (what the bot does). @returns seconds it took */
export async function upsertMonitors(queues: Queues, ids: readonly number[]): Promise<number> {
  const started = performance.now();
  await pool(ids, 64, (id) => upsertMonitor(queues, id));
  return (performance.now() - started) / 1000;
}

/** @returns a directory for child-process logs of this run */
export function makeLogDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "wbslots-bench-"));
}

/** @returns a short random prefix for queue keys */
export function randomPrefix(tag: string): string {
  return `bench-${tag}-${randomBytes(3).toString("hex")}`;
}
