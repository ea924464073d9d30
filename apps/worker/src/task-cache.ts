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

interface Entry {
  task: CachedTask | null;
  loadedAt: number;
  usedAt: number;
}

/** Rows per load query. */
const CHUNK = 1000;

/**
 * A short-lived (≤ `ttlMs`, default 15 s) in-process cache of tasks for the
 * 1 s monitor jobs.
 *
 * Entries in use are refreshed AHEAD of their expiry by a timer, many at once
 * (one query per 1,000 rows), so a monitor job practically never waits for
 * Postgres and 10,000 tasks cost ~700 rows/s per process in < 1 query/s — not
 * one small query per few expiring tasks (Prisma compiles every query, which
 * was the cost). A true miss (a task this process has not seen) is loaded with
 * the other misses of the next few milliseconds in one query. Entries unused
 * for two TTLs are dropped.
 *
 * Why a stale entry (≤ 15 s) is safe: only the per-task tick reads it. The
 * match on a fresh snapshot (sweep.ts) selects the watching tasks from
 * Postgres, and the book job re-validates status and filter against the fresh
 * row; so a task paused, edited or resumed a moment ago is neither booked
 * wrongly nor missed when its slot opens. (5 s cost ~2,000 rows/s at 10,000
 * tasks: each process re-read every task it serves every ~4 s.)
 */
export class TaskCache {
  private readonly entries = new Map<number, Entry>();
  private readonly waiting = new Map<number, Waiter[]>();
  private timer: NodeJS.Timeout | null = null;
  private refresher: NodeJS.Timeout | null = null;
  private refreshing = false;

  /**
   * @param load loads tasks by id (one query)
   * @param ttlMs the oldest an entry may be when served
   * @param batchDelayMs how long a miss waits for other misses to share its query
   * @param refreshEveryMs how often entries in use are refreshed ahead (0: never; then they expire)
   */
  constructor(
    private readonly load: (ids: readonly number[]) => Promise<TaskWithCredential[]>,
    private readonly now: () => number,
    private readonly ttlMs = 15_000,
    private readonly batchDelayMs = 3,
    private readonly refreshEveryMs = 500,
  ) {}

  /** @returns the task (null when it does not exist), at most `ttlMs` old */
  async get(id: number): Promise<CachedTask | null> {
    const entry = this.entries.get(id);
    const now = this.now();
    if (entry && now - entry.loadedAt < this.ttlMs) {
      entry.usedAt = now;
      return entry.task;
    }
    this.startRefresher();
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

  /** Stops the refresh timer (the app's close). Pending misses still resolve. */
  close(): void {
    if (this.refresher) clearInterval(this.refresher);
    this.refresher = null;
  }

  /** Number of cached entries (metrics, tests). */
  get size(): number {
    return this.entries.size;
  }

  private startRefresher(): void {
    if (this.refresher || this.refreshEveryMs <= 0) return;
    this.refresher = setInterval(() => void this.refreshAhead(), this.refreshEveryMs);
    this.refresher.unref();
  }

  /**
   * Reloads, in chunks, every entry that is still in use and would expire
   * before the next two rounds; drops entries unused for two TTLs.
   */
  async refreshAhead(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const now = this.now();
      const due: number[] = [];
      for (const [id, entry] of this.entries) {
        if (now - entry.usedAt > 2 * this.ttlMs) this.entries.delete(id);
        else if (now - entry.loadedAt >= this.ttlMs - 2 * this.refreshEveryMs) due.push(id);
      }
      for (let i = 0; i < due.length; i += CHUNK) {
        const chunk = due.slice(i, i + CHUNK);
        const before = new Map(chunk.map((id) => [id, this.entries.get(id)]));
        let rows: TaskWithCredential[];
        try {
          rows = await this.load(chunk);
        } catch {
          return; // Postgres hiccup: the entries expire and the miss path reports the error to the job.
        }
        const loadedAt = this.now();
        const found = new Map(rows.map((row) => [row.id, toCachedTask(row)]));
        for (const id of chunk) {
          const entry = this.entries.get(id);
          // Invalidated (or reloaded by a miss) meanwhile: that entry may be newer than this row.
          if (entry && entry === before.get(id)) {
            entry.task = found.get(id) ?? null;
            entry.loadedAt = loadedAt;
          }
        }
      }
    } finally {
      this.refreshing = false;
    }
  }

  private async flush(): Promise<void> {
    this.timer = null;
    const batch = new Map(this.waiting);
    this.waiting.clear();
    const ids = [...batch.keys()];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      try {
        const rows = await this.load(chunk);
        const loadedAt = this.now();
        const found = new Map(rows.map((row) => [row.id, toCachedTask(row)]));
        for (const id of chunk) {
          const task = found.get(id) ?? null;
          this.entries.set(id, { task, loadedAt, usedAt: loadedAt });
          for (const waiter of batch.get(id) ?? []) waiter.resolve(task);
        }
      } catch (error) {
        for (const id of chunk) for (const waiter of batch.get(id) ?? []) waiter.reject(error);
      }
    }
  }
}
