import type pg from "pg";
import { Prisma } from "./generated/client";
import type { Db } from "./client";
import { isoToDbDate } from "./dates";
import { NotFoundError } from "./errors";
import type { ApiKey, CredentialKind, MonitoringTask, TaskStatus } from "./generated/client";

/** Statuses in which a task is watched every second (has a scheduler). */
export const WATCHING_STATUSES: readonly TaskStatus[] = ["ACTIVE", "NEEDS_ACTION"];

/** Input of {@link TaskRepository.create}. */
export interface NewTask {
  userId: bigint;
  credentialId: string | null;
  warehouseId: number;
  warehouseName: string;
  /** `YYYY-MM-DD` (Moscow date). */
  dateFrom: string;
  dateTo: string;
  boxTypeId: number;
  maxCoefficient: number;
  goods?: { barcode: string; quantity: number }[] | null;
}

/** One monitor check's bookkeeping, flushed in batches. */
export interface TaskCheck {
  id: number;
  checkedAt: Date;
  snapshotAgeMs: number | null;
  refreshIntervalMs: number | null;
}

/** A task that just expired, with what its owner is told. */
export interface ExpiredTask {
  id: number;
  userId: bigint;
  warehouseId: number;
  warehouseName: string;
  dateFrom: Date;
  dateTo: Date;
}

const credentialFactsSelect = {
  id: true,
  userId: true,
  kind: true,
  name: true,
  isValid: true,
  tokenType: true,
  sellerId: true,
  supplierId: true,
} as const;

/** A task with the non-secret facts of its credential (see {@link TaskRepository.getMany}). */
export type TaskWithCredential = MonitoringTask & {
  credential: Pick<ApiKey, "id" | "userId" | "kind" | "name" | "isValid" | "tokenType" | "sellerId" | "supplierId"> | null;
};

function isWatching(status: TaskStatus): boolean {
  return WATCHING_STATUSES.includes(status);
}

/** A row of {@link TASKS_WITH_CREDENTIAL_SQL}: every value as `pg` returns it for these casts. */
interface TaskWithCredentialRow {
  id: number;
  user_id: string;
  credential_id: string | null;
  warehouse_id: number;
  warehouse_name: string;
  date_from: string;
  date_to: string;
  box_type_id: number;
  max_coefficient: number;
  status: TaskStatus;
  is_active: boolean;
  goods: Prisma.JsonValue | null;
  status_reason: string | null;
  last_checked_at: string | null;
  last_snapshot_age_ms: number | null;
  refresh_interval_ms: number | null;
  prepared_draft_id: string | null;
  prepared_preorder_id: string | null;
  prepared_at: string | null;
  created_at: string;
  updated_at: string;
  k_id: string | null;
  k_user_id: string | null;
  k_kind: CredentialKind | null;
  k_name: string | null;
  k_is_valid: boolean | null;
  k_token_type: string | null;
  k_seller_id: string | null;
  k_supplier_id: string | null;
}

