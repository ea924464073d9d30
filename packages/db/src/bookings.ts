import { isRawUniqueViolation, isUniqueViolation, TX_OPTIONS, type Db } from "./client";
import { isoToDbDate } from "./dates";
import type { BookingResult, BookingStep, ChargeSource, Prisma } from "./generated/client";

/** The slot a booking is for. */
export interface BookingSlot {
  date: string;
  warehouseId: number;
  coefficient: number;
}

/** A draft and preorder made ahead of the slot: a new reservation starts at PREORDER_CREATED with them. */
export interface PreparedPreorder {
  draftId: string | null;
  preorderId: string;
}

/** Outcome of {@link BookingRepository.reserve}. */
export type ReserveOutcome =
  | { kind: "reserved"; booking: BookingResult }
  | { kind: "resumed"; booking: BookingResult }
  | { kind: "already_confirmed"; booking: BookingResult }
  | { kind: "no_catches" };

type Tx = Prisma.TransactionClient;

async function consumeCatchTx(tx: Tx, userId: bigint): Promise<ChargeSource | null> {
  const trial = await tx.user.updateMany({ where: { id: userId, trialBookings: { gt: 0 } }, data: { trialBookings: { decrement: 1 } } });
  if (trial.count === 1) return "TRIAL";
  const paid = await tx.user.updateMany({ where: { id: userId, paidBookings: { gt: 0 } }, data: { paidBookings: { decrement: 1 } } });
  return paid.count === 1 ? "PAID" : null;
}

/**
 * Booking results. The unique `task_id` makes a second booking for one task
 * impossible; the reservation of a catch and the booking row are written in one
 * transaction, so a crash never charges without a row to resume from.
 */
export class BookingRepository {
  constructor(private readonly db: Db) {}

