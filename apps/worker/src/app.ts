import { Worker, type Job, type Processor } from "bullmq";
import type { Redis } from "ioredis";
import type { WorkerConfig } from "@wbslots/config";
import type { Repositories } from "@wbslots/db";
import type { Logger } from "@wbslots/logger";
import { QUEUE, upsertMaintenance, type Queues } from "@wbslots/queues";
import type { WbClients } from "@wbslots/wb";
import { createBookProcessor } from "./book";
import { CheckBuffer } from "./checks";
import type { WorkerContext } from "./context";
import { SlotFeed } from "./feed";
import { rotateInvalidCredential } from "./key-rotation";
import { workerKeys } from "./keys";
import { createMaintenance, type Maintenance } from "./maintenance";
import { createWorkerMetrics, type WorkerMetrics } from "./metrics";
import { createMonitorProcessor } from "./monitor";
import { SnapshotStore } from "./snapshots";
import { SourceFlags } from "./sources";
import { TaskCache } from "./task-cache";

/** A processor for the `redistribute` queue (see ./redistribution). */
export type RedistributeHandler = (job: Job) => Promise<unknown>;

/** Tunables (tests shorten them). */
export interface WorkerAppOptions {
  /** Book job lock: a SIGKILLed worker's booking is picked up again after this (default 10 s). */
  readonly bookLockDurationMs?: number;
  /** How often stalled jobs are looked for (default 3 s). */
  readonly stalledIntervalMs?: number;
  /** How often buffered monitor checks are written (default 3 s). */
  readonly checksFlushMs?: number;
  /** Concurrency of the book worker (default 10). */
  readonly bookConcurrency?: number;
  /** Run the start-up reconcile (default true). */
  readonly reconcileOnStart?: boolean;
  /** Upsert the maintenance schedulers at start (default true). */
  readonly scheduleMaintenance?: boolean;
  /**
   * How often this process checks that the maintenance schedulers still exist in
   * Redis (default 60 s; 0 = never). They are gone after a Redis loss (FLUSHALL,
   * a restart without persistence); then they are upserted again and a reconcile
   * runs at once, so every watched task's monitor comes back.
   */
  readonly selfHealEveryMs?: number;
}

/** Dependencies of {@link createWorkerApp}. */
export interface WorkerAppDeps {
  readonly config: WorkerConfig;
  readonly logger: Logger;
  readonly repos: Repositories;
  /**
   * Redis connections (kind "worker"): `bullmq` for the Workers (each Worker
   * duplicates it for its blocking reads), `cache` for snapshots, locks and flags.
   */
  readonly redis: { readonly bullmq: Redis; readonly cache: Redis };
  readonly wb: WbClients;
  readonly queues: Queues;
  /** Defaults to a fresh registry. */
  readonly metrics?: WorkerMetrics;
  /** The `redistribute` processor; without it that queue is not consumed by this process. */
  readonly redistribute?: RedistributeHandler;
  readonly now?: () => number;
  readonly options?: WorkerAppOptions;
}

/** A running worker process's jobs. */
export interface WorkerApp {
  readonly metrics: WorkerMetrics;
  readonly maintenance: Maintenance;
  readonly checks: CheckBuffer;
  /** Schedules maintenance, reconciles once (locked), starts consuming every queue. */
  start(): Promise<void>;
  /** Stops taking jobs, waits for the running ones, writes buffered checks. Connections stay open (the caller owns them). */
  close(): Promise<void>;
}

/**
 * Builds the worker: BullMQ Workers for `monitor` (WORKER_CONCURRENCY), `book`,
 * `maintenance` and, when given, `redistribute`, over the shared snapshot feed.
 * @returns the app; call start()
 */
