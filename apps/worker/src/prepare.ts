/**
 * Booking ahead of the slot: a task has a fixed warehouse and box type, and a WB
 * preorder (`supply/create`) takes exactly those, not a date. So the draft (with
 * the goods) and the preorder are made while the task is only watching, stored
 * on the task (`prepared_*`), and when a slot opens the book job reserves
 * straight at PREORDER_CREATED and sends only `plan/add` (see book.ts).
 *
 * Flow: the monitor calls {@link ensurePrepared} with the task it already has
 * (no I/O when it is prepared); that enqueues, at most once a minute per task
 * and process, a low-priority `prepare` job on the `book` queue (jobId
 * `prepare-{taskId}`); the book processor hands it to {@link prepareTask},
 * which makes the draft + goods + preorder once under a Redis SET NX lock and
 * stores them with `tasks.setPrepared` (only when still empty).
 *
 * Redis keys (under the worker root `{prefix}:wk:`):
 * | key | value | ttl |
 * | --- | --- | --- |
 * | `prep:lock:{taskId}` | single-flight token of the preparing worker | 2 min |
 * | `prep:backoff:{taskId}` | preparation failed or was rate limited: not retried before the ttl | 60 s (or WB's retry-after) |
 */
import type { Queue } from "bullmq";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { WATCHING_STATUSES, type MonitoringTask, type TaskStatus } from "@wbslots/db";
import { isBoxTypeId } from "@wbslots/domain";
import { WbRateLimited } from "@wbslots/wb";
import type { WorkerContext } from "./context";
import { accountOf, revealCredential, type FetchCredential } from "./credentials";

/** Name of the preparation job on the `book` queue (the book processor dispatches by `job.name`). */
export const PREPARE_JOB_NAME = "prepare";

/** Payload of a `prepare` job: ids only, never a secret. */
export const prepareJobSchema = z.object({ taskId: z.number().int().positive() }).strict();
export type PrepareJob = z.infer<typeof prepareJobSchema>;

/** BullMQ job id of a task's preparation (`:` is not allowed in custom ids). */
export function prepareJobId(taskId: number): string {
  return `prepare-${taskId}`;
}

/** How long a failed or rate-limited preparation waits before the next try. */
export const PREPARE_BACKOFF_MS = 60_000;
/** How often one process enqueues a preparation for one still unprepared task. */
export const ENSURE_EVERY_MS = 60_000;
/** Single-flight lock ttl: longer than three portal writes at their 15 s timeout. */
const LOCK_MS = 120_000;
/** Below book jobs (no priority = first): a booking never waits behind preparations. */
const PREPARE_PRIORITY = 10;

const goodsSchema = z.array(z.object({ barcode: z.string().min(1), quantity: z.number().int().positive() })).min(1);

/** A portal credential ready for the WB gateway. */
export type PortalFetchCredential = Extract<FetchCredential, { source: "portal" }>;

/**
 * The user's portal session to book (and prepare) with: the task's own
 * credential when it is a valid portal session, else any valid one of the user,
 * the same WB account as the task's credential first. Book and prepare use this
 * one function, so a prepared preorder belongs to the account that books it.
 * @returns the decrypted session, or null when the user has none
 */
export async function portalCredentialFor(ctx: Pick<WorkerContext, "repos" | "logger">, task: Pick<MonitoringTask, "userId" | "credentialId">): Promise<PortalFetchCredential | null> {
  const own = task.credentialId ? await ctx.repos.apiKeys.get(task.credentialId) : null;
  const account = own ? accountOf(own) : null;
  const candidates = (await ctx.repos.apiKeys.list(task.userId))
    .filter((c) => c.kind === "PORTAL_SESSION" && c.isValid)
    .sort((a, b) => Number(b.id === task.credentialId) - Number(a.id === task.credentialId) || Number(b.supplierId === account) - Number(a.supplierId === account));
  for (const candidate of candidates) {
    const revealed = await revealCredential(ctx, candidate.id);
    if (revealed?.source === "portal") return revealed;
  }
  return null;
}

/**
 * The task's goods as the draft takes them.
 * @returns the lines, or null when the task has none (nothing to prepare: supply/create refuses an empty draft)
 */
export function goodsOf(goods: unknown): { barcode: string; quantity: number }[] | null {
  const parsed = goodsSchema.safeParse(goods);
  return parsed.success ? parsed.data : null;
}

/** What {@link ensurePrepared} reads from the monitor's task (no I/O when prepared). */
export interface PreparableTask {
  readonly id: number;
  readonly status: TaskStatus;
  readonly preparedPreorderId: string | null;
  readonly goods: unknown;
}

const lastEnsured = new WeakMap<WorkerContext, Map<number, number>>();

/**
 * Makes sure a watched task gets its draft and preorder made ahead. Cheap and
 * safe on the monitor's hot path: returns at once (no Redis, no Postgres) when
 * the task is prepared, not watched or has no goods, or when this process asked
 * for it less than a minute ago; otherwise enqueues one low-priority `prepare`
 * job (jobId `prepare-{taskId}`, so N monitors collapse into one). Never throws.
 */
