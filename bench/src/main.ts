/**
 * `pnpm bench` — runs the benchmark scenarios against the real pieces on
 * 127.0.0.1, prints a table and writes JSON to bench/results/<timestamp>.json
 * (and bench/results/latest.json).
 *
 * Flags (all optional):
 *   --scenario catch,capacity,economy,webhook,memory   which to run (default all)
 *   --tasks 100,1000,5000        task counts for catch latency and economy
 *   --ladder 1000,2500,3000,3500,4000,5000,10000  capacity ladder (3000–4000: where ours gives out on 2 cores)
 *   --duration 15                measured seconds per step
 *   --warmup 5                   seconds before each measured window
 *   --workers 2 --concurrency 100 worker processes and BullMQ concurrency (ours and baseline)
 *   --credentials 4             WB accounts the tasks are spread over
 *   --slots 20                   slot openings per catch run
 *   --catch-runs 3               catch runs per task count (percentiles over all their slots: 20 samples of a
 *                                read period's U(0, 1.1 s) wait move a p50 by ±0.12 s from run to run)
 *   --connections 10 --repeats 3 webhook load
 *   --full-ladder                keep climbing after the first failing step
 *   --baselines offset,plain     capacity baselines (bare BullMQ, full ladder each): `offset` = schedulers
 *                                `{every: 1000, offset: id mod 1000}` like upsertMonitor (ratios are against it),
 *                                `plain` = `{every: 1000}`; default both
 *   --baseline-offset            same as `--baselines offset`
 *   --baseline-only              capacity: the baseline ladders only
 *   --no-build                   skip the `pnpm build` the bench runs first
 *   --built / --tsx              run worker and bot as production JS (`node apps/<app>/dist/main.js`,
 *                                NODE_ENV=production, like `pnpm start:worker`) or through tsx; default:
 *                                built when both dist/main.js exist after the build. Built mode also bundles
 *                                the baseline worker and bare server (bench/dist, tsup) so they run as plain JS.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { startEmbeddedPostgres, repoRoot, type PostgresServer } from "@wbslots/testkit";
import { buildBenchChildren, cleanupAll, log, makeLogDir, onCleanup, type BaselineMode, type BenchOptions, type Figure, type ScenarioResult } from "./harness";
import { runCapacity } from "./scenarios/capacity";
import { runCatch } from "./scenarios/catch";
import { runEconomy } from "./scenarios/economy";
import { MEMORY_STEPS, runMemory } from "./scenarios/memory";
import { runWebhook } from "./scenarios/webhook";

const ALL = ["catch", "capacity", "economy", "webhook", "memory"] as const;

function parseArgs(argv: readonly string[]): BenchOptions {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--")) continue;
    if (arg.startsWith("--no-")) {
      flags.set(arg.slice(5), "false");
      continue;
    }
    const [key, inline] = arg.slice(2).split("=", 2);
    if (!key) continue;
    if (inline !== undefined) flags.set(key, inline);
    else if (argv[i + 1] !== undefined && !(argv[i + 1] ?? "").startsWith("--")) flags.set(key, argv[++i] ?? "");
    else flags.set(key, "true");
  }
  const list = (key: string, fallback: readonly number[]): number[] => {
    const raw = flags.get(key);
    if (!raw) return [...fallback];
    const values = raw.split(",").map((v) => Number(v.trim()));
    if (values.some((v) => !Number.isInteger(v) || v <= 0)) throw new Error(`--${key} wants positive integers, got ${raw}`);
    return values;
  };
  const num = (key: string, fallback: number): number => {
    const raw = flags.get(key);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${key} wants a positive number, got ${raw}`);
    return value;
  };
  const scenarios = (flags.get("scenario") ?? flags.get("scenarios") ?? ALL.join(","))
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of scenarios) if (!(ALL as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}; known: ${ALL.join(", ")}`);
  return {
    scenarios,
    tasks: list("tasks", [100, 1000, 5000]),
    ladder: list("ladder", [1000, 2500, 3000, 3500, 4000, 5000, 10_000]),
    duration: num("duration", 15),
    warmup: num("warmup", 5),
    workers: num("workers", 2),
    concurrency: num("concurrency", 100),
    credentials: num("credentials", 4),
    slots: num("slots", 20),
    catchRuns: num("catch-runs", 3),
    connections: num("connections", 10),
    repeats: num("repeats", 3),
    fullLadder: flags.get("full-ladder") === "true",
    baselines: baselineModes(flags),
    baselineOnly: flags.get("baseline-only") === "true",
    built: builtMode(flags),
    logDir: makeLogDir(),
  };
}

function baselineModes(flags: ReadonlyMap<string, string>): BaselineMode[] {
  if (flags.get("baseline-offset") === "true") return ["offset"];
  const raw = flags.get("baselines") ?? "offset,plain";
  const modes = raw.split(",").map((s) => s.trim()).filter(Boolean);
  for (const m of modes) if (m !== "offset" && m !== "plain") throw new Error(`--baselines wants offset and/or plain, got ${raw}`);
  if (modes.length === 0) throw new Error("--baselines wants offset and/or plain");
  return modes as BaselineMode[];
}

const DISTS = ["apps/worker/dist/main.js", "apps/bot/dist/main.js"];

/**
 * Runs `pnpm build` (unless --no-build) and decides the runtime of the apps under
 * test: --built / --tsx when given, else built JS when both dist files exist.
 * @returns whether to run built JS
 * @throws Error when --built is asked for and a dist file is missing
 */
