import { isUniqueViolation, TX_OPTIONS, type Db } from "./client";
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
