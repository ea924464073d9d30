/**
 * The SQL text of the webhook's hot reads (hot-reads.ts runs them as named
 * prepared statements). Its own module, without imports, so the webhook
 * benchmark's raw-tools floor (bench/src/children/floor-server.ts) runs the
 * very same statement.
 */
// Dates and timestamps as UTC text: the instants Prisma returns, whatever the process's
// time zone or pg's type parsers.
const TASK_PAGE_COLUMNS = `
  t.id, t.status::text AS status, t.warehouse_id, t.warehouse_name,
  to_char(t.date_from, 'YYYY-MM-DD') AS date_from, to_char(t.date_to, 'YYYY-MM-DD') AS date_to,
  t.box_type_id, t.max_coefficient,
  to_char(t.last_checked_at, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS last_checked_at,
  t.last_snapshot_age_ms, t.refresh_interval_ms, t.status_reason,
  k.kind::text AS key_kind, k.token_type AS key_token_type, t.created_at`;

// The page of user $1 newest first (tie: newest id), $2 rows after $3, with the refresh facts
// of the task's credential when it is the same user's (as apiKeys.list(userId) scoped them).
const TASK_PAGE_FROM = `
    FROM monitoring_tasks t
    LEFT JOIN api_keys k ON k.id = t.credential_id AND k.user_id = t.user_id
   WHERE t.user_id = $1::bigint
   ORDER BY t.created_at DESC, t.id DESC
   LIMIT $2::int OFFSET $3::int`;

/** One page of a user's tasks: $1 user id, $2 rows after $3 (the columns of `RawTaskPageRow` in hot-reads.ts). */
export const TASK_PAGE_SQL = `SELECT ${TASK_PAGE_COLUMNS} ${TASK_PAGE_FROM}`;

/** The sender's wizard step: $1 user id; no row when the user is not registered. */
export const SENDER_SQL = `
  SELECT c.scene, c.data FROM users u LEFT JOIN conversation_states c ON c.user_id = u.id WHERE u.id = $1::bigint`;

/**
 * The sender's wizard step and one page of their tasks ($1 user id, $2 rows after $3):
 * one row per task of the page (one row with a null id when there is none); the
 * sender's columns repeat; no row when the user is not registered.
 */
export const SENDER_WITH_PAGE_SQL = `
  SELECT c.scene, c.data, p.*
    FROM users u
    LEFT JOIN conversation_states c ON c.user_id = u.id
    LEFT JOIN LATERAL (SELECT ${TASK_PAGE_COLUMNS} ${TASK_PAGE_FROM}) p ON true
   WHERE u.id = $1::bigint
   ORDER BY p.created_at DESC, p.id DESC`;