export function createWorkerApp(deps: WorkerAppDeps): WorkerApp {
  const now = deps.now ?? Date.now;
  const metrics = deps.metrics ?? createWorkerMetrics();
  const options = deps.options ?? {};
  const logger = deps.logger.child({ component: "worker" });
  const ctx: WorkerContext = {
    config: deps.config,
    logger,
    repos: deps.repos,
    redis: deps.redis.cache,
    wb: deps.wb,
    queues: deps.queues,
    metrics,
    keys: workerKeys(deps.config.QUEUE_PREFIX),
    now,
  };
  metrics.watchQueues(deps.queues.all);

  const tasks = new TaskCache((ids) => deps.repos.tasks.getMany(ids), now);
  const checks = new CheckBuffer({ recordChecks: (list) => deps.repos.tasks.recordChecks(list), logger }, options.checksFlushMs ?? 3000);
  const store = new SnapshotStore({ redis: ctx.redis, keys: ctx.keys, now });
  const flags = new SourceFlags(ctx);
  const rotate = async (credentialId: string, reason: string): Promise<void> => {
    await rotateInvalidCredential(ctx, credentialId, reason, (ids) => ids.forEach((id) => tasks.invalidate(id)));
  };
  const feed = new SlotFeed(ctx, store, flags, rotate);
  const maintenance = createMaintenance({ ctx, checks, flags, feed });
  const processors: { name: string; processor: Processor; concurrency: number; lockDuration?: number }[] = [
    { name: QUEUE.monitor, processor: createMonitorProcessor({ ctx, tasks, feed, flags, checks }), concurrency: deps.config.WORKER_CONCURRENCY },
    {
      name: QUEUE.book,
      processor: createBookProcessor({ ctx, rotate, onTaskChanged: (id) => tasks.invalidate(id) }),
      concurrency: options.bookConcurrency ?? 10,
      lockDuration: options.bookLockDurationMs ?? 10_000,
    },
    { name: QUEUE.maintenance, processor: (job) => maintenance.process(job), concurrency: 1 },
  ];
  if (deps.redistribute) processors.push({ name: QUEUE.redistribute, processor: deps.redistribute, concurrency: deps.config.WORKER_CONCURRENCY });

  const workers: Worker[] = [];
  let started = false;
  let healTimer: NodeJS.Timeout | undefined;
  let healing = false;
  const selfHeal = async (): Promise<void> => {
    if (healing) return;
    healing = true;
    try {
      if (await deps.queues.maintenance.getJobScheduler("maintenance:reconcile")) return;
      logger.warn("maintenance schedulers missing (Redis lost?): rescheduling and reconciling");
      await upsertMaintenance(deps.queues);
      const result = await maintenance.reconcileOnce();
      logger.warn({ reconcile: result ?? "another worker is reconciling" }, "self-heal reconcile");
    } catch (error) {
      logger.error({ err: error }, "self-heal failed; retrying on the next tick");
    } finally {
      healing = false;
    }
  };

  return {
    metrics,
    maintenance,
    checks,
    async start() {
      if (started) return;
      started = true;
      checks.start();
      if (options.scheduleMaintenance ?? true) await upsertMaintenance(deps.queues);
      if (options.reconcileOnStart ?? true) {
        try {
          const result = await maintenance.reconcileOnce();
          logger.info({ reconcile: result ?? "another worker is reconciling" }, "start-up reconcile");
        } catch (error) {
          logger.error({ err: error }, "start-up reconcile failed; the maintenance job retries it");
        }
      }
      for (const spec of processors) {
        const worker = new Worker(spec.name, spec.processor, {
          connection: deps.redis.bullmq,
          prefix: deps.config.QUEUE_PREFIX,
          concurrency: spec.concurrency,
          stalledInterval: options.stalledIntervalMs ?? 3000,
          ...(spec.lockDuration ? { lockDuration: spec.lockDuration } : {}),
        });
        worker.on("error", (error) => logger.error({ err: error, queue: spec.name }, "worker error"));
        worker.on("failed", (job, error) => {
          logger.warn({ err: error, queue: spec.name, jobId: job?.id, attemptsMade: job?.attemptsMade }, "job failed");
        });
        workers.push(worker);
      }
      const healEvery = options.selfHealEveryMs ?? 15_000;
      if (healEvery > 0) {
        healTimer = setInterval(() => void selfHeal(), healEvery);
        healTimer.unref();
      }
      logger.info({ queues: processors.map((p) => p.name), concurrency: deps.config.WORKER_CONCURRENCY }, "worker started");
    },
    async close() {
      if (healTimer) clearInterval(healTimer);
      // Worker.close() stops fetching and waits for the jobs in flight.
      await Promise.all(workers.map((worker) => worker.close()));
      workers.length = 0;
      tasks.close();
      feed.close();
      await checks.stop();
    },
  };
}
