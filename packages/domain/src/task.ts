/**
 * Task statuses and their lifecycle.
 *
 * ACTIVE — watching; PAUSED — stopped by the user; NEEDS_ACTION — a match needs the user
 * (e.g. WB asked for a captcha) and the task keeps watching; BOOKED — done;
 * EXPIRED — dateTo has passed; FAILED — cannot continue (e.g. no valid key, no catches left).
 */
import type { IsoDate } from "./slot";

/** Status of a slot-catching task. */
export type TaskStatus = "ACTIVE" | "PAUSED" | "BOOKED" | "NEEDS_ACTION" | "EXPIRED" | "FAILED";

/** All statuses, in display order. */
export const TASK_STATUSES: readonly TaskStatus[] = ["ACTIVE", "NEEDS_ACTION", "PAUSED", "BOOKED", "EXPIRED", "FAILED"];

/** Statuses in which the worker keeps polling slots for the task. */
export const WATCHING_STATUSES: readonly TaskStatus[] = ["ACTIVE", "NEEDS_ACTION"];

/** Statuses nothing leaves. */
export const TERMINAL_STATUSES: readonly TaskStatus[] = ["BOOKED", "EXPIRED"];

const TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  ACTIVE: ["PAUSED", "BOOKED", "NEEDS_ACTION", "EXPIRED", "FAILED"],
  NEEDS_ACTION: ["ACTIVE", "PAUSED", "BOOKED", "EXPIRED", "FAILED"],
  PAUSED: ["ACTIVE", "EXPIRED", "FAILED"],
  // A failed task (e.g. its key was revoked) can be resumed once the user fixes the cause.
  FAILED: ["ACTIVE", "EXPIRED"],
  BOOKED: [],
  EXPIRED: [],
};

/**
 * Narrows a string to a task status.
 */
export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === "string" && (TASK_STATUSES as readonly string[]).includes(value);
}

/**
 * Whether the worker should keep watching slots for a task in this status.
 */
export function isWatching(status: TaskStatus): boolean {
  return WATCHING_STATUSES.includes(status);
}

/**
 * Whether the status is final (BOOKED, EXPIRED).
 */
export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/**
 * Whether a status change is allowed. Staying in the same status is not a transition (false).
 */
export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

/**
 * The statuses reachable from `from` in one step.
 */
export function nextStatuses(from: TaskStatus): readonly TaskStatus[] {
  return TRANSITIONS[from] ?? [];
}

/**
 * Whether a task's range has passed: its last day (dateTo) is before today (Moscow).
 * A task whose dateTo is today is still alive.
 */
export function isExpired(dateTo: IsoDate, today: IsoDate): boolean {
  return dateTo < today;
}
