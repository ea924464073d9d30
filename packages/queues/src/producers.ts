import { Queue, type ConnectionOptions, type JobsOptions } from "bullmq";
import {
  bookJobSchema,
  monitorJobSchema,
  notificationJobSchema,
  redistributeJobSchema,
  maintenanceJobSchema,
  type BookJob,
  type MaintenanceJob,
  type MonitorJob,
  type NotificationJob,
  type RedistributeJob,
} from "./payloads";
import { MONITOR_EVERY_MS, QUEUE, bookJobId, notificationJobId, monitorSchedulerId, redistributeSchedulerId } from "./names";

/** Retention so Redis does not grow: completed jobs go at once, failed ones are kept a day (max 5000). */
export const RETENTION = {
  removeOnComplete: { count: 100, age: 600 },
  removeOnFail: { count: 5000, age: 24 * 3600 },
} as const satisfies Pick<JobsOptions, "removeOnComplete" | "removeOnFail">;

/** Every queue of the product over one connection. */
export interface Queues {
  readonly monitor: Queue<MonitorJob>;
  readonly book: Queue<BookJob>;
  readonly redistribute: Queue<RedistributeJob>;
  readonly notifications: Queue<NotificationJob>;
  readonly maintenance: Queue<MaintenanceJob>;
  readonly all: readonly Queue[];
  close(): Promise<void>;
}

/**
 * Opens every queue with one key prefix.
 * @returns the queues
 */
export function createQueues(connection: ConnectionOptions, prefix: string): Queues {
  const options = { connection, prefix };
  const monitor = new Queue<MonitorJob>(QUEUE.monitor, options);
  const book = new Queue<BookJob>(QUEUE.book, options);
  const redistribute = new Queue<RedistributeJob>(QUEUE.redistribute, options);
  const notifications = new Queue<NotificationJob>(QUEUE.notifications, options);
  const maintenance = new Queue<MaintenanceJob>(QUEUE.maintenance, options);
  const all = [monitor, book, redistribute, notifications, maintenance] as const;
  for (const queue of all) queue.on("error", () => undefined);
  return {
    monitor,
    book,
    redistribute,
    notifications,
    maintenance,
    all,
    close: async () => {
      await Promise.all(all.map((queue) => queue.close()));
    },
  };
}

/** A multiplier coprime with 1000: `id × PHASE_STRIDE mod 1000` is a permutation of each block of 1000 ids. */
const PHASE_STRIDE = 389;

/**
 * The phase of an id's 1-second schedule. BullMQ puts a late repeating job back on
 * the whole period, so without a phase every scheduler fires at the same instant
 * each second (a thundering herd that caps capacity). `id × 389 mod 1000` spreads
 * any 1,000 consecutive ids over 1,000 distinct milliseconds, exactly like
 * `id mod 1000`, and ALSO spreads a few consecutive ids (a small fleet, one
 * account's tasks) over the whole second instead of its first milliseconds — so
 * the ticks that trigger an account's snapshot read come right after the read's
 * period ends, wherever it ends.
 * @returns the offset in ms
 */
export function schedulePhase(id: number): number {
  return (id * PHASE_STRIDE) % MONITOR_EVERY_MS;
}

/**
 * Starts (or keeps) the 1-second monitor of a task. Idempotent: an upsert, never
 * remove-then-add.
 */
export async function upsertMonitor(queues: Pick<Queues, "monitor">, taskId: number): Promise<void> {
  const data = monitorJobSchema.parse({ taskId });
  await queues.monitor.upsertJobScheduler(monitorSchedulerId(taskId), { every: MONITOR_EVERY_MS, offset: schedulePhase(taskId) }, { name: "monitor", data, opts: { ...RETENTION, removeOnComplete: true, removeOnFail: { count: 1000, age: 3600 } } });
}

/** Stops a task's monitor (pause, delete, booked, expired). Idempotent. */
export async function removeMonitor(queues: Pick<Queues, "monitor">, taskId: number): Promise<void> {
  await queues.monitor.removeJobScheduler(monitorSchedulerId(taskId));
}

/** Starts (or keeps) the 1-second watcher of a redistribution request. Idempotent. */
export async function upsertRedistributeWatcher(queues: Pick<Queues, "redistribute">, requestId: number): Promise<void> {
  const data = redistributeJobSchema.parse({ requestId });
  await queues.redistribute.upsertJobScheduler(redistributeSchedulerId(requestId), { every: MONITOR_EVERY_MS, offset: schedulePhase(requestId) }, { name: "redistribute", data, opts: { removeOnComplete: true, removeOnFail: { count: 1000, age: 3600 } } });
}

/** Stops a redistribution request's watcher. Idempotent. */
export async function removeRedistributeWatcher(queues: Pick<Queues, "redistribute">, requestId: number): Promise<void> {
  await queues.redistribute.removeJobScheduler(redistributeSchedulerId(requestId));
}

/**
 * Enqueues the booking of a slot for a task. The job id `book-{taskId}` makes
 * concurrent matches from many monitor runs collapse into one job.
 */
export async function enqueueBook(queues: Pick<Queues, "book">, job: BookJob): Promise<void> {
  const data = bookJobSchema.parse(job);
  await queues.book.add("book", data, {
    jobId: bookJobId(data.taskId),
    attempts: 5,
    backoff: { type: "exponential", delay: 500 },
    removeOnComplete: true,
    removeOnFail: true,
  });
}

/**
 * Enqueues a message to a user. `dedupeKey` (e.g. `booking:{bookingId}`) makes a
 * repeated publish of one event deliver once.
 */
export async function enqueueNotification(queues: Pick<Queues, "notifications">, job: NotificationJob, dedupeKey?: string): Promise<void> {
  const data = notificationJobSchema.parse(job);
  await queues.notifications.add(data.kind, data, {
    ...(dedupeKey ? { jobId: notificationJobId(dedupeKey) } : {}),
    attempts: 20,
    backoff: { type: "exponential", delay: 1000 },
    removeOnComplete: { count: 1000, age: 24 * 3600 },
    removeOnFail: { count: 5000, age: 7 * 24 * 3600 },
  });
}

/** Schedules the recurring maintenance jobs (idempotent upserts). */
export async function upsertMaintenance(queues: Pick<Queues, "maintenance">): Promise<void> {
  const every: Record<MaintenanceJob["kind"], number> = {
    reconcile: 60_000,
    expire: 60_000,
    "sweep-bookings": 30_000,
    "probe-sources": 60_000,
    "flush-checks": 5_000,
  };
  for (const [kind, ms] of Object.entries(every)) {
    const data = maintenanceJobSchema.parse({ kind });
    await queues.maintenance.upsertJobScheduler(`maintenance:${kind}`, { every: ms }, { name: kind, data, opts: RETENTION });
  }
}
