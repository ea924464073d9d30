/**
 * Scenario 3 — upstream economy. For each task count N, N tasks over
 * `--credentials` WB accounts, half portal sessions (report refresh PORTAL_REPORT_REFRESH_MS) and half
 * service tokens (official coefficients, refresh 10 s); nothing opens. Over a
 * window the sandbox's own request log gives the slot reads per (account,
 * source): the figure is reads × refresh period / window — 1.00 means exactly
 * one read per refresh period — and the number of 429 answers (over WB's limits).
 */
import { coreEnv, type PostgresServer } from "@wbslots/testkit";
import {
  catalog,
  createBenchDb,
  log,
  openQueues,
  randomPrefix,
  round,
  seedAccounts,
  seedTasks,
  sleep,
  startBenchRedis,
  startSandboxProcess,
  startWorkers,
  summarize,
  upsertMonitors,
  type BenchOptions,
  type Figure,
  type ScenarioResult,
} from "../harness";
// The product's own refresh periods (limits.ts has no imports), so the figure follows them.
import { refreshIntervalMs } from "../../../packages/wb/src/limits";

interface RequestEntry {
  readonly at: string;
  readonly method: string;
  readonly sellerId: string | null;
  readonly status: number;
}

/** Slot-read method of each source in the sandbox log, with WB's refresh period for our token types. */
const READS: Record<string, { source: "portal" | "official"; periodS: number }> = {
  acceptanceCoefficientsReport: { source: "portal", periodS: refreshIntervalMs("portal") / 1000 },
  coefficients: { source: "official", periodS: refreshIntervalMs("official", "personal") / 1000 },
};

/** One economy run. */
export interface EconomyRun {
  readonly tasks: number;
  readonly windowS: number;
  /** Per source: reads per refresh period, min / mean / max over accounts. */
  readonly perPeriod: Record<string, { gapP50S: number; gapMaxS: number; accounts: number; min: number; mean: number; max: number; readsPerS: number; maxCount: number; minCount: number; periods: number }>;
  readonly total429: number;
  /** 429 answers per WB method. */
  readonly by429: Record<string, number>;
  readonly totalRequests: number;
}

async function runOnce(pg: PostgresServer, options: BenchOptions, n: number): Promise<EconomyRun> {
  const tag = `econ${n}`;
  const redis = await startBenchRedis(tag);
  const sandbox = await startSandboxProcess(options.logDir, tag);
  try {
    const prefix = randomPrefix(tag);
    const env = coreEnv({ databaseUrl: "", redisUrl: redis.url, sandboxUrl: sandbox.url, prefix, logLevel: "warn" });
    const db = await createBenchDb(pg, `bench_${tag}_${Date.now()}`, env.ENCRYPTION_KEY);
    env.DATABASE_URL = db.url;
    const accounts = await seedAccounts(db.repos, sandbox, Math.max(2, Math.min(options.credentials, n)), "mixed");
    const tasks = await seedTasks(db.repos, accounts, n, catalog());
    const queues = openQueues(redis.url, prefix);
    await upsertMonitors(queues, tasks.map((t) => t.id));
    const workers = await startWorkers(options.workers, env, options.concurrency, options.logDir, tag, options.built);
    try {
      await sleep(Math.max(options.warmup, 5) * 1000);
      const windowS = Math.max(30, options.duration * 2);
      const since = new Date().toISOString();
      await sleep(windowS * 1000);
      const until = Date.now();
      const log429 = await sandbox.admin<RequestEntry[]>("GET", `/__sandbox/requests?since=${encodeURIComponent(since)}`);
      const inWindow = log429.filter((r) => Date.parse(r.at) < until && r.method !== "admin");
      const perPeriod: EconomyRun["perPeriod"] = {};
      for (const [method, spec] of Object.entries(READS)) {
        const own = accounts.filter((a) => (a.kind === "PORTAL_SESSION") === (spec.source === "portal"));
        const counts = own.map((a) => inWindow.filter((r) => r.method === method && r.sellerId === a.sellerId && r.status === 200).length);
        const ratios = counts.map((c) => (c * spec.periodS) / windowS);
        const total = counts.reduce((a, b) => a + b, 0);
        // Seconds between consecutive successful reads of one account (all accounts pooled).
        const gaps = own.flatMap((a) => {
          const times = inWindow.filter((r) => r.method === method && r.sellerId === a.sellerId && r.status === 200).map((r) => Date.parse(r.at));
          return times.slice(1).map((t, i) => (t - (times[i] ?? t)) / 1000);
        });
        const gap = summarize(gaps);
        perPeriod[spec.source] = {
          gapP50S: round(gap.p50, 2),
          gapMaxS: round(gap.max, 2),
          accounts: own.length,
          min: round(Math.min(...ratios), 2),
          mean: round(ratios.reduce((a, b) => a + b, 0) / Math.max(1, ratios.length), 2),
          max: round(Math.max(...ratios), 2),
          readsPerS: round(total / windowS, 2),
          maxCount: Math.max(...counts),
          minCount: Math.min(...counts),
          periods: windowS / spec.periodS,
        };
      }
      const total429 = inWindow.filter((r) => r.status === 429).length;
      const by429: Record<string, number> = {};
      for (const r of inWindow) if (r.status === 429) by429[r.method] = (by429[r.method] ?? 0) + 1;
      log(`economy @${n}: ${JSON.stringify(perPeriod)}, 429s: ${total429}, requests: ${inWindow.length}`);
      return { tasks: n, windowS, perPeriod, total429, by429, totalRequests: inWindow.length };
    } finally {
      for (const w of workers) await w.stop();
    }
  } finally {
    await sandbox.stop();
    await redis.stop();
  }
}

/**
 * Runs upstream economy at every `--tasks` size.
 * @returns table rows and raw counts
 */
export async function runEconomy(pg: PostgresServer, options: BenchOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const runs: EconomyRun[] = [];
  for (const n of options.tasks) runs.push(await runOnce(pg, options, n));
  const figures: Figure[] = [];
  for (const run of runs) {
    for (const [source, p] of Object.entries(run.perPeriod)) {
      // A window of W s holds W/period periods; a read at each edge may both fall inside (+1), never more.
      figures.push({
        scenario: "economy",
        figure: `${source} reads per refresh period (min/mean/max of ${p.accounts} accts; gap between reads p50 ${p.gapP50S} / max ${p.gapMaxS} s) @${run.tasks} tasks`,
        ours: `${p.min} / ${p.mean} / ${p.max}`,
        // The reference is WB's allowance itself: one read per refresh period per account and source.
        baseline: "1 (WB's allowance)",
        unit: `reads/period of ${p.periods > 0 ? round(run.windowS / p.periods, 1) : "—"} s (${p.readsPerS}/s total)`,
        goal: "1 per period",
        met: p.maxCount <= Math.floor(p.periods) + 1 && p.minCount >= Math.floor(p.periods) - 1,
      });
    }
    figures.push({ scenario: "economy", figure: `429 answers from WB @${run.tasks} tasks${run.total429 > 0 ? ` (${Object.entries(run.by429).map(([m, c]) => `${m} ${c}`).join(", ")})` : ""}`, ours: run.total429, unit: "count", goal: "0", met: run.total429 === 0 });
  }
  return { scenario: "economy", figures, details: { runs }, durationS: round((performance.now() - started) / 1000, 0) };
}
