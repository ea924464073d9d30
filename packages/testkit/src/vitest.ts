import { randomBytes } from "node:crypto";
import { inject } from "vitest";
import "./provided";
import { runSql, externalPostgres } from "./postgres";

/**
 * A fresh database for one test file, cloned from the migrated template.
 * @returns its URL and a drop() to call in afterAll
 */
export async function testDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const server = externalPostgres(inject("pgServerUrl"));
  const name = `t_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  await runSql(server.url, `CREATE DATABASE "${name}" TEMPLATE "${inject("pgTemplate")}"`);
  return { url: server.urlFor(name), drop: () => runSql(server.url, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/**
 * The shared Redis plus a unique key prefix, so parallel test files never see
 * each other's queues or keys.
 * @returns the Redis URL and a prefix for BullMQ and our own keys
 */
export function testRedis(): { url: string; prefix: string } {
  return { url: inject("redisUrl"), prefix: `t${randomBytes(5).toString("hex")}` };
}