function builtMode(flags: ReadonlyMap<string, string>): boolean {
  if (flags.get("build") !== "false") {
    log("pnpm build …");
    const t0 = performance.now();
    execFileSync("pnpm", ["build"], { cwd: repoRoot, stdio: ["ignore", "ignore", "inherit"] });
    log(`pnpm build done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const missing = DISTS.filter((f) => !fs.existsSync(path.join(repoRoot, f)));
  const wanted = flags.get("tsx") === "true" ? false : flags.has("built") ? flags.get("built") !== "false" : missing.length === 0;
  if (wanted && missing.length > 0) throw new Error(`--built needs ${missing.join(", ")} (run pnpm build)`);
  if (wanted) buildBenchChildren();
  log(`worker and bot run as ${wanted ? "built JS (node apps/<app>/dist/main.js)" : "TypeScript through tsx"}`);
  return wanted;
}

function machine(): Record<string, unknown> {
  const git = (args: string[]): string => {
    try {
      return execFileSync("git", args, { cwd: repoRoot, encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  };
  return {
    date: new Date().toISOString(),
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    commit: git(["rev-parse", "--short", "HEAD"]),
    // Uncommitted product changes are part of what `pnpm build` built and the bench measured
    // (read right after the build: edits made while the bench runs are not in it).
    uncommitted: git(["diff", "--name-only", "HEAD"])
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean),
  };
}

const fmt = (value: unknown): string => {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "—";
  return String(value);
};

/** @returns the results as a Markdown table (scenario, figure, ours, baseline, ratio, goal, met?) */
export function renderTable(figures: readonly Figure[]): string {
  const header = ["scenario", "figure", "ours", "baseline", "ratio", "unit", "goal", "met?"];
  const rows = figures.map((f) => [f.scenario, f.figure, fmt(f.ours), fmt(f.baseline), fmt(f.ratio), f.unit ?? "", f.goal ?? "", f.met === true ? "yes" : f.met === false ? "**NO**" : ""]);
  const line = (cells: readonly string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const started = Date.now();
  // The code as built (parseArgs ran `pnpm build`): commit and uncommitted files now, not at the end.
  const built = machine();
  log(`scenarios ${options.scenarios.join(", ")}; logs of child processes in ${options.logDir}`);
  const pg: PostgresServer = await startEmbeddedPostgres();
  onCleanup("postgres", () => pg.stop());
  const results: ScenarioResult[] = [];
  const run = async (name: string, fn: () => Promise<ScenarioResult>): Promise<void> => {
    if (!options.scenarios.includes(name)) return;
    log(`— ${name} —`);
    try {
      results.push(await fn());
    } catch (error) {
      log(`${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      results.push({ scenario: name, figures: [{ scenario: name, figure: "scenario failed", ours: error instanceof Error ? error.message.split("\n")[0] ?? "error" : String(error), met: false }], details: {}, durationS: 0 });
    }
  };
  await run("catch", () => runCatch(pg, options));
  // With memory also selected, the capacity ladder climbs to its steps even past a failing one.
  const memorySteps = options.scenarios.includes("memory") ? MEMORY_STEPS.filter((s) => options.ladder.includes(s)) : [];
  await run("capacity", () => runCapacity(pg, options, memorySteps));
  await run("economy", () => runEconomy(pg, options));
  await run("webhook", () => runWebhook(pg, options));
  await run("memory", () => runMemory(pg, options));

  const figures = results.flatMap((r) => r.figures);
  const table = renderTable(figures);
  const command = `pnpm bench ${process.argv.slice(2).join(" ")}`.trim();
  const report = { machine: { ...built, finished: new Date().toISOString() }, command, options, totalS: Math.round((Date.now() - started) / 1000), figures, scenarios: results };
  const dir = path.join(repoRoot, "bench", "results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);
  const json = `${JSON.stringify(report, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`;
  fs.writeFileSync(file, json);
  fs.writeFileSync(path.join(dir, "latest.json"), json);
  process.stdout.write(`\n${table}\n\nmachine: ${JSON.stringify(report.machine)}\ncommand: ${command}\ntotal: ${report.totalS} s\nJSON: ${path.relative(repoRoot, file)}\n`);
}

main()
  .catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanupAll();
    process.exit(process.exitCode ?? 0);
  });
