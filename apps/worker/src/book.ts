import { DelayedError, type Job } from "bullmq";
import { dbDateToIso, WATCHING_STATUSES, type BookingResult, type MonitoringTask, type TaskStatus } from "@wbslots/db";
import { bookingSuccessText, isBookable, isBoxTypeId, needsActionCaptchaText, trialOverText, type BoxTypeId } from "@wbslots/domain";
import { bookJobSchema, removeMonitor, type BookJob, type SlotRef } from "@wbslots/queues";
import { WbBadRequest, WbCaptchaRequired, WbCircuitOpen, WbRateLimited, WbSlotTaken, WbUnauthorized } from "@wbslots/wb";
import type { WorkerContext } from "./context";
import { slotKey } from "./keys";
import { notifyUser, portalButton, portalSuppliesUrl } from "./notify";
import { goodsOf, portalCredentialFor, PREPARE_JOB_NAME, prepareJobSchema, prepareTask } from "./prepare";
import { bookByHandText, bookingFailedText, type SlotLine } from "./texts";

/** How long a slot is not retried for one task after the user was asked to act (captcha, no session). */
const SUPPRESS_ASKED_MS = 15 * 60_000;
/** How long a taken/closed slot is not retried for one task (the snapshot may still show it open). */
const SUPPRESS_TAKEN_MS = 60_000;

/**
 * How long after the slot was seen a booking may keep waiting for the seller's
 * WB write budget (WbRateLimited) without spending its retries: past this the
 * slot is most likely gone, and the normal retries decide.
 */
const RATE_WAIT_BUDGET_MS = 60_000;

/** Statuses a booking may finish from (the user may have paused while WB was booking). */
const FINISHABLE: readonly TaskStatus[] = ["ACTIVE", "NEEDS_ACTION", "PAUSED"];

/** Dependencies of {@link createBookProcessor}. */
export interface BookDeps {
  readonly ctx: WorkerContext;
  /** Key rotation on a WB 401/403 (see key-rotation.ts). */
  readonly rotate: (credentialId: string, reason: string) => Promise<void>;
  /** Called after this handler changed a task (drops it from the monitor cache). */
  readonly onTaskChanged?: (taskId: number) => void;
}

/** The slot a booking is for, from the booking row (the source of truth on resume). */
interface BookingTarget extends SlotLine {
  readonly warehouseId: number;
  readonly boxTypeId: BoxTypeId;
}

/**
 * Builds the `book` queue handler: `book` jobs (jobId `book-{taskId}`, so one
 * per task at a time) and `prepare` jobs (jobId `prepare-{taskId}`, see
 * prepare.ts), dispatched by `job.name`.
 *
 * Before reserving, the slot is checked against the FRESH task row (`isBookable`:
 * warehouse, box type, date range, max coefficient): the monitor's task cache
 * may be seconds old (dates changed, task paused). A booking already under way
 * is finished regardless.
 *
 * Fast path — a task with a preorder made ahead (`prepared_preorder_id`):
 * `reserve` writes the row straight at PREORDER_CREATED with that draft and
 * preorder (the same single write), so the only WB call left is `plan/add`.
 * The prepared preorder stays on the task after a failed `plan/add` (slot
 * taken/closed, captcha): WB leaves an unbooked preorder reusable, so the next
 * slot again needs only `plan/add`. It is cleared when WB rejects it (4xx: gone,
 * other account — the booking is failed, its catch given back, and the job runs
 * once more on the full path) and when a booking is CONFIRMED (WB consumed it).
 * A full-path booking whose `plan/add` lost the slot leaves its own preorder
 * on the task as the prepared one (`setPrepared` only fills an empty one).
 *
 * Crash safety — the booking row is written BEFORE each WB step that creates
 * something, and the step's result right after it, so a retry (BullMQ retry,
 * stalled-job recovery after a SIGKILL, or the `sweep-bookings` maintenance job)
 * resumes from the stored step:
 * - crash after `reserve`: the row is PENDING (RESERVED, or PREORDER_CREATED
 *   with the prepared preorder) with the catch consumed; `reserve` on retry
 *   answers `resumed` (no second charge, the row's own ids win over whatever
 *   the task holds now) and we continue from the stored step.
 * - crash after `draft/create` but before `advance(DRAFT_CREATED)` (written
 *   while WB takes the draft's goods): WB holds an orphan draft (harmless, not
 *   a booking); the retry creates another.
 * - crash after `supply/create` but before `advance(PREORDER_CREATED)`: an
 *   orphan preorder without a date (not a booking, costs nothing); the retry
 *   makes a new one from the stored draft.
 * - once `preorderId` is stored in a PENDING row it is never replaced: no
 *   second preorder (the one exception: WB answered `plan/add` with a 4xx for
 *   a prepared preorder, i.e. booked nothing, and the row is FAILED first).
 * - crash after `plan/add` but before `confirm` (prepared or not): WB booked,
 *   we do not know. `plan/add` on the SAME preorder with the same date is
 *   idempotent at WB (and the sandbox): the retry gets the same supplyId, so
 *   there is exactly one booking at WB, one CONFIRMED row and one charge. The
 *   task's prepared preorder is only cleared after `confirm`, and a resumed row
 *   never takes the task's prepared ids, so nothing else can book it meanwhile.
 * - crash after `confirm`: `reserve` answers `already_confirmed`; the tail
 *   (task BOOKED, scheduler removed, message with dedupe key
 *   `booking-{bookingId}`) is idempotent and simply runs again.
 * @returns the BullMQ processor
 */
