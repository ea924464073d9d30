export { freePort } from "./ports";
export { startEmbeddedPostgres, externalPostgres, runSql, type PostgresServer, type EmbeddedPostgresOptions } from "./postgres";
export { readMigrations, createMigratedDatabase, cloneDatabase, repoRoot } from "./migrations";
export { startRedis, waitForRedis, redisServerBinary, type RedisServer } from "./redis";
