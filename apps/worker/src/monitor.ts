import type { Job } from "bullmq";
import { findMatches, type SlotSource } from "@wbslots/domain";
import { enqueueBook, monitorJobSchema } from "@wbslots/queues";
import { refreshIntervalMs } from "@wbslots/wb";
import type { CheckBuffer } from "./checks";
import { ensurePrepared } from "./prepare";
import type { WorkerContext } from "./context";
import { accountOf, sourceOf, tokenTypeOf, type CredentialFacts } from "./credentials";
import type { SlotFeed } from "./feed";
import { slotKey } from "./keys";
import type { SourceFlags } from "./sources";
import type { CachedTask, TaskCache } from "./task-cache";

/** Status reason of a task waiting because WB switched its only source off. */
export const SOURCE_DISABLED_REASON = "source_disabled";

/** Dependencies of {@link createMonitorProcessor}. */
export interface MonitorDeps {
  readonly ctx: WorkerContext;
  readonly tasks: TaskCache;
  readonly feed: SlotFeed;
  readonly flags: SourceFlags;
  readonly checks: CheckBuffer;
}

/** Where a task reads its slots from right now. */
interface Plan {
  readonly source: SlotSource;
  readonly account: string;
  readonly credential: CredentialFacts;
}

/**
 * The period between two WB reads for a credential: WB's refresh interval for
 * the source and token type, never below the configured max snapshot age.
 * @returns milliseconds
 */
export function refreshPeriodMs(source: SlotSource, credential: Pick<CredentialFacts, "tokenType">): number {
  return refreshIntervalMs(source, source === "official" ? tokenTypeOf(credential) : undefined);
}

/**
 * Builds the `monitor` job handler (one job per watched task per second):
 * cached task → the freshest shared snapshot of its WB account (coalesced
 * reads) → `findMatches` over that warehouse's slots only → `enqueueBook` with
 * the best one. No Postgres write per check (buffered).
 * @returns the BullMQ processor
 */
export function createMonitorProcessor(deps: MonitorDeps): (job: Job) => Promise<void> {
  const { ctx, tasks, feed, flags, checks } = deps;
  const alternates = new Map<string, { facts: CredentialFacts | null; at: number }>();

  /** A valid credential of the user of the other kind for the same account (cached 5 s). */
  const alternateOf = async (task: CachedTask, credential: CredentialFacts, account: string): Promise<CredentialFacts | null> => {
    const other = credential.kind === "OFFICIAL_TOKEN" ? "PORTAL_SESSION" : "OFFICIAL_TOKEN";
    const id = `${task.userId}|${other}|${account}`;
    const cached = alternates.get(id);
    if (cached && ctx.now() - cached.at < 5_000) return cached.facts;
    const list = await ctx.repos.apiKeys.list(task.userId);
    const found = list.find((c) => c.kind === other && c.isValid && accountOf(c) === account) ?? null;
    alternates.set(id, { facts: found, at: ctx.now() });
    return found;
  };

  const setReason = async (task: CachedTask, reason: string | null): Promise<void> => {
    if (task.statusReason === reason || task.status !== "ACTIVE") return;
    await ctx.repos.tasks.setStatus(task.id, "ACTIVE", reason, ["ACTIVE"]);
    tasks.invalidate(task.id);
  };

  /** Chooses the source: the credential's own, or the other one while WB has switched it off. */
  const plan = async (task: CachedTask, credential: CredentialFacts): Promise<Plan | null> => {
    const account = accountOf(credential);
    if (!account) return null;
    const own = sourceOf(credential.kind);
    const off = await flags.get(own, account);
    if (!off) {
      if (task.statusReason === SOURCE_DISABLED_REASON) await setReason(task, null);
      return { source: own, account, credential };
    }
    const other: SlotSource = own === "official" ? "portal" : "official";
    const alternate = await alternateOf(task, credential, account);
    const usable = alternate && !(await flags.get(other, account)) ? alternate : null;
    await flags.tellUserOnce(own, account, off, task.userId, usable ? other : null);
    if (usable) {
      if (task.statusReason === SOURCE_DISABLED_REASON) await setReason(task, null);
      return { source: other, account, credential: usable };
    }
    await setReason(task, SOURCE_DISABLED_REASON);
    return null;
  };

  return async (job) => {
    const { taskId } = monitorJobSchema.parse(job.data);
    const startedAt = ctx.now();
    if (job.processedOn) ctx.metrics.monitorLag.observe(Math.max(0, job.processedOn - (job.timestamp + (job.opts.delay ?? 0))) / 1000);
    const task = await tasks.get(taskId);
    if (!task || (task.status !== "ACTIVE" && task.status !== "NEEDS_ACTION")) {
      ctx.metrics.monitorChecks.inc({ result: "skipped" });
      return;
    }
    const credential = task.credential;
    if (!credential?.isValid) {
      ctx.metrics.monitorChecks.inc({ result: "skipped" });
      return;
    }
    // Draft + preorder made ahead, so a match needs only plan/add. No I/O when prepared; never throws.
    // Opt-in (WORKER_PREPARE_AHEAD): it competes with bookings for the seller's write budget.
    if (ctx.config.WORKER_PREPARE_AHEAD) void ensurePrepared(ctx, task);
    const chosen = await plan(task, credential);
    if (!chosen) {
      ctx.metrics.monitorChecks.inc({ result: "waiting" });
      checks.add({ id: task.id, checkedAt: new Date(startedAt), snapshotAgeMs: null, refreshIntervalMs: null });
      return;
    }
    const periodMs = refreshPeriodMs(chosen.source, chosen.credential);
    const view = await feed.current(chosen.source, chosen.account, periodMs, chosen.credential);
    const now = ctx.now();
    const ageMs = view ? Math.max(0, now - view.fetchedAt) : null;
    if (ageMs !== null) ctx.metrics.snapshotAge.observe({ source: chosen.source }, ageMs / 1000);
    checks.add({ id: task.id, checkedAt: new Date(now), snapshotAgeMs: ageMs, refreshIntervalMs: periodMs });
    const slots = view?.byWarehouse.get(task.warehouseId);
    const matches = slots ? findMatches(task.filter, slots) : [];
    if (matches.length === 0) {
      ctx.metrics.monitorChecks.inc({ result: "no_match" });
      return;
    }
    for (const slot of matches.slice(0, 5)) {
      // A slot this task could not book a moment ago (captcha, taken, no portal session) is not retried at once.
      if ((await ctx.redis.exists(ctx.keys.suppress(task.id, slotKey(slot)))) === 1) continue;
      await enqueueBook(ctx.queues, {
        taskId: task.id,
        slot: { warehouseId: slot.warehouseId, date: slot.date, boxTypeId: slot.boxTypeId, coefficient: slot.coefficient, seenAt: now, source: chosen.source },
      });
      ctx.metrics.monitorChecks.inc({ result: "matched" });
      return;
    }
    ctx.metrics.monitorChecks.inc({ result: "suppressed" });
  };
}