export function createBookProcessor(deps: BookDeps): (job: Job, token?: string) => Promise<void> {
  const { ctx, rotate } = deps;
  const changed = (taskId: number): void => deps.onTaskChanged?.(taskId);

  const suppress = async (taskId: number, target: BookingTarget, ms: number): Promise<void> => {
    await ctx.redis.set(ctx.keys.suppress(taskId, slotKey(target)), "1", "PX", ms);
  };

  const finishConfirmed = async (task: MonitoringTask, booking: BookingResult, target: BookingTarget, slot: SlotRef | null): Promise<void> => {
    const moved = await ctx.repos.tasks.setStatus(task.id, "BOOKED", null, FINISHABLE);
    // WB consumed the preorder (prepared or not): nothing is left to book with.
    if (task.preparedPreorderId) await ctx.repos.tasks.clearPrepared(task.id);
    await removeMonitor(ctx.queues, task.id);
    changed(task.id);
    if (moved) {
      await ctx.repos.operations.log(task.userId, "booking.confirmed", {
        bookingId: booking.id,
        taskId: task.id,
        supplyId: booking.wbBookingId,
        warehouseId: target.warehouseId,
        date: target.date,
        coefficient: target.coefficient,
        chargedFrom: booking.chargedFrom,
      });
      ctx.metrics.bookings.inc({ outcome: "confirmed" });
      if (slot) ctx.metrics.catchLatency.observe(Math.max(0, ctx.now() - slot.seenAt) / 1000);
      ctx.logger.info({ taskId: task.id, bookingId: booking.id, supplyId: booking.wbBookingId }, "supply booked");
    }
    // The message is the last step: once it is queued, the whole tail has run.
    const catches = await ctx.repos.users.catches(task.userId);
    await notifyUser(
      ctx,
      task.userId,
      "booking_success",
      bookingSuccessText({ ...target, supplyId: booking.wbBookingId ?? booking.preorderId ?? "—", catchesLeft: catches.trial + catches.paid }),
      { dedupeKey: `booking-${booking.id}` },
    );
  };

  const askUser = async (
    task: MonitoringTask,
    booking: BookingResult,
    target: BookingTarget,
    reason: "captcha" | "no_portal_session" | "wb_rejected",
  ): Promise<void> => {
    await ctx.repos.bookings.fail(booking.id, reason);
    await ctx.repos.tasks.setStatus(task.id, "NEEDS_ACTION", reason, WATCHING_STATUSES);
    changed(task.id);
    await suppress(task.id, target, SUPPRESS_ASKED_MS);
    const portalUrl = portalSuppliesUrl(ctx.config.WB_SELLER_URL);
    const text = reason === "captcha" ? needsActionCaptchaText({ ...target, portalUrl }) : bookByHandText({ ...target, portalUrl, reason });
    await notifyUser(ctx, task.userId, "needs_action", text, {
      dedupeKey: `${reason}-${task.id}-${slotKey(target)}`,
      buttons: portalButton(ctx.config.WB_SELLER_URL),
    });
    await ctx.repos.operations.log(task.userId, "booking.needs_action", { taskId: task.id, bookingId: booking.id, reason, warehouseId: target.warehouseId, date: target.date });
    ctx.metrics.bookings.inc({ outcome: reason });
  };

  /**
   * One booking attempt.
   * @param usePrepared false on the re-run after WB rejected the prepared preorder
   */
  const book = async (job: Job, data: BookJob, usePrepared: boolean, token: string | undefined): Promise<void> => {
    // Both rows at once: they sit on the path from the match to WB's first call.
    const [task, existing] = await Promise.all([ctx.repos.tasks.get(data.taskId), ctx.repos.bookings.byTask(data.taskId)]);
    if (!task || !isBoxTypeId(task.boxTypeId)) return;
    const resumable = existing?.status === "PENDING" || existing?.status === "CONFIRMED";
    if (!resumable) {
      // A task the user stopped is not booked anew; a booking already under way at WB is finished.
      if (!WATCHING_STATUSES.includes(task.status)) return;
      // The monitor matched against its cached task: re-check against this fresh row.
      const filter = { warehouseIds: [task.warehouseId], dateFrom: dbDateToIso(task.dateFrom), dateTo: dbDateToIso(task.dateTo), boxTypeId: task.boxTypeId, maxCoefficient: task.maxCoefficient };
      if (!isBookable({ ...data.slot, warehouseName: task.warehouseName, allowUnload: true }, filter)) {
        ctx.logger.info({ taskId: task.id, slot: data.slot }, "slot no longer matches the task; not booked");
        ctx.metrics.bookings.inc({ outcome: "stale_match" });
        changed(task.id);
        return;
      }
    }

    // The portal session is looked up (and decrypted) while the catch is reserved: both sit
    // on the path from the match to WB's first call.
    const credLookup = portalCredentialFor(ctx, task);
    credLookup.catch(() => undefined); // awaited below; this only marks an early return's rejection as seen
    const prepared = usePrepared && task.preparedPreorderId ? { draftId: task.preparedDraftId, preorderId: task.preparedPreorderId } : null;
    const reservation = await ctx.repos.bookings.reserve(
      task.id,
      task.userId,
      { date: data.slot.date, warehouseId: data.slot.warehouseId, coefficient: data.slot.coefficient },
      prepared,
    );
    if (reservation.kind === "no_catches") {
      const paused = await ctx.repos.tasks.pauseAllOfUser(task.userId, "no_catches");
      for (const id of paused) {
        await removeMonitor(ctx.queues, id);
        changed(id);
      }
      const offer = { id: "pkg", bookings: ctx.config.PLAN_PACKAGE_BOOKINGS, priceStars: ctx.config.PLAN_PRICE_STARS };
      await notifyUser(ctx, task.userId, "trial_over", trialOverText([offer]), {
        dedupeKey: `trial-over-${task.userId}-${task.id}`,
        buttons: [[{ text: "💳 Купить поставки", callback_data: "menu:plan" }]],
      });
      await ctx.repos.operations.log(task.userId, "task.paused", { reason: "no_catches", taskIds: paused });
      ctx.metrics.bookings.inc({ outcome: "no_catches" });
      return;
    }
    let booking = reservation.booking;
    const target: BookingTarget = {
      warehouseId: booking.warehouseId,
      warehouseName: task.warehouseName,
      date: dbDateToIso(booking.bookingDate),
      boxTypeId: task.boxTypeId,
      coefficient: booking.coefficient,
    };
    const seen = reservation.kind === "resumed" && data.slot.date !== target.date ? null : data.slot;
    if (reservation.kind === "already_confirmed") {
      await finishConfirmed(task, booking, target, null);
      return;
    }
    if (reservation.kind === "reserved") {
      // Analytics only: written beside the WB calls, not before them.
      ctx.repos.operations.log(task.userId, "booking.reserved", { taskId: task.id, bookingId: booking.id, chargedFrom: booking.chargedFrom }).catch((error: unknown) => {
        ctx.logger.warn({ err: error, taskId: task.id }, "could not log booking.reserved");
      });
    }

    // The booking runs on the task's prepared preorder (now, or since before a crash).
    const onPrepared = task.preparedPreorderId !== null && booking.preorderId === task.preparedPreorderId;
    const cred = await credLookup;
    if (!cred) {
      await askUser(task, booking, target, "no_portal_session");
      return;
    }

    // Set once plan/add has been sent: from then on WB may have booked even if we saw no answer.
    let planSent = false;
    try {
      if (!booking.preorderId) {
        let draftId = booking.draftId;
        let recorded: Promise<BookingResult> | null = null;
        if (!draftId) {
          draftId = await ctx.wb.portal.createDraft(cred.portal);
          // Recorded while WB takes the goods: a crash before the record leaves an orphan draft
          // (harmless, not a booking) and the retry makes another — the same as recording first.
          recorded = ctx.repos.bookings.advance(booking.id, "DRAFT_CREATED", { draftId });
        }
        // Replacing the goods is idempotent, so it is simply repeated on resume.
        const goods = goodsOf(task.goods);
        const [advanced] = await Promise.all([recorded, goods ? ctx.wb.portal.updateDraftGoods(cred.portal, draftId, goods) : null]);
        if (advanced) booking = advanced;
        const preorderId = await ctx.wb.portal.createSupply(cred.portal, { draftId, warehouseId: target.warehouseId, boxTypeId: target.boxTypeId });
        booking = await ctx.repos.bookings.advance(booking.id, "PREORDER_CREATED", { preorderId: String(preorderId) });
      }
      // plan/add on the stored preorder: repeating it after a crash returns the same supplyId.
      planSent = true;
      const { supplyId } = await ctx.wb.portal.planAdd(cred.portal, {
        preorderId: Number(booking.preorderId),
        deliveryDate: `${target.date}T00:00:00Z`,
        warehouseId: target.warehouseId,
      });
      booking = await ctx.repos.bookings.confirm(booking.id, String(supplyId));
      await finishConfirmed(task, booking, target, seen);
    } catch (error) {
      // plan/add was refused before booking anything: the preorder is still unbooked at WB and
      // reusable for the next slot. A full-path one becomes the task's prepared preorder.
      const keepPreorder = async (): Promise<void> => {
        if (!onPrepared && booking.preorderId) await ctx.repos.tasks.setPrepared(task.id, { draftId: booking.draftId, preorderId: booking.preorderId });
      };
      if (error instanceof WbCaptchaRequired) {
        // We never get around a captcha: the user books in one tap, the task keeps watching.
        await askUser(task, booking, target, "captcha");
        if (planSent) await keepPreorder();
        return;
      }
      if (error instanceof WbSlotTaken) {
        await ctx.repos.bookings.fail(booking.id, `slot_${error.reason}`);
        await keepPreorder();
        await suppress(task.id, target, SUPPRESS_TAKEN_MS);
        await ctx.repos.operations.log(task.userId, "booking.failed", { taskId: task.id, bookingId: booking.id, reason: error.reason });
        ctx.metrics.bookings.inc({ outcome: error.reason });
        return;
      }
      if (error instanceof WbUnauthorized) {
        await ctx.repos.bookings.fail(booking.id, "unauthorized");
        await ctx.repos.operations.log(task.userId, "booking.failed", { taskId: task.id, bookingId: booking.id, reason: "unauthorized" });
        await rotate(cred.portal.credentialId, `WB ${error.status}: ${error.message}`);
        ctx.metrics.bookings.inc({ outcome: "unauthorized" });
        return;
      }
      if (error instanceof WbBadRequest && onPrepared && planSent && usePrepared) {
        // WB refused the preorder made ahead (deleted, another account's): nothing was booked.
        // Give the catch back, forget that preorder and book this slot once more the full way.
        ctx.logger.warn({ err: error, taskId: task.id, bookingId: booking.id, preorderId: booking.preorderId }, "WB rejected the prepared preorder; booking the full way");
        await ctx.repos.bookings.fail(booking.id, "prepared_rejected");
        await ctx.repos.tasks.clearPrepared(task.id, booking.preorderId ?? undefined);
        changed(task.id);
        await ctx.repos.operations.log(task.userId, "booking.failed", { taskId: task.id, bookingId: booking.id, reason: "prepared_rejected" });
        await book(job, data, false, token);
        return;
      }
      if (error instanceof WbBadRequest) {
        ctx.logger.warn({ err: error, taskId: task.id, bookingId: booking.id }, "WB rejected the booking request");
        await askUser(task, booking, target, "wb_rejected");
        return;
      }
      // The seller's WB write budget is spent (our limiter refused, or WB answered 429): that
      // step was not performed — nothing to undo, nothing booked. Wait exactly as long as the
      // budget says, WITHOUT spending an attempt (a burst of slots must not fail for want of
      // patience), while the slot is still young. The row stays PENDING at its step; the
      // delayed job resumes it.
      if (error instanceof WbRateLimited && token && ctx.now() - data.slot.seenAt < RATE_WAIT_BUDGET_MS) {
        ctx.metrics.bookings.inc({ outcome: "rate_wait" });
        await job.moveToDelayed(Date.now() + Math.max(50, error.retryAfterMs), token);
        throw new DelayedError();
      }
      // Transient (5xx, timeout, rate limit, broken answer, open breaker, database): BullMQ
      // retries with backoff. Every step above resumes, so a retry is safe.
      const attempts = job.opts.attempts ?? 1;
      if (job.attemptsMade + 1 < attempts) throw error;
      const notSent = error instanceof WbRateLimited || error instanceof WbCircuitOpen;
      if (planSent && !notSent) {
        // plan/add went out and its outcome is unknown (timeout, 5xx, unreadable answer): WB
        // may have booked. Failing now would refund a catch for a booking that exists, and a
        // later match could book a second slot. The booking stays PENDING; the sweep-bookings
        // job re-enqueues it, and plan/add on the same preorder returns the same supplyId.
        ctx.logger.error({ err: error, taskId: task.id, bookingId: booking.id }, "plan/add outcome unknown; left PENDING for the sweeper");
        ctx.metrics.bookings.inc({ outcome: "unknown_pending" });
        return;
      }
      ctx.logger.error({ err: error, taskId: task.id, bookingId: booking.id }, "booking failed after every attempt");
      if (await ctx.repos.bookings.fail(booking.id, `gave_up: ${error instanceof Error ? error.name : "error"}`)) {
        await suppress(task.id, target, SUPPRESS_TAKEN_MS);
        await ctx.repos.operations.log(task.userId, "booking.failed", { taskId: task.id, bookingId: booking.id, reason: "gave_up" });
        await notifyUser(ctx, task.userId, "booking_failed", bookingFailedText(target), { dedupeKey: `booking-failed-${booking.id}-${job.timestamp}` });
        ctx.metrics.bookings.inc({ outcome: "gave_up" });
      }
    }
  };

  return async (job, token) => {
    if (job.name === PREPARE_JOB_NAME) {
      const { taskId } = prepareJobSchema.parse(job.data);
      const outcome = await prepareTask(ctx, taskId);
      if (outcome === "prepared") changed(taskId);
      return;
    }
    await book(job, bookJobSchema.parse(job.data), true, token);
  };
}
