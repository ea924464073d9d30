import { Redis, type RedisOptions } from "ioredis";

/**
 * Two kinds of Redis connection, as BullMQ wants them:
 * - `worker`: blocking commands, retries forever (`maxRetriesPerRequest: null`);
 * - `producer`: used while an HTTP request waits (webhook, API), so it fails
 *   fast when Redis is gone instead of hanging the request.
 */
export type ConnectionKind = "worker" | "producer";

/**
 * Creates an ioredis connection of the given kind.
 * @returns a new connection (the caller closes it)
 */
export function createRedisConnection(url: string, kind: ConnectionKind, extra: RedisOptions = {}): Redis {
  const options: RedisOptions =
    kind === "worker"
      ? { maxRetriesPerRequest: null, enableReadyCheck: true, ...extra }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, commandTimeout: 2_000, ...extra };
  const connection = new Redis(url, options);
  // Errors surface through the commands that fail; an unhandled 'error' event would crash the process.
  connection.on("error", () => undefined);
  return connection;
}
