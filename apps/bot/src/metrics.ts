import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Queue } from "bullmq";

/** Outcome of one webhook delivery. */
export type WebhookOutcome = "ok" | "duplicate" | "error" | "unauthorized" | "bad_request";

/** Outcome of one notification send. */
export type NotificationOutcome = "sent" | "rate_limited" | "retry" | "blocked" | "invalid" | "failed";

/** The bot process's Prometheus metrics (one registry per app, so tests can build several). */
export interface BotMetrics {
  readonly registry: Registry;
  /** Webhook updates by update type and outcome. */
  readonly webhookUpdates: Counter<"type" | "outcome">;
  /** Time spent in Telegraf per update, by update type (seconds). */
  readonly handlerDuration: Histogram<"type">;
  /** Notification sends by outcome. */
  readonly notificationSends: Counter<"outcome">;
  /** Jobs per queue and state, collected on scrape. */
  readonly queueDepth: Gauge<"queue" | "state">;
}

const QUEUE_STATES = ["waiting", "active", "delayed", "failed", "prioritized", "waiting-children"] as const;

/**
 * Creates the registry and metrics. Queue depths are read from Redis when
 * /metrics is scraped (a Redis failure leaves the gauge empty, never fails the scrape).
 * @param options.queues queues whose depth to report
 * @param options.defaultMetrics also collect Node process metrics (main process: true)
 * @returns the metrics
 */
export function createMetrics(options: { queues?: readonly Queue[]; defaultMetrics?: boolean } = {}): BotMetrics {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  const queues = options.queues ?? [];
  const webhookUpdates = new Counter({
    name: "bot_webhook_updates_total",
    help: "Telegram webhook updates by type and outcome",
    labelNames: ["type", "outcome"] as const,
    registers: [registry],
  });
  const handlerDuration = new Histogram({
    name: "bot_update_handler_seconds",
    help: "Time to handle one Telegram update",
    labelNames: ["type"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const notificationSends = new Counter({
    name: "bot_notification_sends_total",
    help: "Notification sends by outcome",
    labelNames: ["outcome"] as const,
    registers: [registry],
  });
  const queueDepth = new Gauge({
    name: "bot_queue_jobs",
    help: "BullMQ jobs per queue and state (read on scrape)",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        queues.map(async (queue) => {
          try {
            const counts = await withTimeout(queue.getJobCounts(...QUEUE_STATES), 1000);
            for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
          } catch {
            // Redis unavailable: report nothing for this queue rather than failing the scrape.
          }
        }),
      );
    },
  });
  return { registry, webhookUpdates, handlerDuration, notificationSends, queueDepth };
}

/**
 * Rejects when `promise` takes longer than `ms`.
 * @returns the promise's value
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
