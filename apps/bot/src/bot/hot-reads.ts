/**
 * Reads on the webhook's hot path as single raw SQL statements. Each Prisma model
 * query (engineType "client") runs the wasm query compiler before it reaches
 * Postgres, ~3× the CPU of a raw statement; a `/tasks` press made three of them
 * (user + conversation, the task page, the user's credentials). These return
 * exactly what the repository methods they replace returned for the same rows
 * (hot-reads.integration.test.ts compares them), and every statement is scoped
 * to the sender's own user id.
 */
import type { CredentialKind, Db } from "@wbslots/db";
import type { ConversationSnapshot } from "./context";
import { credentialRefreshMs } from "./features/monitor/credentials";
import type { TaskView } from "./features/tasks/format";

/** A registered sender and their wizard step (null when none). */
export interface SenderRow {
  readonly conversation: ConversationSnapshot | null;
}

/**
 * The sender's registration and conversation in one statement (what
 * `users.getWithConversation` returns, without two compiled queries).
 * @returns null when the user is not registered
 */
export async function loadSender(db: Db, userId: bigint): Promise<SenderRow | null> {
  const rows = await db.$queryRaw<{ scene: string | null; data: ConversationSnapshot["data"] }[]>`
    SELECT c.scene, c.data FROM users u LEFT JOIN conversation_states c ON c.user_id = u.id WHERE u.id = ${userId}`;
  const row = rows[0];
  if (!row) return null;
  return { conversation: row.scene === null ? null : { scene: row.scene, data: row.data } };
}

/** A task of a list page with the refresh interval its credential allows (null: no usable credential of the user). */
export interface TaskPageRow extends TaskView {
  readonly credentialRefreshMs: number | null;
}

interface RawTaskPageRow extends TaskView {
  readonly keyKind: CredentialKind | null;
  readonly keyTokenType: string | null;
}

/**
 * One page of the user's tasks, newest first (as `tasks.list`), each with its
 * credential's refresh facts joined in — only a credential of the same user counts
 * (as `apiKeys.list(userId)` did).
 * @returns up to `take` rows after skipping `skip`
 */
export async function loadTaskPage(db: Db, userId: bigint, take: number, skip: number): Promise<TaskPageRow[]> {
  const rows = await db.$queryRaw<RawTaskPageRow[]>`
    SELECT t.id, t.status::text AS status, t.warehouse_id AS "warehouseId", t.warehouse_name AS "warehouseName",
           t.date_from AS "dateFrom", t.date_to AS "dateTo", t.box_type_id AS "boxTypeId", t.max_coefficient AS "maxCoefficient",
           t.last_checked_at AS "lastCheckedAt", t.last_snapshot_age_ms AS "lastSnapshotAgeMs",
           t.refresh_interval_ms AS "refreshIntervalMs", t.status_reason AS "statusReason",
           k.kind::text AS "keyKind", k.token_type AS "keyTokenType"
      FROM monitoring_tasks t
      LEFT JOIN api_keys k ON k.id = t.credential_id AND k.user_id = t.user_id
     WHERE t.user_id = ${userId}
     ORDER BY t.created_at DESC
     LIMIT ${take} OFFSET ${skip}`;
  return rows.map(({ keyKind, keyTokenType, ...task }) => ({
    ...task,
    credentialRefreshMs: keyKind === null ? null : credentialRefreshMs({ kind: keyKind, tokenType: keyTokenType }),
  }));
}
