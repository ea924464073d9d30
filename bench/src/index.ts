/**
 * The benchmark package: `pnpm bench` runs src/main.ts. The harness and scenario
 * runners are exported for reuse (e.g. a one-off profiling script).
 */
export * from "./harness";
export { runCatch } from "./scenarios/catch";
export { runCapacity } from "./scenarios/capacity";
export { runEconomy } from "./scenarios/economy";
export { runWebhook } from "./scenarios/webhook";
export { runMemory } from "./scenarios/memory";
