import { z } from "zod";
import { dbDateToIso, type TaskStatus, type TaskWithCredential } from "@wbslots/db";
import { isBoxTypeId, type BoxTypeId, type TaskFilter } from "@wbslots/domain";
import type { CredentialFacts } from "./credentials";

/** Goods to put in a draft. */
export type Goods = { barcode: string; quantity: number }[];

/** A task as the monitor and book jobs need it, with its filter prepared once per load. */
export interface CachedTask {
  readonly id: number;
  readonly userId: bigint;
  readonly status: TaskStatus;
  readonly statusReason: string | null;
  readonly warehouseId: number;
  readonly warehouseName: string;
  readonly dateFrom: string;
  readonly dateTo: string;
  readonly boxTypeId: BoxTypeId;
  readonly maxCoefficient: number;
  readonly goods: Goods | null;
  /** The preorder made ahead for this task (then a catch needs only plan/add). */
  readonly preparedPreorderId: string | null;
  readonly credential: CredentialFacts | null;
  readonly filter: TaskFilter;
}

const goodsSchema = z.array(z.object({ barcode: z.string().min(1), quantity: z.number().int().positive() })).min(1);

/**
 * Converts a task row (with its credential's facts) to the worker's shape.
 * @returns the cached form, or null when its box type is not one we support
 */
export function toCachedTask(row: TaskWithCredential): CachedTask | null {
  if (!isBoxTypeId(row.boxTypeId)) return null;
  const dateFrom = dbDateToIso(row.dateFrom);
  const dateTo = dbDateToIso(row.dateTo);
  const goods = goodsSchema.safeParse(row.goods);
  return {
    id: row.id,
    userId: row.userId,
    status: row.status,
    statusReason: row.statusReason,
    warehouseId: row.warehouseId,
    warehouseName: row.warehouseName,
    dateFrom,
    dateTo,
    boxTypeId: row.boxTypeId,
    maxCoefficient: row.maxCoefficient,
    goods: goods.success ? goods.data : null,
    preparedPreorderId: row.preparedPreorderId,
    credential: row.credential,
    filter: { warehouseIds: [row.warehouseId], dateFrom, dateTo, boxTypeId: row.boxTypeId, maxCoefficient: row.maxCoefficient },
  };
}

interface Waiter {
  resolve(task: CachedTask | null): void;
  reject(error: unknown): void;
}

/**
 * A short-lived (≤ `ttlMs`) in-process cache of tasks for the 1 s monitor jobs.
 * Misses that arrive within a few milliseconds are loaded with ONE query, so
 * 10 000 tasks cost ~2 000 rows/s (5 s TTL) in a handful of queries. A stale entry is safe: the book job re-validates the slot against the fresh row.
 */
export class TaskCache {
  private readonly entries = new Map<number, { task: CachedTask | null; loadedAt: number }>();
  private readonly waiting = new Map<number, Waiter[]>();
  private timer: NodeJS.Timeout | null = null;
  private lastPrune = 0;

  constructor(
    private readonly load: (ids: readonly number[]) => Promise<TaskWithCredential[]>,
    private readonly now: () => number,
    private readonly ttlMs = 5000,
    private readonly batchDelayMs = 3,
  ) {}

  /** @returns the task (null when it does not exist), at most `ttlMs` old */
  async get(id: number): Promise<CachedTask | null> {
    const entry = this.entries.get(id);
    if (entry && this.now() - entry.loadedAt < this.ttlMs) return entry.task;
    return await new Promise<CachedTask | null>((resolve, reject) => {
      const list = this.waiting.get(id);
      if (list) list.push({ resolve, reject });
      else this.waiting.set(id, [{ resolve, reject }]);
      this.timer ??= setTimeout(() => void this.flush(), this.batchDelayMs);
    });
  }

  /** Forgets one task (after this process changed it). */
  invalidate(id: number): void {
    this.entries.delete(id);
  }

  private async flush(): Promise<void> {
    this.timer = null;
    const batch = new Map(this.waiting);
    this.waiting.clear();
    const ids = [...batch.keys()];
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      try {
        const rows = await this.load(chunk);
        const loadedAt = this.now();
        const found = new Map(rows.map((row) => [row.id, toCachedTask(row)]));
        for (const id of chunk) {
          const task = found.get(id) ?? null;
          this.entries.set(id, { task, loadedAt });
          for (const waiter of batch.get(id) ?? []) waiter.resolve(task);
        }
      } catch (error) {
        for (const id of chunk) for (const waiter of batch.get(id) ?? []) waiter.reject(error);
      }
    }
    this.prune();
  }

  private prune(): void {
    const now = this.now();
    if (now - this.lastPrune < 10_000) return;
    this.lastPrune = now;
    for (const [id, entry] of this.entries) if (now - entry.loadedAt > 10 * this.ttlMs) this.entries.delete(id);
  }
}
