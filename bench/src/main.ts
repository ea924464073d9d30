/**
 * `pnpm bench` — runs the benchmark scenarios against the real pieces on
 * 127.0.0.1, prints a table and writes JSON to bench/results/<timestamp>.json
 * (and bench/results/latest.json).
 *
 * Flags (all optional):
 *   --scenario catch,capacity,economy,webhook,memory   which to run (default all)
 *   --tasks 100,1000,5000        task counts for catch latency and economy
 *   --ladder 1000,2500,5000,10000  capacity ladder
 *   --duration 15                measured seconds per step
 *   --warmup 5                   seconds before each measured window
 *   --workers 2 --concurrency 100 worker processes and BullMQ concurrency (ours and baseline)
 *   --credentials 4             WB accounts the tasks are spread over
 *   --slots 20                   slot openings per catch run
 *   --connections 10 --repeats 3 webhook load
 *   --full-ladder                keep climbing after the first failing step
 *   --baseline-offset            baseline schedulers spread by `offset: id mod 1000` (tests that fix)
 *   --baseline-only              capacity: the baseline ladder only
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { startEmbeddedPostgres, repoRoot, type PostgresServer } from "@wbslots/testkit";
import { cleanupAll, log, makeLogDir, onCleanup, type BenchOptions, type Figure, type ScenarioResult } from "./harness";
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
    ladder: list("ladder", [1000, 2500, 5000, 10_000]),
    duration: num("duration", 15),
    warmup: num("warmup", 5),
    workers: num("workers", 2),
    concurrency: num("concurrency", 100),
    credentials: num("credentials", 4),
    slots: num("slots", 20),
    connections: num("connections", 10),
    repeats: num("repeats", 3),
    fullLadder: flags.get("full-ladder") === "true",
    baselineOffset: flags.get("baseline-offset") === "true",
    baselineOnly: flags.get("baseline-only") === "true",
    logDir: makeLogDir(),
  };
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
  const report = { machine: machine(), command, options, totalS: Math.round((Date.now() - started) / 1000), figures, scenarios: results };
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
