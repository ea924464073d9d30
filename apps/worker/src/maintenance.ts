import type { Job } from "bullmq";
import { dbDateToIso } from "@wbslots/db";
import { moscowToday, taskExpiredText } from "@wbslots/domain";
import {
  bookJobId,
  enqueueBook,
  maintenanceJobSchema,
  parseSchedulerId,
  removeMonitor,
  removeRedistributeWatcher,
  upsertMonitor,
  upsertRedistributeWatcher,
  type MaintenanceJob,
} from "@wbslots/queues";
import type { CheckBuffer } from "./checks";
import type { WorkerContext } from "./context";
import { kindOf } from "./credentials";
import type { SlotFeed } from "./feed";
import { refreshPeriodMs } from "./monitor";
import { notifyUser } from "./notify";
import type { SourceFlags } from "./sources";

/** A PENDING booking untouched this long belongs to a worker that died mid-booking. */
export const STALE_BOOKING_MS = 60_000;

/** Dependencies of {@link createMaintenance}. */
export interface MaintenanceDeps {
  readonly ctx: WorkerContext;
  readonly checks: CheckBuffer;
  readonly flags: SourceFlags;
  readonly feed: SlotFeed;
}

/** What one reconcile pass changed. */
export interface ReconcileResult {
  readonly monitorsAdded: number;
  readonly monitorsRemoved: number;
  readonly watchersAdded: number;
  readonly watchersRemoved: number;
}

/** The maintenance jobs, callable directly (start-up, tests) or as the BullMQ processor. */
export interface Maintenance {
  /** Redis matches Postgres: one monitor scheduler per watched task, one watcher per WAITING request, nothing else. */
  reconcile(): Promise<ReconcileResult>;
  /** {@link reconcile} under a Redis lock, so N workers starting together reconcile once. @returns null when another worker holds it */
  reconcileOnce(): Promise<ReconcileResult | null>;
  /** Expires tasks whose last date has passed (Moscow), stops their schedulers, tells the users. @returns how many */
  expire(): Promise<number>;
  /** Re-enqueues the book job of PENDING bookings a dead worker left behind. @returns how many */
  sweepBookings(): Promise<number>;
  /** Retries every switched-off source; clears the flag and tells the users when WB answers. @returns how many came back */
  probeSources(): Promise<number>;
  /** The `maintenance` queue processor. */
  process(job: Job): Promise<void>;
}

async function schedulerIds(queue: WorkerContext["queues"]["monitor"] | WorkerContext["queues"]["redistribute"], prefix: "monitor" | "redistribute"): Promise<Set<number>> {
  const ids = new Set<number>();
  const page = 1000;
  for (let start = 0; ; start += page) {
    const schedulers = await queue.getJobSchedulers(start, start + page - 1, true);
    for (const scheduler of schedulers) {
      const id = parseSchedulerId(prefix, scheduler.key);
      if (id !== null) ids.add(id);
    }
    if (schedulers.length < page) break;
  }
  return ids;
}

/**
 * Builds the maintenance jobs.
 * @returns the jobs and their processor
 */
