import type { Redis } from "ioredis";
import type { WorkerConfig } from "@wbslots/config";
import type { Repositories } from "@wbslots/db";
import type { Logger } from "@wbslots/logger";
import type { Queues } from "@wbslots/queues";
import type { WbClients } from "@wbslots/wb";
import type { WorkerKeys } from "./keys";
import type { WorkerMetrics } from "./metrics";

/** What every job handler of the worker shares (built once by `createWorkerApp`). */
export interface WorkerContext {
  readonly config: WorkerConfig;
  readonly logger: Logger;
  readonly repos: Repositories;
  /** Connection for the worker's own keys (snapshots, locks, flags). */
  readonly redis: Redis;
  readonly wb: WbClients;
  readonly queues: Queues;
  readonly metrics: WorkerMetrics;
  readonly keys: WorkerKeys;
  /** Clock (ms since epoch). */
  readonly now: () => number;
}
