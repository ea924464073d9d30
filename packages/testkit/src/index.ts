export { freePort } from "./ports";
export { startEmbeddedPostgres, externalPostgres, runSql, type PostgresServer, type EmbeddedPostgresOptions } from "./postgres";
export { readMigrations, createMigratedDatabase, cloneDatabase, repoRoot } from "./migrations";
export { startRedis, waitForRedis, redisServerBinary, type RedisServer } from "./redis";
export { startFakeTelegram, createUpdateBuilders, type FakeTelegram, type RecordedCall, type FakeFailure, type DeliveryResult, type StartFakeTelegramOptions, type UpdateBuilders, type FakeUser, type FakePayment } from "./fake-telegram";
export { startTsProcess, startNodeProcess, waitForHttpStatus, eventually, type ManagedProcess } from "./processes";
export { productionCommand, type ProductionCommand } from "./production-command";
export { coreEnv, randomBotToken, startProduct, type CoreEnv, type CoreEnvOptions, type RunningProduct, type StartProductOptions } from "./product";
