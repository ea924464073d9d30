/**
 * Vitest global setup: one real PostgreSQL and one real Redis for the whole run.
 * `DATABASE_URL` / `REDIS_URL` are used when set; otherwise an embedded Postgres
 * and a redis-server on free ports are started here and stopped at the end.
 * A template database with every migration applied is prepared once; each test
 * file clones it (see `testDatabase()` in ./vitest.ts).
 */
import type { TestProject } from "vitest/node";
import { createMigratedDatabase } from "./migrations";
import { externalPostgres, runSql, startEmbeddedPostgres, type PostgresServer } from "./postgres";
import { startRedis, type RedisServer } from "./redis";

import "./provided";

let postgres: PostgresServer | undefined;
let redis: RedisServer | undefined;

/** Starts the shared servers and provides their URLs to test files. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const externalPg = process.env.DATABASE_URL;
  postgres = externalPg ? externalPostgres(externalPg) : await startEmbeddedPostgres();
  const template = `wbslots_template_${process.pid}`;
  await runSql(postgres.url, `DROP DATABASE IF EXISTS "${template}"`);
  await createMigratedDatabase(postgres, template);
  const externalRedis = process.env.REDIS_URL;
  redis = externalRedis ? undefined : await startRedis();
  project.provide("pgServerUrl", postgres.url);
  project.provide("pgTemplate", template);
  project.provide("redisUrl", externalRedis ?? redis?.url ?? "");
  return async () => {
    await redis?.stop();
    if (externalPg && postgres) await runSql(postgres.url, `DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
    await postgres?.stop();
  };
}
