import type { Db } from "./client";
import type { Prisma } from "./generated/client";

/** A user's current wizard step and its data. */
export interface Conversation {
  scene: string;
  data: Prisma.JsonValue;
}

/** Wizard state per user, in Postgres so a Redis loss keeps it. */
export class ConversationRepository {
  constructor(private readonly db: Db) {}

  /** @returns the user's current conversation or null */
  async get(userId: bigint): Promise<Conversation | null> {
    return await this.db.conversationState.findUnique({ where: { userId }, select: { scene: true, data: true } });
  }

  /** Sets the user's current conversation. */
  async set(userId: bigint, scene: string, data: Prisma.InputJsonValue): Promise<void> {
    await this.db.conversationState.upsert({ where: { userId }, create: { userId, scene, data }, update: { scene, data } });
  }

  /** Ends the user's current conversation. */
  async clear(userId: bigint): Promise<void> {
    await this.db.conversationState.deleteMany({ where: { userId } });
  }
}
