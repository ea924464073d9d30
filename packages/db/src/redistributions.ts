import type { Db } from "./client";
import { NotFoundError } from "./errors";
import type { RedistributionRequest, RedistributionStatus } from "./generated/client";

/** Input of {@link RedistributionRepository.create}. */
export interface NewRedistribution {
  userId: bigint;
  credentialId: string | null;
  nmId: bigint;
  chrtId: bigint | null;
  srcOfficeId: number;
  srcOfficeName?: string | null;
  dstOfficeId: number;
  dstOfficeName?: string | null;
  quantity: number;
}

/** Redistribution requests ("перераспределение остатков"). */
export class RedistributionRepository {
  constructor(private readonly db: Db) {}

  /** @returns the new WAITING request */
  async create(input: NewRedistribution): Promise<RedistributionRequest> {
    return await this.db.redistributionRequest.create({ data: { ...input, status: "WAITING" } });
  }

  /** @returns the request or null (workers) */
  async get(id: number): Promise<RedistributionRequest | null> {
    return await this.db.redistributionRequest.findUnique({ where: { id } });
  }

  /**
   * @returns the request when it belongs to `userId`
   * @throws NotFoundError otherwise
   */
  async getOwned(userId: bigint, id: number): Promise<RedistributionRequest> {
    const row = await this.db.redistributionRequest.findFirst({ where: { id, userId } });
    if (!row) throw new NotFoundError("redistribution");
    return row;
  }

  /** @returns the user's requests, newest first */
  async list(userId: bigint, take = 20): Promise<RedistributionRequest[]> {
    return await this.db.redistributionRequest.findMany({ where: { userId }, orderBy: { createdAt: "desc" }, take });
  }

  /**
   * Moves a request to a status, only from the given ones (idempotent transitions).
   * @returns whether it changed
   */
  async transition(id: number, from: readonly RedistributionStatus[], to: RedistributionStatus, error: string | null = null): Promise<boolean> {
    const result = await this.db.redistributionRequest.updateMany({
      where: { id, status: { in: [...from] } },
      data: { status: to, error, ...(to === "SUBMITTED" || to === "DONE" ? { submittedAt: new Date() } : {}) },
    });
    return result.count === 1;
  }

  /**
   * Cancels a waiting request of the user.
   * @throws NotFoundError when it is not theirs or no longer waiting
   */
  async cancelOwned(userId: bigint, id: number): Promise<void> {
    const result = await this.db.redistributionRequest.updateMany({ where: { id, userId, status: "WAITING" }, data: { status: "CANCELLED" } });
    if (result.count !== 1) throw new NotFoundError("redistribution");
  }

  /** Records a check of the limits. */
  async touch(id: number, at: Date = new Date()): Promise<void> {
    await this.db.redistributionRequest.updateMany({ where: { id }, data: { lastCheckedAt: at } });
  }

  /** @returns ids of every WAITING request */
  async waitingIds(): Promise<number[]> {
    return await this.idsIn(["WAITING"]);
  }

  /**
   * Ids of the requests that must keep a watcher: WAITING ones, and SUBMITTED
   * ones (a worker that died between the submit guard and WB's answer leaves a
   * SUBMITTED request; its watcher is what later marks it FAILED for a human).
   * @returns the ids, ascending
   */
  async watchedIds(): Promise<number[]> {
    return await this.idsIn(["WAITING", "SUBMITTED"]);
  }

  private async idsIn(statuses: RedistributionStatus[]): Promise<number[]> {
    const rows = await this.db.redistributionRequest.findMany({ where: { status: { in: statuses } }, select: { id: true }, orderBy: { id: "asc" } });
    return rows.map((row) => row.id);
  }
}