export async function ensurePrepared(ctx: WorkerContext, task: PreparableTask): Promise<void> {
  if (task.preparedPreorderId || !WATCHING_STATUSES.includes(task.status) || goodsOf(task.goods) === null) return;
  let seen = lastEnsured.get(ctx);
  if (!seen) {
    seen = new Map();
    lastEnsured.set(ctx, seen);
  }
  const now = ctx.now();
  if ((seen.get(task.id) ?? 0) > now) return;
  if (seen.size > 50_000) for (const [id, until] of seen) if (until <= now) seen.delete(id);
  seen.set(task.id, now + ENSURE_EVERY_MS);
  try {
    await enqueuePrepare(ctx, task.id);
  } catch (error) {
    ctx.logger.warn({ err: error, taskId: task.id }, "could not enqueue the preparation; retried on a later check");
  }
}

/** Enqueues a task's preparation (idempotent while one is queued or running). */
export async function enqueuePrepare(ctx: Pick<WorkerContext, "queues">, taskId: number): Promise<void> {
  const data = prepareJobSchema.parse({ taskId });
  // The `book` queue is typed for book payloads; a prepare job rides on it under its own name.
  const queue = ctx.queues.book as unknown as Queue<PrepareJob, unknown, string>;
  await queue.add(PREPARE_JOB_NAME, data, {
    jobId: prepareJobId(taskId),
    priority: PREPARE_PRIORITY,
    attempts: 1,
    removeOnComplete: true,
    removeOnFail: true,
  });
}

/** What one {@link prepareTask} call did. */
export type PrepareOutcome = "prepared" | "already" | "skipped" | "no_session" | "locked" | "backoff" | "rate_limited" | "failed";

/**
 * The `prepare` job: makes the draft (+ goods) and the preorder at WB once and
 * stores them on the task. Single-flight per task across workers (Redis SET NX);
 * a failure or WB rate limit backs off (Redis key) instead of throwing.
 * A crash in the middle leaves at most an orphan draft or dateless preorder at
 * WB (not a booking, costs nothing) and the task unprepared: the next call
 * simply prepares again.
 * @returns what happened
 */
export async function prepareTask(ctx: WorkerContext, taskId: number): Promise<PrepareOutcome> {
  const root = ctx.keys.root;
  const lockKey = `${root}prep:lock:${taskId}`;
  const backoffKey = `${root}prep:backoff:${taskId}`;
  const preparable = (task: MonitoringTask | null): task is MonitoringTask =>
    task !== null && WATCHING_STATUSES.includes(task.status) && isBoxTypeId(task.boxTypeId) && goodsOf(task.goods) !== null;

  const first = await ctx.repos.tasks.get(taskId);
  if (first?.preparedPreorderId) return "already";
  if (!preparable(first)) return "skipped";
  if ((await ctx.redis.exists(backoffKey)) === 1) return "backoff";
  const token = randomUUID();
  if ((await ctx.redis.set(lockKey, token, "PX", LOCK_MS, "NX")) !== "OK") return "locked";
  let draftId: string | null = null;
  try {
    // Re-read under the lock: the previous holder may have just stored a preorder.
    const task = await ctx.repos.tasks.get(taskId);
    if (task?.preparedPreorderId) return "already";
    if (!preparable(task)) return "skipped";
    // A booking under way makes its own preorder; a CONFIRMED one ends the task.
    const booking = await ctx.repos.bookings.byTask(taskId);
    if (booking && booking.status !== "FAILED") return "skipped";
    const cred = await portalCredentialFor(ctx, task);
    if (!cred) {
      await ctx.redis.set(backoffKey, "no_session", "PX", PREPARE_BACKOFF_MS);
      return "no_session";
    }
    draftId = await ctx.wb.portal.createDraft(cred.portal);
    await ctx.wb.portal.updateDraftGoods(cred.portal, draftId, goodsOf(task.goods) ?? []);
    const preorderId = String(await ctx.wb.portal.createSupply(cred.portal, { draftId, warehouseId: task.warehouseId, boxTypeId: task.boxTypeId }));
    const stored = await ctx.repos.tasks.setPrepared(taskId, { draftId, preorderId });
    ctx.logger.info({ taskId, preorderId, stored }, stored ? "preorder prepared ahead of the slot" : "preorder prepared, but the task already had one");
    return stored ? "prepared" : "already";
  } catch (error) {
    if (error instanceof WbRateLimited) {
      // The write budget is shared with bookings: step aside until WB's (or our) window reopens.
      await ctx.redis.set(backoffKey, "rate_limited", "PX", Math.min(PREPARE_BACKOFF_MS, Math.max(1000, error.retryAfterMs)));
      ctx.logger.debug({ taskId, retryAfterMs: error.retryAfterMs }, "preparation rate limited; skipped");
      return "rate_limited";
    }
    await ctx.redis.set(backoffKey, "failed", "PX", PREPARE_BACKOFF_MS);
    ctx.logger.warn({ err: error, taskId, draftId }, "preparation failed; retried later");
    return "failed";
  } finally {
    await ctx.redis.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0", 1, lockKey, token);
  }
}
