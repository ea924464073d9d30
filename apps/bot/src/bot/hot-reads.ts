/**
 * Reads on the webhook's hot path as single SQL statements sent straight to the
 * `pg` pool Prisma runs on (`Repositories.pool`), as named prepared statements:
 * each connection parses and plans them once, and a Prisma request (raw ones
 * too) would first run its wasm query compiler. A `/tasks` press made three
 * Prisma model queries here once (user + conversation, the task page, the user's
 * credentials); now it is one statement. These return exactly what the
 * repository methods they replace returned for the same rows
 * (hot-reads.integration.test.ts compares them), and every statement is scoped
 * to the sender's own user id.
 */
import type { CredentialKind, SqlPool, TaskStatus } from "@wbslots/db";
import type { ConversationSnapshot } from "./context";
import { credentialRefreshMs } from "./features/monitor/credentials";
import type { TaskView } from "./features/tasks/format";
import { SENDER_SQL, SENDER_WITH_PAGE_SQL, TASK_PAGE_SQL } from "./hot-read-sql";

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

/** A task row as `pg` returns it for the casts of {@link TASK_PAGE_COLUMNS} (dates and timestamps as UTC text). */
interface RawTaskPageRow {
  readonly id: number;
  readonly status: TaskStatus;
  readonly warehouse_id: number;
  readonly warehouse_name: string;
  readonly date_from: string;
  readonly date_to: string;
  readonly box_type_id: number;
  readonly max_coefficient: number;
  readonly last_checked_at: string | null;
  readonly last_snapshot_age_ms: number | null;
  readonly refresh_interval_ms: number | null;
  readonly status_reason: string | null;
  readonly key_kind: CredentialKind | null;
  readonly key_token_type: string | null;
}

function toTaskPageRow(raw: RawTaskPageRow): TaskPageRow {
  return {
    id: raw.id,
    status: raw.status,
    warehouseId: raw.warehouse_id,
    warehouseName: raw.warehouse_name,
    dateFrom: new Date(raw.date_from),
    dateTo: new Date(raw.date_to),
    boxTypeId: raw.box_type_id,
    maxCoefficient: raw.max_coefficient,
    lastCheckedAt: raw.last_checked_at === null ? null : new Date(raw.last_checked_at),
    lastSnapshotAgeMs: raw.last_snapshot_age_ms,
    refreshIntervalMs: raw.refresh_interval_ms,
    statusReason: raw.status_reason,
    credentialRefreshMs: raw.key_kind === null ? null : credentialRefreshMs({ kind: raw.key_kind, tokenType: raw.key_token_type }),
  };
}

interface SenderColumns {
  readonly scene: string | null;
  readonly data: ConversationSnapshot["data"];
}

type SenderJoinRow = SenderColumns & ({ id: null } | RawTaskPageRow);

/**
 * The sender's registration and conversation in one statement (what
 * `users.getWithConversation` returns) and, when `taskPage` is given, that page
 * of their tasks in the same statement (one round trip for a `/tasks` press
 * instead of two).
 * @param pool the pool of `Repositories.pool`
 * @returns null when the user is not registered
 */
export async function loadSender(pool: SqlPool, userId: bigint, taskPage: TaskPageRequest | null = null): Promise<SenderRow | null> {
  if (!taskPage) {
    const { rows } = await pool.query<SenderColumns>({ name: "bot_sender", text: SENDER_SQL, values: [userId.toString()] });
    const row = rows[0];
    if (!row) return null;
    return { conversation: row.scene === null ? null : { scene: row.scene, data: row.data } };
  }
  const { rows } = await pool.query<SenderJoinRow>({
    name: "bot_sender_task_page",
    text: SENDER_WITH_PAGE_SQL,
    values: [userId.toString(), taskPage.take, taskPage.skip],
  });
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
 * @param pool the pool of `Repositories.pool`
 * @returns up to `take` rows after skipping `skip`
 */
export async function loadTaskPage(pool: SqlPool, userId: bigint, take: number, skip: number): Promise<TaskPageRow[]> {
  const { rows } = await pool.query<RawTaskPageRow>({ name: "bot_task_page", text: TASK_PAGE_SQL, values: [userId.toString(), take, skip] });
  return rows.map(toTaskPageRow);
}
