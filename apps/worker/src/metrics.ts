import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Queue } from "bullmq";
import type { WbRequestEvent } from "@wbslots/wb";

/** The worker's Prometheus metrics, all in one registry per process. */
export interface WorkerMetrics {
  readonly registry: Registry;
  /** `wb_request_duration_seconds{method,status}`. */
  readonly wbRequestDuration: Histogram<"method" | "status">;
  /** `wb_reads_total{credential,source}`: snapshot reads per credential (its uuid, never the secret). */
  readonly wbReads: Counter<"credential" | "source">;
  /** `worker_snapshot_age_seconds{source}`: age of the snapshot a monitor check used. */
  readonly snapshotAge: Histogram<"source">;
  /** `worker_catch_latency_seconds`: slot seen by a monitor → booking confirmed. */
  readonly catchLatency: Histogram;
  /** `worker_bookings_total{outcome}`. */
  readonly bookings: Counter<"outcome">;
  /** `worker_monitor_lag_seconds`: job processedOn − its scheduled time. */
  readonly monitorLag: Histogram;
  /** `worker_monitor_checks_total{result}`: checks by result (matched, no_match, skipped, waiting). */
  readonly monitorChecks: Counter<"result">;
  /** `worker_sweep_books_total{source}`: book jobs enqueued by the sweep of a fresh snapshot (match on read). */
  readonly sweepBooks: Counter<"source">;
  /** `worker_snapshot_fetches_total{source,outcome}`. */
  readonly snapshotFetches: Counter<"source" | "outcome">;
  /** `worker_queue_depth{queue,state}`, collected on scrape. */
  readonly queueDepth: Gauge<"queue" | "state">;
  /** Hook for `createWbClients({metrics: {onRequest}})`. */
  onWbRequest(event: WbRequestEvent): void;
  /** Makes `worker_queue_depth` read these queues on each scrape. */
  watchQueues(queues: readonly Queue[]): void;
}

/**
 * Creates the worker's metrics in a fresh registry (tests build many apps in one process).
 * @returns the metrics
 */
export function createWorkerMetrics(options: { defaultMetrics?: boolean } = {}): WorkerMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  let watched: readonly Queue[] = [];
  const wbRequestDuration = new Histogram({
    name: "wb_request_duration_seconds",
    help: "WB request duration by logical method and HTTP status (0 = no answer)",
    labelNames: ["method", "status"] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: "worker_queue_depth",
    help: "Jobs per queue and state",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      for (const queue of watched) {
        const counts = await queue.getJobCounts("waiting", "active", "delayed", "failed", "prioritized");
        for (const [state, count] of Object.entries(counts)) this.set({ queue: queue.name, state }, count);
      }
    },
  });
  return {
    registry,
    wbRequestDuration,
    wbReads: new Counter({ name: "wb_reads_total", help: "Slot snapshot reads from WB per credential id", labelNames: ["credential", "source"] as const, registers: [registry] }),
    snapshotAge: new Histogram({
      name: "worker_snapshot_age_seconds",
      help: "Age of the slot snapshot a monitor check matched against",
      labelNames: ["source"] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2, 3, 5, 7.5, 10, 15, 30, 60, 300, 3600],
      registers: [registry],
    }),
    catchLatency: new Histogram({
      name: "worker_catch_latency_seconds",
      help: "From the monitor seeing a slot to the booking confirmed at WB",
      buckets: [0.1, 0.25, 0.5, 0.8, 1, 1.5, 2, 3, 5, 10, 30, 60],
      registers: [registry],
    }),
    bookings: new Counter({ name: "worker_bookings_total", help: "Booking attempts by outcome", labelNames: ["outcome"] as const, registers: [registry] }),
    monitorLag: new Histogram({
      name: "worker_monitor_lag_seconds",
      help: "How late a monitor job started after its scheduled time",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers: [registry],
    }),
    monitorChecks: new Counter({ name: "worker_monitor_checks_total", help: "Monitor checks by result", labelNames: ["result"] as const, registers: [registry] }),
    sweepBooks: new Counter({ name: "worker_sweep_books_total", help: "Book jobs enqueued by the sweep of a fresh snapshot", labelNames: ["source"] as const, registers: [registry] }),
    snapshotFetches: new Counter({ name: "worker_snapshot_fetches_total", help: "Snapshot fetch attempts by source and outcome", labelNames: ["source", "outcome"] as const, registers: [registry] }),
    queueDepth,
    onWbRequest(event) {
      wbRequestDuration.observe({ method: event.method, status: String(event.status) }, event.durationMs / 1000);
    },
    watchQueues(queues) {
      watched = queues;
    },
  };
}
