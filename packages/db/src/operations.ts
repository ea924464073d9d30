import type { Db } from "./client";
import type { Prisma } from "./generated/client";

/** Operation types written to the analytics log. */
export type OperationType =
  | "user.registered"
  | "credential.added"
  | "credential.deleted"
  | "credential.invalid"
  | "task.created"
  | "task.paused"
  | "task.resumed"
  | "task.deleted"
  | "task.expired"
  | "booking.reserved"
  | "booking.confirmed"
  | "booking.failed"
  | "booking.needs_action"
  | "redistribution.created"
  | "redistribution.submitted"
  | "redistribution.failed"
  | "payment.received"
  | "source.disabled"
  | "source.restored";

/** The operations log ("история операций для аналитики"). Never store secrets in payloads. */
export class OperationRepository {
  constructor(private readonly db: Db) {}

  /** Appends one operation. */
  async log(userId: bigint | null, type: OperationType, payload: Prisma.InputJsonValue = {}): Promise<void> {
    await this.db.operation.create({ data: { userId, type, payload } });
  }

  /** @returns the user's last operations, newest first */
  async list(userId: bigint, take = 50): Promise<{ type: string; payload: Prisma.JsonValue; createdAt: Date }[]> {
    return await this.db.operation.findMany({ where: { userId }, orderBy: { id: "desc" }, take, select: { type: true, payload: true, createdAt: true } });
  }

  /** @returns how many operations of a type exist (analytics, tests) */
  async count(type: OperationType): Promise<number> {
    return await this.db.operation.count({ where: { type } });
  }
}