  /**
   * Reserves the user's right to book for a task: consumes a catch (free first)
   * and writes a PENDING booking, atomically. Idempotent: a PENDING row is
   * resumed (no second charge); a CONFIRMED row is reported; a FAILED row is
   * re-reserved with a new charge (its catch was given back when it failed).
   * With `prepared`, a new or re-reserved row starts at PREORDER_CREATED with
   * that draft and preorder (same single write), so only plan/add is left; a
   * resumed row keeps its own ids.
   * @returns what happened
   */
  async reserve(taskId: number, userId: bigint, slot: BookingSlot, prepared?: PreparedPreorder | null): Promise<ReserveOutcome> {
    const start = prepared
      ? { step: "PREORDER_CREATED" as const, draftId: prepared.draftId, preorderId: prepared.preorderId }
      : { step: "RESERVED" as const, draftId: null, preorderId: null };
    // The common case (no row for the task yet, a catch left) in one statement: one round trip
    // instead of five on the path from a matched slot to WB's first call.
    const fresh = await this.reserveFresh(taskId, userId, slot, start);
    if (fresh) return { kind: "reserved", booking: fresh };
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        return await this.db.$transaction(async (tx) => {
          const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM booking_results WHERE task_id = ${taskId} FOR UPDATE`;
          const existingId = rows[0]?.id;
          if (existingId) {
            const existing = await tx.bookingResult.findUniqueOrThrow({ where: { id: existingId } });
            if (existing.status === "CONFIRMED") return { kind: "already_confirmed", booking: existing } as const;
            if (existing.status === "PENDING") return { kind: "resumed", booking: existing } as const;
            const source = await consumeCatchTx(tx, userId);
            if (!source) return { kind: "no_catches" } as const;
            const booking = await tx.bookingResult.update({
              where: { id: existingId },
              data: {
                status: "PENDING",
                ...start,
                chargedFrom: source,
                refundedAt: null,
                error: null,
                wbBookingId: null,
                bookingDate: isoToDbDate(slot.date),
                warehouseId: slot.warehouseId,
                coefficient: slot.coefficient,
              },
            });
            return { kind: "reserved", booking } as const;
          }
          const source = await consumeCatchTx(tx, userId);
          if (!source) return { kind: "no_catches" } as const;
          const booking = await tx.bookingResult.create({
            data: {
              taskId,
              bookingDate: isoToDbDate(slot.date),
              warehouseId: slot.warehouseId,
              coefficient: slot.coefficient,
              status: "PENDING",
              ...start,
              chargedFrom: source,
            },
          });
          return { kind: "reserved", booking } as const;
        }, TX_OPTIONS);
      } catch (error) {
        // A concurrent reserve inserted the row first: read it on the next attempt.
        if (!isUniqueViolation(error)) throw error;
      }
    }
    throw new Error(`could not reserve booking for task ${taskId}`);
  }

  /**
   * Charges a catch (free first) and inserts the PENDING row in ONE statement,
   * atomically: when the task already has a row the insert's unique violation
   * undoes the charge too. The user's row is locked (`FOR UPDATE`) before the
   * catch is chosen, so concurrent reserves of one user never spend one catch twice.
   * @returns the new row, or null when the task has a row already or the user
   *   has no catch left (the caller's transaction decides those cases)
   */
  private async reserveFresh(
    taskId: number,
    userId: bigint,
    slot: BookingSlot,
    start: { step: BookingStep; draftId: string | null; preorderId: string | null },
  ): Promise<BookingResult | null> {
    const bookingDate = isoToDbDate(slot.date);
    let rows: { id: string; chargedFrom: ChargeSource; createdAt: Date; updatedAt: Date }[];
    try {
      rows = await this.db.$queryRaw`
        WITH charged AS (
          UPDATE users u
             SET trial_bookings = CASE WHEN o.from_trial THEN u.trial_bookings - 1 ELSE u.trial_bookings END,
                 paid_bookings = CASE WHEN o.from_trial THEN u.paid_bookings ELSE u.paid_bookings - 1 END
            FROM (SELECT id, trial_bookings > 0 AS from_trial FROM users
                   WHERE id = ${userId} AND (trial_bookings > 0 OR paid_bookings > 0) FOR UPDATE) o
           WHERE u.id = o.id
          RETURNING CASE WHEN o.from_trial THEN 'TRIAL' ELSE 'PAID' END AS source
        )
        INSERT INTO booking_results (id, task_id, booking_date, warehouse_id, coefficient, status, step, draft_id, preorder_id, charged_from, updated_at)
        SELECT gen_random_uuid(), ${taskId}, ${bookingDate}::date, ${slot.warehouseId}, ${slot.coefficient}, 'PENDING', ${start.step}::"BookingStep",
               ${start.draftId}, ${start.preorderId}, source::"ChargeSource", now()
          FROM charged
        RETURNING id::text AS id, charged_from::text AS "chargedFrom", created_at AS "createdAt", updated_at AS "updatedAt"`;
    } catch (error) {
      if (isRawUniqueViolation(error)) return null;
      throw error;
    }
    const row = rows[0];
    if (!row) return null;
    return {
      id: row.id,
      taskId,
      bookingDate,
      slotTime: null,
      warehouseId: slot.warehouseId,
      coefficient: slot.coefficient,
      wbBookingId: null,
      draftId: start.draftId,
      preorderId: start.preorderId,
      status: "PENDING",
      step: start.step,
      chargedFrom: row.chargedFrom,
      refundedAt: null,
      error: null,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }

  /** Records progress at WB (draft, preorder) so a retry resumes instead of starting over. */
  async advance(id: string, step: BookingStep, fields: { draftId?: string; preorderId?: string } = {}): Promise<BookingResult> {
    return await this.db.bookingResult.update({ where: { id }, data: { step, ...fields } });
  }

  /**
   * Confirms a booking with WB's id.
   * @returns the booking
   */
  async confirm(id: string, wbBookingId: string, slotTime: string | null = null): Promise<BookingResult> {
    return await this.db.bookingResult.update({
      where: { id },
      data: { status: "CONFIRMED", step: "PLANNED", wbBookingId, slotTime, error: null },
    });
  }

  /**
   * Marks a PENDING booking failed and gives its catch back exactly once (the
   * guard `refunded_at IS NULL` makes a repeated call a no-op).
   * @returns whether this call failed it (false when it was not PENDING)
   */
  async fail(id: string, error: string): Promise<boolean> {
    return await this.db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ chargedFrom: ChargeSource | null; userId: bigint }[]>`
        UPDATE booking_results b SET status = 'FAILED', error = ${error.slice(0, 500)},
          refunded_at = CASE WHEN b.charged_from IS NOT NULL THEN now() ELSE NULL END, updated_at = now()
        FROM monitoring_tasks t
        WHERE b.id = ${id}::uuid AND b.status = 'PENDING' AND b.refunded_at IS NULL AND t.id = b.task_id
        RETURNING b.charged_from AS "chargedFrom", t.user_id AS "userId"`;
      const row = rows[0];
      if (!row) return false;
      if (row.chargedFrom === "TRIAL") await tx.user.update({ where: { id: row.userId }, data: { trialBookings: { increment: 1 } } });
      if (row.chargedFrom === "PAID") await tx.user.update({ where: { id: row.userId }, data: { paidBookings: { increment: 1 } } });
      return true;
    }, TX_OPTIONS);
  }

  /** @returns the booking of a task, if any */
  async byTask(taskId: number): Promise<BookingResult | null> {
    return await this.db.bookingResult.findUnique({ where: { taskId } });
  }

  /** @returns PENDING bookings not touched for `olderThanMs` (crash recovery sweep) */
  async stalePending(olderThanMs: number): Promise<BookingResult[]> {
    return await this.db.bookingResult.findMany({ where: { status: "PENDING", updatedAt: { lt: new Date(Date.now() - olderThanMs) } } });
  }

  /** @returns the user's bookings with their tasks, newest first */
  async listForUser(userId: bigint, take = 20): Promise<(BookingResult & { task: { warehouseName: string; boxTypeId: number } })[]> {
    return await this.db.bookingResult.findMany({
      where: { task: { userId } },
      orderBy: { createdAt: "desc" },
      take,
      include: { task: { select: { warehouseName: true, boxTypeId: true } } },
    });
  }
}
