export { coreSchema, botSchema, workerSchema, sandboxSchema, type CoreConfig, type BotConfig, type WorkerConfig, type SandboxConfig } from "./schema";
export { parseConfig, loadConfigOrExit, readDotEnv, ConfigError, type ConfigIssue } from "./load";
