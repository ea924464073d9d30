/**
 * Reads on the webhook's hot path as single raw SQL statements. Each Prisma model
 * query (engineType "client") runs the wasm query compiler before it reaches
 * Postgres, ~3× the CPU of a raw statement; a `/tasks` press made three of them
 * (user + conversation, the task page, the user's credentials). These return
 * exactly what the repository methods they replace returned for the same rows
 * (hot-reads.integration.test.ts compares them), and every statement is scoped
 * to the sender's own user id.
 */
import { Prisma, type CredentialKind, type Db } from "@wbslots/db";
import type { ConversationSnapshot } from "./context";
import { credentialRefreshMs } from "./features/monitor/credentials";
import type { TaskView } from "./features/tasks/format";

/** Which task page to read together with the sender (see {@link loadSender}). */
export interface TaskPageRequest {
  readonly take: number;
  readonly skip: number;
}

/** A registered sender, their wizard step (null when none) and, when asked for, a task page. */
export interface SenderRow {
  readonly conversation: ConversationSnapshot | null;
  /** The requested page (as {@link loadTaskPage} returns it); undefined when none was asked for. */
  readonly taskPage?: TaskPageRow[];
}

/** A task of a list page with the refresh interval its credential allows (null: no usable credential of the user). */
export interface TaskPageRow extends TaskView {
  readonly credentialRefreshMs: number | null;
}

interface RawTaskPageRow extends TaskView {
  readonly keyKind: CredentialKind | null;
  readonly keyTokenType: string | null;
}

// The page of `userId` newest first (tie: newest id), with the refresh facts of the task's
// credential when it is the same user's (as apiKeys.list(userId) scoped them).
function taskPageSql(userId: bigint | Prisma.Sql, page: TaskPageRequest): Prisma.Sql {
  return Prisma.sql`
    SELECT t.id, t.status::text AS status, t.warehouse_id AS "warehouseId", t.warehouse_name AS "warehouseName",
           t.date_from AS "dateFrom", t.date_to AS "dateTo", t.box_type_id AS "boxTypeId", t.max_coefficient AS "maxCoefficient",
           t.last_checked_at AS "lastCheckedAt", t.last_snapshot_age_ms AS "lastSnapshotAgeMs",
           t.refresh_interval_ms AS "refreshIntervalMs", t.status_reason AS "statusReason",
           k.kind::text AS "keyKind", k.token_type AS "keyTokenType", t.created_at AS "createdAt"
      FROM monitoring_tasks t
      LEFT JOIN api_keys k ON k.id = t.credential_id AND k.user_id = t.user_id
     WHERE t.user_id = ${userId}
     ORDER BY t.created_at DESC, t.id DESC
     LIMIT ${page.take} OFFSET ${page.skip}`;
}

function toTaskPageRow(raw: RawTaskPageRow & { createdAt?: unknown }): TaskPageRow {
  return {
    id: raw.id,
    status: raw.status,
    warehouseId: raw.warehouseId,
    warehouseName: raw.warehouseName,
    dateFrom: raw.dateFrom,
    dateTo: raw.dateTo,
    boxTypeId: raw.boxTypeId,
    maxCoefficient: raw.maxCoefficient,
    lastCheckedAt: raw.lastCheckedAt,
    lastSnapshotAgeMs: raw.lastSnapshotAgeMs,
    refreshIntervalMs: raw.refreshIntervalMs,
    statusReason: raw.statusReason,
    credentialRefreshMs: raw.keyKind === null ? null : credentialRefreshMs({ kind: raw.keyKind, tokenType: raw.keyTokenType }),
  };
}

type SenderJoinRow = { scene: string | null; data: ConversationSnapshot["data"] } & ({ id: null } | RawTaskPageRow);

/**
 * The sender's registration and conversation in one statement (what
 * `users.getWithConversation` returns, without two compiled queries) and, when
 * `taskPage` is given, that page of their tasks in the same statement (one
 * round trip for a `/tasks` press instead of two).
 * @returns null when the user is not registered
 */
export async function loadSender(db: Db, userId: bigint, taskPage: TaskPageRequest | null = null): Promise<SenderRow | null> {
  if (!taskPage) {
    const rows = await db.$queryRaw<{ scene: string | null; data: ConversationSnapshot["data"] }[]>`
      SELECT c.scene, c.data FROM users u LEFT JOIN conversation_states c ON c.user_id = u.id WHERE u.id = ${userId}`;
    const row = rows[0];
    if (!row) return null;
    return { conversation: row.scene === null ? null : { scene: row.scene, data: row.data } };
  }
  // One row per task of the page (one row with a null id when there is none); the sender's columns repeat.
  const rows = await db.$queryRaw<SenderJoinRow[]>`
    SELECT c.scene, c.data, p.*
      FROM users u
      LEFT JOIN conversation_states c ON c.user_id = u.id
      LEFT JOIN LATERAL (${taskPageSql(Prisma.sql`u.id`, taskPage)}) p ON true
     WHERE u.id = ${userId}
     ORDER BY p."createdAt" DESC, p.id DESC`;
  const first = rows[0];
  if (!first) return null;
  const page: TaskPageRow[] = [];
  for (const row of rows) if (row.id !== null) page.push(toTaskPageRow(row));
  return { conversation: first.scene === null ? null : { scene: first.scene, data: first.data }, taskPage: page };
}

/**
 * One page of the user's tasks, newest first (as `tasks.list`), each with its
 * credential's refresh facts joined in — only a credential of the same user counts
 * (as `apiKeys.list(userId)` did).
 * @returns up to `take` rows after skipping `skip`
 */
export async function loadTaskPage(db: Db, userId: bigint, take: number, skip: number): Promise<TaskPageRow[]> {
  const rows = await db.$queryRaw<RawTaskPageRow[]>(taskPageSql(userId, { take, skip }));
  return rows.map(toTaskPageRow);
}