export function createMaintenance(deps: MaintenanceDeps): Maintenance {
  const { ctx, checks, flags, feed } = deps;

  const reconcile = async (): Promise<ReconcileResult> => {
    // Schedulers are read BEFORE Postgres: a task created or stopped in between is
    // then seen in its newer state in Postgres, so nothing right is removed.
    const monitors = await schedulerIds(ctx.queues.monitor, "monitor");
    const watchers = await schedulerIds(ctx.queues.redistribute, "redistribute");
    const watched = new Set<number>();
    for (let after = 0; ; ) {
      const ids = await ctx.repos.tasks.watchingIds(after, 5000);
      for (const id of ids) watched.add(id);
      const last = ids.at(-1);
      if (last === undefined || ids.length < 5000) break;
      after = last;
    }
    let monitorsAdded = 0;
    let monitorsRemoved = 0;
    for (const id of watched) {
      if (monitors.has(id)) continue;
      await upsertMonitor(ctx.queues, id);
      monitorsAdded += 1;
    }
    for (const id of monitors) {
      if (watched.has(id)) continue;
      await removeMonitor(ctx.queues, id);
      monitorsRemoved += 1;
    }
    const waiting = new Set(await ctx.repos.redistributions.watchedIds());
    let watchersAdded = 0;
    let watchersRemoved = 0;
    for (const id of waiting) {
      if (watchers.has(id)) continue;
      await upsertRedistributeWatcher(ctx.queues, id);
      watchersAdded += 1;
    }
    for (const id of watchers) {
      if (waiting.has(id)) continue;
      await removeRedistributeWatcher(ctx.queues, id);
      watchersRemoved += 1;
    }
    const result = { monitorsAdded, monitorsRemoved, watchersAdded, watchersRemoved };
    if (monitorsAdded + monitorsRemoved + watchersAdded + watchersRemoved > 0) ctx.logger.warn(result, "reconcile repaired schedulers");
    return result;
  };

  const reconcileOnce = async (): Promise<ReconcileResult | null> => {
    const key = ctx.keys.reconcileLock();
    const token = `${process.pid}-${ctx.now()}-${Math.random()}`;
    if ((await ctx.redis.set(key, token, "PX", 30_000, "NX")) !== "OK") return null;
    try {
      return await reconcile();
    } finally {
      // Release only our own lock.
      await ctx.redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, key, token);
    }
  };

  const expire = async (): Promise<number> => {
    const expired = await ctx.repos.tasks.expireBefore(moscowToday(new Date(ctx.now())));
    for (const task of expired) {
      await removeMonitor(ctx.queues, task.id);
      const dateFrom = dbDateToIso(task.dateFrom);
      const dateTo = dbDateToIso(task.dateTo);
      await notifyUser(ctx, task.userId, "task_expired", taskExpiredText({ warehouseNames: [task.warehouseName], dateFrom, dateTo }), {
        dedupeKey: `task-expired-${task.id}`,
      });
      await ctx.repos.operations.log(task.userId, "task.expired", { taskId: task.id });
    }
    return expired.length;
  };

  const sweepBookings = async (): Promise<number> => {
    let resumed = 0;
    for (const booking of await ctx.repos.bookings.stalePending(STALE_BOOKING_MS)) {
      const job = await ctx.queues.book.getJob(bookJobId(booking.taskId));
      if (job) {
        const state = await job.getState();
        // Still queued or running (a stalled one is moved back by BullMQ itself).
        if (state === "waiting" || state === "active" || state === "delayed" || state === "prioritized" || state === "waiting-children") continue;
        await job.remove();
      }
      const task = await ctx.repos.tasks.get(booking.taskId);
      if (!task || (task.boxTypeId !== 2 && task.boxTypeId !== 5 && task.boxTypeId !== 6)) continue;
      await enqueueBook(ctx.queues, {
        taskId: booking.taskId,
        slot: {
          warehouseId: booking.warehouseId,
          date: dbDateToIso(booking.bookingDate),
          boxTypeId: task.boxTypeId,
          coefficient: Math.max(0, booking.coefficient),
          seenAt: booking.createdAt.getTime(),
          source: "portal",
        },
      });
      ctx.logger.warn({ taskId: booking.taskId, bookingId: booking.id, step: booking.step }, "resuming a booking a worker left behind");
      resumed += 1;
    }
    return resumed;
  };

  const probeSources = async (): Promise<number> => {
    let restored = 0;
    for (const { source, account, off } of await flags.listDisabled()) {
      const credential = await ctx.repos.apiKeys.get(off.credentialId);
      if (!credential?.isValid || credential.kind !== kindOf(source)) {
        // The credential that saw the outage is gone: forget the flag (users are not told
        // "restored"); a monitor sets it again if WB still says so.
        await flags.forget(source, account);
        continue;
      }
      const result = await feed.fetch(source, account, refreshPeriodMs(source, credential), credential);
      if (result.ok) {
        await flags.restore(source, account, off);
        restored += 1;
      }
    }
    return restored;
  };

  const processJob = async (job: Job): Promise<void> => {
    const data: MaintenanceJob = maintenanceJobSchema.parse(job.data);
    switch (data.kind) {
      case "reconcile":
        await reconcileOnce();
        return;
      case "expire":
        await expire();
        return;
      case "sweep-bookings":
        await sweepBookings();
        return;
      case "flush-checks":
        await checks.flush();
        return;
      case "probe-sources":
        await probeSources();
        return;
    }
  };

  return { reconcile, reconcileOnce, expire, sweepBookings, probeSources, process: processJob };
}
