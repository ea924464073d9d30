import type { Db } from "./client";
import type { ChargeSource, Prisma, User } from "./generated/client";

/** Telegram profile fields we keep. */
export interface TelegramProfile {
  id: bigint;
  username?: string | null;
  firstName?: string | null;
}

/** Users: registration, activity, free and paid catches. */
export class UserRepository {
  constructor(private readonly db: Db) {}

  /**
   * Registers a user on first contact (with `trialBookings` free catches) or refreshes their profile.
   * @returns the user and whether this call created it
   */
  async register(profile: TelegramProfile, trialBookings: number): Promise<{ user: User; created: boolean }> {
    const existing = await this.db.user.findUnique({ where: { id: profile.id } });
    if (existing) {
      const user = await this.db.user.update({
        where: { id: profile.id },
        data: { username: profile.username ?? null, firstName: profile.firstName ?? null, isActive: true },
      });
      return { user, created: false };
    }
    const rows = await this.db.$queryRaw<{ inserted: boolean }[]>`
      INSERT INTO users (id, username, first_name, trial_bookings)
      VALUES (${profile.id}, ${profile.username ?? null}, ${profile.firstName ?? null}, ${trialBookings})
      ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username
      RETURNING (xmax = 0) AS inserted`;
    const user = await this.db.user.findUniqueOrThrow({ where: { id: profile.id } });
    return { user, created: rows[0]?.inserted ?? false };
  }

  /**
   * What every incoming update needs, in one round trip: whether the user is
   * registered, and their current wizard step.
   * @returns null when the user is not registered
   */
  async getWithConversation(id: bigint): Promise<{ conversation: { scene: string; data: Prisma.JsonValue } | null } | null> {
    return await this.db.user.findUnique({ where: { id }, select: { conversation: { select: { scene: true, data: true } } } });
  }

  /** @returns the user or null */
  async get(id: bigint): Promise<User | null> {
    return await this.db.user.findUnique({ where: { id } });
  }

  /** Marks a user active or inactive (inactive = blocked the bot). */
  async setActive(id: bigint, isActive: boolean): Promise<void> {
    await this.db.user.updateMany({ where: { id }, data: { isActive } });
  }

  /** Records that the user accepted the seller-portal warning. */
  async setPortalOptIn(id: bigint, optIn: boolean): Promise<void> {
    await this.db.user.updateMany({ where: { id }, data: { portalOptIn: optIn } });
  }

  /**
   * Consumes one catch atomically: a free one first, else a paid one. Each
   * attempt is one conditional UPDATE, so concurrent consumers of the last
   * catch leave exactly one success.
   * @returns where the catch came from, or null when none is left
   */
  async consumeCatch(id: bigint): Promise<ChargeSource | null> {
    const trial = await this.db.user.updateMany({ where: { id, trialBookings: { gt: 0 } }, data: { trialBookings: { decrement: 1 } } });
    if (trial.count === 1) return "TRIAL";
    const paid = await this.db.user.updateMany({ where: { id, paidBookings: { gt: 0 } }, data: { paidBookings: { decrement: 1 } } });
    return paid.count === 1 ? "PAID" : null;
  }

  /** Gives one catch back to where it came from. */
  async refundCatch(id: bigint, source: ChargeSource): Promise<void> {
    await this.db.user.updateMany({
      where: { id },
      data: source === "TRIAL" ? { trialBookings: { increment: 1 } } : { paidBookings: { increment: 1 } },
    });
  }

  /** @returns free and paid catches left */
  async catches(id: bigint): Promise<{ trial: number; paid: number }> {
    const user = await this.db.user.findUnique({ where: { id }, select: { trialBookings: true, paidBookings: true } });
    return { trial: user?.trialBookings ?? 0, paid: user?.paidBookings ?? 0 };
  }
}