// Timestamps and dates as UTC text and bigints as text: the values Prisma returns, whatever
// the process's time zone or pg's type parsers.
const TS = (column: string): string => `to_char(${column}, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
const TASKS_WITH_CREDENTIAL_SQL = `
  SELECT t.id, t.user_id::text AS user_id, t.credential_id::text AS credential_id, t.warehouse_id, t.warehouse_name,
         to_char(t.date_from, 'YYYY-MM-DD') AS date_from, to_char(t.date_to, 'YYYY-MM-DD') AS date_to,
         t.box_type_id, t.max_coefficient, t.status::text AS status, t.is_active, t.goods, t.status_reason,
         ${TS("t.last_checked_at")} AS last_checked_at, t.last_snapshot_age_ms, t.refresh_interval_ms,
         t.prepared_draft_id, t.prepared_preorder_id, ${TS("t.prepared_at")} AS prepared_at,
         ${TS("t.created_at")} AS created_at, ${TS("t.updated_at")} AS updated_at,
         k.id::text AS k_id, k.user_id::text AS k_user_id, k.kind::text AS k_kind, k.name AS k_name, k.is_valid AS k_is_valid,
         k.token_type AS k_token_type, k.seller_id AS k_seller_id, k.supplier_id AS k_supplier_id
    FROM monitoring_tasks t
    LEFT JOIN api_keys k ON k.id = t.credential_id
   WHERE t.id = ANY($1::int[])`;

const utcDate = (text: string | null): Date | null => (text === null ? null : new Date(text));

function toTaskWithCredential(row: TaskWithCredentialRow): TaskWithCredential {
  return {
    id: row.id,
    userId: BigInt(row.user_id),
    credentialId: row.credential_id,
    warehouseId: row.warehouse_id,
    warehouseName: row.warehouse_name,
    dateFrom: isoToDbDate(row.date_from),
    dateTo: isoToDbDate(row.date_to),
    boxTypeId: row.box_type_id,
    maxCoefficient: row.max_coefficient,
    status: row.status,
    isActive: row.is_active,
    goods: row.goods,
    statusReason: row.status_reason,
    lastCheckedAt: utcDate(row.last_checked_at),
    lastSnapshotAgeMs: row.last_snapshot_age_ms,
    refreshIntervalMs: row.refresh_interval_ms,
    preparedDraftId: row.prepared_draft_id,
    preparedPreorderId: row.prepared_preorder_id,
    preparedAt: utcDate(row.prepared_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    credential:
      row.k_id === null || row.k_user_id === null || row.k_kind === null || row.k_name === null || row.k_is_valid === null
        ? null
        : {
            id: row.k_id,
            userId: BigInt(row.k_user_id),
            kind: row.k_kind,
            name: row.k_name,
            isValid: row.k_is_valid,
            tokenType: row.k_token_type,
            sellerId: row.k_seller_id,
            supplierId: row.k_supplier_id,
          },
  };
}

/** Monitoring tasks. */
export class TaskRepository {
  /**
   * @param pool the pool under `db`, for the worker's bulk statements ({@link TaskRepository.getMany},
   *   {@link TaskRepository.recordChecks}); see `Database.pool`
   */
  constructor(
    private readonly db: Db,
    private readonly pool: pg.Pool,
  ) {}

  /** @returns the new active task */
  async create(input: NewTask): Promise<MonitoringTask> {
    return await this.db.monitoringTask.create({
      data: {
        userId: input.userId,
        credentialId: input.credentialId,
        warehouseId: input.warehouseId,
        warehouseName: input.warehouseName,
        dateFrom: isoToDbDate(input.dateFrom),
        dateTo: isoToDbDate(input.dateTo),
        boxTypeId: input.boxTypeId,
        maxCoefficient: input.maxCoefficient,
        goods: input.goods ?? Prisma.JsonNull,
        status: "ACTIVE",
        isActive: true,
      },
    });
  }

  /** @returns the task by id (workers) or null */
  async get(id: number): Promise<MonitoringTask | null> {
    return await this.db.monitoringTask.findUnique({ where: { id } });
  }

  /**
   * Many tasks with their credential's non-secret facts in one query (the
   * worker's batched monitor cache).
   * @returns the tasks that exist, in no particular order
   */
  async getMany(ids: readonly number[]): Promise<TaskWithCredential[]> {
    if (ids.length === 0) return [];
    // Straight to pg (see Database.pool): the same rows Prisma's findMany + include returns
    // (tasks.integration test compares them), without compiling 1,000 ids each time.
    const result = await this.pool.query<TaskWithCredentialRow>(TASKS_WITH_CREDENTIAL_SQL, [ids]);
    return result.rows.map(toTaskWithCredential);
  }

  /**
   * @returns the task when it belongs to `userId`
   * @throws NotFoundError otherwise
   */
  async getOwned(userId: bigint, id: number): Promise<MonitoringTask> {
    const task = await this.db.monitoringTask.findFirst({ where: { id, userId } });
    if (!task) throw new NotFoundError("task");
    return task;
  }

  /** @returns the user's tasks, newest first */
  async list(userId: bigint, options: { take?: number; skip?: number } = {}): Promise<MonitoringTask[]> {
    return await this.db.monitoringTask.findMany({
      where: { userId },
      orderBy: { createdAt: "desc" },
      take: options.take ?? 50,
      skip: options.skip ?? 0,
    });
  }

  /**
   * Moves a task to a status; `isActive` follows (true while it is watched).
   * @param onlyFrom when given, the change happens only from one of these statuses
   * @returns whether the row changed
   */
  async setStatus(id: number, status: TaskStatus, reason: string | null = null, onlyFrom?: readonly TaskStatus[]): Promise<boolean> {
    const result = await this.db.monitoringTask.updateMany({
      where: { id, ...(onlyFrom ? { status: { in: [...onlyFrom] } } : {}) },
      data: { status, statusReason: reason, isActive: isWatching(status) },
    });
    return result.count === 1;
  }

  /**
   * Changes the status of a task the user owns.
   * @throws NotFoundError when it is not theirs or not in one of `onlyFrom`
   */
  async setStatusOwned(userId: bigint, id: number, status: TaskStatus, onlyFrom: readonly TaskStatus[]): Promise<MonitoringTask> {
    const result = await this.db.monitoringTask.updateMany({
      where: { id, userId, status: { in: [...onlyFrom] } },
      data: { status, statusReason: null, isActive: isWatching(status) },
    });
    if (result.count !== 1) throw new NotFoundError("task");
    return await this.db.monitoringTask.findUniqueOrThrow({ where: { id } });
  }

  /**
   * Deletes a task the user owns.
   * @throws NotFoundError when it is not theirs
   */
  async deleteOwned(userId: bigint, id: number): Promise<void> {
    const result = await this.db.monitoringTask.deleteMany({ where: { id, userId } });
    if (result.count !== 1) throw new NotFoundError("task");
  }

  /**
   * Changes the date range of a task the user owns.
   * @throws NotFoundError when it is not theirs
   */
  async updateDatesOwned(userId: bigint, id: number, dateFrom: string, dateTo: string): Promise<MonitoringTask> {
    const result = await this.db.monitoringTask.updateMany({
      where: { id, userId },
      data: { dateFrom: isoToDbDate(dateFrom), dateTo: isoToDbDate(dateTo) },
    });
    if (result.count !== 1) throw new NotFoundError("task");
    return await this.db.monitoringTask.findUniqueOrThrow({ where: { id } });
  }

  /**
   * Stores the draft and preorder made ahead for a task (the worker's prepare
   * job), only when the task has none yet: a second preparer that lost a race
   * does not overwrite the first one's preorder.
   * @returns whether this call stored them
   */
  async setPrepared(id: number, prepared: { draftId: string | null; preorderId: string }): Promise<boolean> {
    const result = await this.db.monitoringTask.updateMany({
      where: { id, preparedPreorderId: null },
      data: { preparedDraftId: prepared.draftId, preparedPreorderId: prepared.preorderId, preparedAt: new Date() },
    });
    return result.count === 1;
  }

  /**
   * Forgets the prepared draft and preorder (WB consumed or rejected it).
   * @param onlyPreorderId when given, clears only while that preorder is still the stored one
   * @returns whether the row changed
   */
  async clearPrepared(id: number, onlyPreorderId?: string): Promise<boolean> {
    const result = await this.db.monitoringTask.updateMany({
      where: { id, ...(onlyPreorderId === undefined ? { preparedPreorderId: { not: null } } : { preparedPreorderId: onlyPreorderId }) },
      data: { preparedDraftId: null, preparedPreorderId: null, preparedAt: null },
    });
    return result.count === 1;
  }

  /**
   * Ids of every watched task, in pages (the reconciler walks them all).
   * @returns up to `take` ids greater than `afterId`
   */
  async watchingIds(afterId = 0, take = 5000): Promise<number[]> {
    const rows = await this.db.monitoringTask.findMany({
      where: { status: { in: [...WATCHING_STATUSES] }, id: { gt: afterId } },
      orderBy: { id: "asc" },
      take,
      select: { id: true },
    });
    return rows.map((row) => row.id);
  }

  /**
   * Expires every watched or paused task whose last date is before `today`.
   * @returns the tasks that expired now (to tell their owners)
   */
  async expireBefore(today: string): Promise<ExpiredTask[]> {
    return await this.db.$queryRaw<ExpiredTask[]>`
      UPDATE monitoring_tasks SET status = 'EXPIRED', is_active = false, status_reason = NULL, updated_at = now()
      WHERE status IN ('ACTIVE', 'NEEDS_ACTION', 'PAUSED') AND date_to < ${isoToDbDate(today)}::date
      RETURNING id, user_id AS "userId", warehouse_name AS "warehouseName", warehouse_id AS "warehouseId",
                date_from AS "dateFrom", date_to AS "dateTo"`;
  }

  /**
   * Stores the last check of many tasks in one statement. The rows travel as
   * four arrays (`unnest`), so the statement has 4 parameters whatever the
   * batch size (a VALUES list had 4 per row: costly to build, and capped by
   * Postgres's 65,535 parameters).
   */
  async recordChecks(checks: readonly TaskCheck[]): Promise<void> {
    if (checks.length === 0) return;
    const ids = checks.map((check) => check.id);
    const at = checks.map((check) => check.checkedAt.getTime());
    const ages = checks.map((check) => check.snapshotAgeMs);
    const refresh = checks.map((check) => check.refreshIntervalMs);
    // Straight to pg (see Database.pool): 4 arrays of up to 10,000 values are not worth compiling.
    await this.pool.query(
      `UPDATE monitoring_tasks AS t SET last_checked_at = v.checked_at, last_snapshot_age_ms = v.age, refresh_interval_ms = v.refresh
         FROM (
           SELECT u.id, (to_timestamp(u.ms / 1000.0) AT TIME ZONE 'UTC')::timestamp(3) AS checked_at, u.age, u.refresh
             FROM unnest($1::int[], $2::float8[], $3::int[], $4::int[]) AS u(id, ms, age, refresh)
         ) AS v
        WHERE t.id = v.id AND (t.last_checked_at IS NULL OR t.last_checked_at < v.checked_at)`,
      [ids, at, ages, refresh],
    );
  }

  /**
   * Moves every task of one credential to another ("ротация ключей").
   * @returns how many tasks moved
   */
  async moveToCredential(fromCredentialId: string, toCredentialId: string): Promise<number> {
    const result = await this.db.monitoringTask.updateMany({ where: { credentialId: fromCredentialId }, data: { credentialId: toCredentialId } });
    return result.count;
  }

  /**
   * Watched tasks on one WB account read through one kind of credential, in
   * some warehouses (the worker's sweep of a fresh snapshot's newly opened
   * slots: `sellerId` for official tokens, `supplierId` for portal sessions).
   * @returns the tasks with their credential's non-secret facts
   */
  async watchingOnAccount(kind: CredentialKind, account: string, warehouseIds: readonly number[]): Promise<TaskWithCredential[]> {
    if (warehouseIds.length === 0) return [];
    const accountWhere = kind === "OFFICIAL_TOKEN" ? { sellerId: account } : { supplierId: account };
    return await this.db.monitoringTask.findMany({
      where: { status: { in: [...WATCHING_STATUSES] }, warehouseId: { in: [...warehouseIds] }, credential: { kind, isValid: true, ...accountWhere } },
      include: { credential: { select: credentialFactsSelect } },
    });
  }

  /**
   * Watched tasks of one credential.
   * @returns the tasks
   */
  async watchingByCredential(credentialId: string): Promise<MonitoringTask[]> {
    return await this.db.monitoringTask.findMany({ where: { credentialId, status: { in: [...WATCHING_STATUSES] } } });
  }

  /**
   * Pauses every watched task of a user (they blocked the bot, or ran out of catches).
   * @returns the ids that were paused
   */
  async pauseAllOfUser(userId: bigint, reason: string): Promise<number[]> {
    const rows = await this.db.monitoringTask.findMany({ where: { userId, status: { in: [...WATCHING_STATUSES] } }, select: { id: true } });
    if (rows.length === 0) return [];
    await this.db.monitoringTask.updateMany({
      where: { id: { in: rows.map((row) => row.id) }, status: { in: [...WATCHING_STATUSES] } },
      data: { status: "PAUSED", isActive: false, statusReason: reason },
    });
    return rows.map((row) => row.id);
  }
}
