import { findMatches, type Slot, type SlotSource } from "@wbslots/domain";
import { enqueueBook } from "@wbslots/queues";
import type { WorkerContext } from "./context";
import { kindOf } from "./credentials";
import { slotKey } from "./keys";
import type { SnapshotView } from "./snapshots";
import { toCachedTask } from "./task-cache";

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
  /** Watched tasks on those warehouses (of this account and source). */
  readonly candidates: number;
  /** `book` jobs enqueued. */
  readonly enqueued: number;
}

/**
 * Match on the read: right after a worker stores a fresh snapshot of an
 * account, the tasks of that account watching a warehouse where a slot just
 * opened are matched at once and their `book` jobs enqueued — the catch does
 * not wait for each task's next 1-second tick. The tick stays the safety net
 * (tasks on a fallback source, slots suppressed a moment ago, a sweep that
 * failed): both paths enqueue with the same `book-{taskId}` job id, so a task
 * is never booked twice, and the book job re-validates against the fresh row.
 *
 * Only slots that were not open (or were dearer) in the previous snapshot are
 * swept, so a steady state costs nothing; with no previous snapshot (first read
 * after start or a Redis flush) the ticks do the work.
 * @returns what was swept
 */
export async function sweepFreshSnapshot(ctx: WorkerContext, source: SlotSource, account: string, previous: SnapshotView | null, next: SnapshotView): Promise<SweepResult> {
  if (!previous) return { warehouses: 0, candidates: 0, enqueued: 0 };
  const opened = newlyOpened(previous, next);
  if (opened.size === 0) return { warehouses: 0, candidates: 0, enqueued: 0 };
  const rows = await ctx.repos.tasks.watchingOnAccount(kindOf(source), account, [...opened.keys()]);
  const seenAt = ctx.now();
  let enqueued = 0;
  for (const row of rows) {
    const task = toCachedTask(row);
    if (!task) continue;
    const matches = findMatches(task.filter, opened.get(task.warehouseId) ?? []);
    for (const slot of matches.slice(0, 5)) {
      if ((await ctx.redis.exists(ctx.keys.suppress(task.id, slotKey(slot)))) === 1) continue;
      await enqueueBook(ctx.queues, {
        taskId: task.id,
        slot: { warehouseId: slot.warehouseId, date: slot.date, boxTypeId: slot.boxTypeId, coefficient: slot.coefficient, seenAt, source },
      });
      ctx.metrics.sweepBooks.inc({ source });
      enqueued += 1;
      break;
    }
  }
  return { warehouses: opened.size, candidates: rows.length, enqueued };
}
