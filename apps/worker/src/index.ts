/**
 * @wbslots/worker as a library: tests and benchmarks build the real worker in-process.
 */
export { createWorkerApp, type WorkerApp, type WorkerAppDeps, type WorkerAppOptions, type RedistributeHandler } from "./app";
export { createWorkerMetrics, type WorkerMetrics } from "./metrics";
export { startMetricsServer, type MetricsServer } from "./http";
export { workerKeys, slotKey, type WorkerKeys } from "./keys";
export { packSnapshot, unpackSnapshot, type SnapshotView } from "./snapshots";
export type { ReconcileResult, Maintenance } from "./maintenance";
