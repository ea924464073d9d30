import { isUniqueViolation, TX_OPTIONS, type Db } from "./client";

/** A successful Telegram payment. */
export interface NewPayment {
  userId: bigint;
  telegramChargeId: string;
  providerChargeId?: string | null;
  currency: string;
  amount: number;
  bookingsGranted: number;
  payload: string;
}

/** Payments: stored with Telegram's charge id; each credits exactly once. */
export class PaymentRepository {
  constructor(private readonly db: Db) {}

  /**
   * Stores a payment and credits its catches in one transaction. A repeated
   * `successful_payment` (same charge id) credits nothing.
   * @returns whether this call credited the user
   */
  async record(input: NewPayment): Promise<{ credited: boolean }> {
    try {
      await this.db.$transaction(async (tx) => {
        await tx.payment.create({ data: { ...input, providerChargeId: input.providerChargeId ?? null } });
        await tx.user.update({ where: { id: input.userId }, data: { paidBookings: { increment: input.bookingsGranted } } });
      }, TX_OPTIONS);
      return { credited: true };
    } catch (error) {
      if (isUniqueViolation(error)) return { credited: false };
      throw error;
    }
  }

  /** @returns the user's payments, newest first */
  async list(userId: bigint): Promise<{ telegramChargeId: string; amount: number; currency: string; bookingsGranted: number; createdAt: Date }[]> {
    return await this.db.payment.findMany({
      where: { userId },
      orderBy: { createdAt: "desc" },
      select: { telegramChargeId: true, amount: true, currency: true, bookingsGranted: true, createdAt: true },
    });
  }
}
