/** Queue names. One place, so producers and consumers cannot drift apart. */
export const QUEUE = {
  /** One job per watched task per second (job schedulers `monitor:{taskId}`). */
  monitor: "monitor",
  /** Booking a matched slot; jobId `book-{taskId}` makes it once per task. */
  book: "book",
  /** One job per waiting redistribution request per second. */
  redistribute: "redistribute",
  /** Messages to users; consumed by the bot app only. */
  notifications: "notifications",
  /** Reconciler, expiry sweep, stale-booking sweep, disabled-source probes. */
  maintenance: "maintenance",
} as const;

export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

/** Monitor period: the product's "every second". */
export const MONITOR_EVERY_MS = 1000;

/** @returns the job scheduler id of a task's monitor */
export function monitorSchedulerId(taskId: number): string {
  return `monitor:${taskId}`;
}

/** @returns the job scheduler id of a redistribution request's watcher */
export function redistributeSchedulerId(requestId: number): string {
  return `redistribute:${requestId}`;
}

/**
 * The deterministic job id of a task's booking. BullMQ 6 forbids ":" in custom
 * job ids, so it is `book-{taskId}` (the issue's `book:{taskId}`).
 * @returns the job id
 */
export function bookJobId(taskId: number): string {
  return `book-${taskId}`;
}

/**
 * A job id for a notification dedupe key (":" is not allowed in job ids).
 * @returns the job id
 */
export function notificationJobId(dedupeKey: string): string {
  return `notify-${dedupeKey.replace(/[^A-Za-z0-9_.-]/g, "-")}`;
}

/**
 * Parses a scheduler id back to its task or request id.
 * @returns the numeric id or null when the id is not ours
 */
export function parseSchedulerId(prefix: "monitor" | "redistribute", schedulerId: string): number | null {
  const match = new RegExp(`^${prefix}:(\\d+)$`).exec(schedulerId);
  return match?.[1] ? Number(match[1]) : null;
}
