/**
 * Scenario 5 — memory: RSS of each worker process and Redis `used_memory` while
 * 1,000 and 10,000 tasks run at 1 Hz. Reuses the capacity run's steps when that
 * scenario ran in the same invocation (its ladder then always reaches the top
 * steps); otherwise runs the product side alone at those sizes.
 */
import type { PostgresServer } from "@wbslots/testkit";
import { log, round, rssBytes, sleep, type BenchOptions, type Figure, type ScenarioResult } from "../harness";
import { lastBaselineSteps, lastOursSteps, startOurs, type StepResult } from "./capacity";

/** Sizes this scenario reports. */
export const MEMORY_STEPS = [1000, 10_000] as const;

/**
 * Runs (or reads) the memory figures.
 * @returns table rows and raw steps
 */
export async function runMemory(pg: PostgresServer, options: BenchOptions): Promise<ScenarioResult> {
  const started = performance.now();
  let steps: StepResult[] = lastOursSteps.filter((s) => (MEMORY_STEPS as readonly number[]).includes(s.tasks));
  const source = steps.length === MEMORY_STEPS.length ? "capacity run" : "own run";
  if (steps.length !== MEMORY_STEPS.length) {
    steps = [];
    const side = await startOurs(pg, options, "mem");
    try {
      for (const n of MEMORY_STEPS) {
        await side.grow(n);
        await sleep((options.warmup + options.duration) * 1000);
        const rss = side.workerPids.map((pid) => round(rssBytes(pid) / 2 ** 20, 0));
        const redisUsedMb = round((await side.redis.usedMemory()) / 2 ** 20, 1);
        log(`memory @${n}: worker RSS ${rss.join("/")} MB, redis ${redisUsedMb} MB`);
        steps.push({ tasks: n, setupS: 0, jobsPerS: Number.NaN, lagP50Ms: Number.NaN, lagP99Ms: Number.NaN, shareUnder250: Number.NaN, held: false, cpu: {}, workerRssMb: rss, redisUsedMb, redisCallsPerJob: Number.NaN, redisScriptsPerJob: Number.NaN });
      }
    } finally {
      await side.stop();
    }
  }
  const figures: Figure[] = [];
  const runtime = options.built ? "built JS" : "tsx";
  for (const step of steps) {
    const maxRss = Math.max(...step.workerRssMb);
    // The no-op BullMQ worker of the capacity baseline (offset), same runtime, same step, when capacity ran.
    const base = source === "capacity run" ? lastBaselineSteps.find((b) => b.tasks === step.tasks) : undefined;
    const baseRss = base && base.workerRssMb.length > 0 ? Math.max(...base.workerRssMb) : null;
    figures.push({
      scenario: "memory",
      figure: `worker RSS (max of ${step.workerRssMb.length}) @${step.tasks}, ${runtime} (baseline: no-op BullMQ worker, ${runtime})`,
      ours: maxRss,
      baseline: baseRss,
      ratio: baseRss ? round(maxRss / baseRss, 2) : null,
      unit: "MB",
      goal: step.tasks === 10_000 ? "≤ 250 MB" : "",
      met: step.tasks === 10_000 ? maxRss <= 250 : null,
    });
    figures.push({ scenario: "memory", figure: `Redis used_memory @${step.tasks}`, ours: step.redisUsedMb, baseline: base?.redisUsedMb ?? null, unit: "MB" });
  }
  return { scenario: "memory", figures, details: { source, steps, baselineSteps: lastBaselineSteps, built: options.built }, durationS: round((performance.now() - started) / 1000, 0) };
}
