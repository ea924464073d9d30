import { WATCHING_STATUSES } from "@wbslots/db";
import { findMatches, type Slot, type SlotSource } from "@wbslots/domain";
import { enqueueBook } from "@wbslots/queues";
import type { WorkerContext } from "./context";
import { accountOf, kindOf } from "./credentials";
import { slotKey } from "./keys";
import type { SnapshotView } from "./snapshots";
import { toCachedTask, type CachedTask } from "./task-cache";

/**
 * The open slots of `next` that a task could not have matched in `previous`:
 * cells that were closed (or absent) before, and cells whose coefficient fell
 * (a task with a lower maximum may match now). Pure.
 * @returns the new or cheaper slots, grouped by warehouse
 */
export function newlyOpened(previous: SnapshotView | null, next: SnapshotView): Map<number, Slot[]> {
  const opened = new Map<number, Slot[]>();
  for (const [warehouseId, slots] of next.byWarehouse) {
    const before = new Map<string, number>();
    for (const slot of previous?.byWarehouse.get(warehouseId) ?? []) before.set(slotKey(slot), slot.coefficient);
    for (const slot of slots) {
      const was = before.get(slotKey(slot));
      if (was !== undefined && was <= slot.coefficient) continue;
      const list = opened.get(warehouseId);
      if (list) list.push(slot);
      else opened.set(warehouseId, [slot]);
    }
  }
  return opened;
}

/** What one sweep did (for logs, metrics and tests). */
export interface SweepResult {
  /** Warehouses with a newly opened slot. */
  readonly warehouses: number;
  /** Watched tasks on those warehouses (of this account and source), from Postgres. */
  readonly candidates: number;
  /** `book` jobs enqueued. */
  readonly enqueued: number;
  /** Of those, enqueued from the tasks this process holds, before the query. */
  readonly fromCache: number;
}

const NOTHING: SweepResult = { warehouses: 0, candidates: 0, enqueued: 0, fromCache: 0 };

/**
 * Match on the read: right after a worker stores a fresh snapshot of an
 * account, the tasks of that account watching a warehouse where a slot just
 * opened are matched at once and their `book` jobs enqueued — the catch does
 * not wait for each task's next 1-second tick. The tick stays the safety net
 * (tasks on a fallback source, slots suppressed a moment ago, a sweep that
 * failed): both paths enqueue with the same `book-{taskId}` job id, so a task
 * is never booked twice, and the book job re-validates against the fresh row.
 *
 * Two passes: first the tasks this process already holds (`known`, the monitor's
 * task cache — no query between WB's answer and their book jobs), then the
 * watching tasks from Postgres, for every task not enqueued by the first pass
 * (one the cache does not hold, or holds with an older filter). A cached task
 * that changed meanwhile may get a book job it no longer fits: the book job
 * re-checks the fresh row and drops it.
 *
 * Only slots that were not open (or were dearer) in the previous snapshot are
 * swept, so a steady state costs nothing; with no previous snapshot (first read
 * after start or a Redis flush) the ticks do the work.
 * @param known the tasks this process holds (any account; filtered here), asked for only when a slot opened
 * @returns what was swept
 */
export async function sweepFreshSnapshot(
  ctx: WorkerContext,
  source: SlotSource,
  account: string,
  previous: SnapshotView | null,
  next: SnapshotView,
  known: () => readonly CachedTask[] = () => [],
): Promise<SweepResult> {
  if (!previous) return NOTHING;
  const opened = newlyOpened(previous, next);
  if (opened.size === 0) return NOTHING;
  const kind = kindOf(source);
  const seenAt = ctx.now();
  const enqueuedIds = new Set<number>();

  const bookFirstMatch = async (task: CachedTask): Promise<void> => {
    const matches = findMatches(task.filter, opened.get(task.warehouseId) ?? []);
    for (const slot of matches.slice(0, 5)) {
      if ((await ctx.redis.exists(ctx.keys.suppress(task.id, slotKey(slot)))) === 1) continue;
      await enqueueBook(ctx.queues, {
        taskId: task.id,
        slot: { warehouseId: slot.warehouseId, date: slot.date, boxTypeId: slot.boxTypeId, coefficient: slot.coefficient, seenAt, source },
      });
      ctx.metrics.sweepBooks.inc({ source });
      enqueuedIds.add(task.id);
      return;
    }
  };

  for (const task of known()) {
    const cred = task.credential;
    if (!cred || cred.kind !== kind || !cred.isValid || accountOf(cred) !== account) continue;
    if (!WATCHING_STATUSES.includes(task.status) || !opened.has(task.warehouseId)) continue;
    await bookFirstMatch(task);
  }
  const fromCache = enqueuedIds.size;

  const rows = await ctx.repos.tasks.watchingOnAccount(kind, account, [...opened.keys()]);
  for (const row of rows) {
    if (enqueuedIds.has(row.id)) continue;
    const task = toCachedTask(row);
    if (task) await bookFirstMatch(task);
  }
  return { warehouses: opened.size, candidates: rows.length, enqueued: enqueuedIds.size, fromCache };
}
