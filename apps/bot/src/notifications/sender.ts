import Bottleneck from "bottleneck";
import { DelayedError, UnrecoverableError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { TelegramError, type Telegram } from "telegraf";
import type { Logger } from "@wbslots/logger";
import type { Repositories } from "@wbslots/db";
import { QUEUE, notificationJobSchema, removeMonitor, type NotificationJob, type Queues } from "@wbslots/queues";
import type { BotMetrics } from "../metrics";

/** Dependencies of {@link startNotificationSender}. */
export interface NotificationSenderDeps {
  readonly logger: Logger;
  readonly repos: Pick<Repositories, "users" | "tasks" | "operations">;
  readonly queues: Pick<Queues, "monitor">;
  readonly telegram: Telegram;
  readonly metrics: BotMetrics;
  /** A worker-kind connection (blocking commands); the sender does not close it. */
  readonly connection: Redis;
  /** BullMQ key prefix (QUEUE_PREFIX). */
  readonly prefix: string;
}

/** Tuning of {@link startNotificationSender}. */
export interface NotificationSenderOptions {
  /** Telegram's overall limit (default 30 messages/s). */
  readonly perSecond?: number;
  /** Gap between two messages to one chat (default 1000 ms). */
  readonly perChatIntervalMs?: number;
  /** Jobs processed at once (default 30). */
  readonly concurrency?: number;
}

/** A running sender. */
export interface NotificationSender {
  readonly worker: Worker<NotificationJob>;
  /** Stops taking jobs, lets running sends finish, stops the limiters. */
  close(): Promise<void>;
}

/** Sends to one chat waiting in-process before further jobs for it are re-delayed instead. */
const MAX_PENDING_PER_CHAT = 5;

/** What happened to one job (returned as the job's result). */
export type SendResult = { readonly outcome: "sent"; readonly messageId: number } | { readonly outcome: "blocked" };

/**
 * Sends queued notifications to users: HTML text with inline buttons, ~30
 * messages/s overall and 1/s per chat. Telegram 429 → the job is delayed by
 * `retry_after` (no attempt spent, nothing lost); 5xx or network errors → the
 * job fails and BullMQ retries with the producer's backoff; 403 (blocked,
 * deactivated) → the user is marked inactive, their tasks paused, the job dropped.
 * @returns the sender
 */
export function startNotificationSender(deps: NotificationSenderDeps, options: NotificationSenderOptions = {}): NotificationSender {
  const log = deps.logger.child({ component: "notifications" });
  const perSecond = options.perSecond ?? 30;
  const overall = new Bottleneck({ minTime: Math.ceil(1000 / perSecond), maxConcurrent: perSecond });
  const perChatIntervalMs = options.perChatIntervalMs ?? 1000;
  const perChat = new Bottleneck.Group({ maxConcurrent: 1, minTime: perChatIntervalMs });
  overall.on("error", (error: unknown) => log.warn({ err: error }, "limiter error"));

  const send = async (job: NotificationJob): Promise<number> => {
    const chatId = job.userId;
    const buttons = job.buttons;
    const message = await perChat.key(chatId).schedule(() =>
      overall.schedule(() =>
        deps.telegram.sendMessage(chatId, job.text, {
          parse_mode: "HTML",
          link_preview_options: { is_disabled: true },
          ...(buttons ? { reply_markup: { inline_keyboard: buttons } } : {}),
        }),
      ),
    );
    return message.message_id;
  };

  const markBlocked = async (userId: bigint, description: string): Promise<void> => {
    await deps.repos.users.setActive(userId, false);
    const paused = await deps.repos.tasks.pauseAllOfUser(userId, "bot_blocked");
    for (const taskId of paused) await removeMonitor(deps.queues, taskId);
    if (paused.length > 0) await deps.repos.operations.log(userId, "task.paused", { reason: "bot_blocked", taskIds: paused });
    log.info({ userId: String(userId), paused: paused.length, description }, "user blocked the bot: marked inactive, tasks paused");
  };

  const processor = async (job: Job<NotificationJob>, token?: string): Promise<SendResult> => {
    const parsed = notificationJobSchema.safeParse(job.data);
    if (!parsed.success) {
      deps.metrics.notificationSends.inc({ outcome: "invalid" });
      log.error({ jobId: job.id, issues: parsed.error.issues.map((issue) => issue.path.join(".")) }, "invalid notification payload dropped");
      throw new UnrecoverableError("invalid notification payload");
    }
    const data = parsed.data;
    // A burst to one chat must not hold every worker slot while the 1/s per-chat limiter drains:
    // beyond a few queued sends the job goes back to the delayed set for roughly its turn.
    const chatCounts = perChat.key(data.userId).counts();
    const pending = chatCounts.RECEIVED + chatCounts.QUEUED + chatCounts.RUNNING + chatCounts.EXECUTING;
    if (pending >= MAX_PENDING_PER_CHAT) {
      await job.moveToDelayed(Date.now() + pending * perChatIntervalMs, token);
      throw new DelayedError();
    }
    try {
      const messageId = await send(data);
      deps.metrics.notificationSends.inc({ outcome: "sent" });
      return { outcome: "sent", messageId };
    } catch (error) {
      if (error instanceof TelegramError) {
        if (error.code === 429) {
          const retryAfterS = error.parameters?.retry_after ?? 1;
          deps.metrics.notificationSends.inc({ outcome: "rate_limited" });
          log.warn({ jobId: job.id, retryAfterS }, "Telegram 429: delaying the notification");
          await job.moveToDelayed(Date.now() + retryAfterS * 1000, token);
          throw new DelayedError();
        }
        if (error.code === 403 || /chat not found|user is deactivated/i.test(error.description)) {
          deps.metrics.notificationSends.inc({ outcome: "blocked" });
          await markBlocked(BigInt(data.userId), error.description);
          return { outcome: "blocked" };
        }
        if (error.code >= 400 && error.code < 500) {
          deps.metrics.notificationSends.inc({ outcome: "failed" });
          log.error({ jobId: job.id, code: error.code, description: error.description, kind: data.kind }, "Telegram refused the notification");
          throw new UnrecoverableError(`telegram ${error.code}: ${error.description}`);
        }
      }
      deps.metrics.notificationSends.inc({ outcome: "retry" });
      log.warn({ err: error, jobId: job.id, attempt: job.attemptsMade + 1 }, "notification send failed; BullMQ retries with backoff");
      throw error;
    }
  };

  const worker = new Worker<NotificationJob, SendResult>(QUEUE.notifications, processor, {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: options.concurrency ?? 30,
  });
  worker.on("error", (error) => log.warn({ err: error }, "notifications worker error"));

  return {
    worker,
    close: async () => {
      await worker.close();
      await overall.stop({ dropWaitingJobs: false }).catch(() => undefined);
      for (const { limiter } of perChat.limiters()) await limiter.stop({ dropWaitingJobs: false }).catch(() => undefined);
      await Promise.resolve(perChat.disconnect()).catch(() => undefined); // clears the group's cleanup interval
    },
  };
}
