import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Telegraf } from "telegraf";
import type { Update } from "telegraf/types";
import { z } from "zod";
import type { BotContext } from "./bot/context";
import type { BotDeps } from "./bot/deps";
import { newErrorId } from "./bot/errors";
import { offerWebhookReply } from "./bot/webhook-reply";
import type { BotMetrics } from "./metrics";

/** The webhook path (CONTRACT.md). */
export const WEBHOOK_PATH = "/telegram/webhook";

/** Header Telegram sends with the secret given to setWebhook. */
export const SECRET_HEADER = "x-telegram-bot-api-secret-token";

/** How long a delivered update_id is remembered (Telegram retries for far less). */
export const UPDATE_DEDUPE_TTL_S = 24 * 3600;

/** The minimum we require of a Telegram Update; the rest is Telegraf's business. */
export const updateSchema = z.looseObject({ update_id: z.number().int().nonnegative() });

/**
 * Constant-time comparison of the secret header (hashing first makes lengths equal).
 * @returns whether `given` equals `expected`
 */
export function secretMatches(given: unknown, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/** @returns the update's type (`message`, `callback_query`, …) for metrics */
export function updateTypeOf(update: Record<string, unknown>): string {
  return Object.keys(update).find((key) => key !== "update_id") ?? "unknown";
}

/** @returns the Redis key remembering that an update was taken */
export function updateDedupeKey(prefix: string, updateId: number): string {
  return `${prefix}:tg-update:${updateId}`;
}

/**
 * Registers `POST /telegram/webhook`: secret header (401, nothing processed),
 * body shape (400), once-per-update_id (Redis SET NX; when Redis is down the
 * update is processed anyway), then Telegraf. Always 200 once accepted, so
 * Telegram does not re-send an update whose handler failed (the user got an
 * apology with an error id from the bot's error handler). The 200 goes out
 * when the handler is done; its body is the button's answer when the handler
 * answered one (webhook-reply.ts), else `{ ok: true }`.
 */
export function registerWebhook(app: FastifyInstance, deps: BotDeps, bot: Telegraf<BotContext>, metrics: BotMetrics): void {
  const log = deps.logger.child({ component: "webhook" });

  const checkSecret = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (!secretMatches(request.headers[SECRET_HEADER], deps.config.TELEGRAM_WEBHOOK_SECRET)) {
      metrics.webhookUpdates.inc({ type: "unknown", outcome: "unauthorized" });
      log.warn({ ip: request.ip }, "webhook call with a wrong or missing secret");
      await reply.code(401).send({ ok: false, error: "unauthorized" });
    }
  };

  const firstDelivery = async (updateId: number): Promise<boolean> => {
    try {
      const set = await deps.redis.set(updateDedupeKey(deps.config.QUEUE_PREFIX, updateId), "1", "EX", UPDATE_DEDUPE_TTL_S, "NX");
      return set === "OK";
    } catch (error) {
      log.warn({ err: error, updateId }, "update dedupe unavailable (Redis); processing anyway");
      return true;
    }
  };

  app.post(WEBHOOK_PATH, { onRequest: checkSecret }, async (request, reply) => {
    const parsed = updateSchema.safeParse(request.body);
    if (!parsed.success) {
      metrics.webhookUpdates.inc({ type: "unknown", outcome: "bad_request" });
      return await reply.code(400).send({ ok: false, error: "not a Telegram update" });
    }
    const update = parsed.data;
    const type = updateTypeOf(update);
    if (!(await firstDelivery(update.update_id))) {
      metrics.webhookUpdates.inc({ type, outcome: "duplicate" });
      return await reply.code(200).send({ ok: true, duplicate: true });
    }
    const stop = metrics.handlerDuration.startTimer({ type });
    // Shape beyond update_id is Telegraf's to interpret; unknown update kinds are ignored by it.
    const telegramUpdate = update as unknown as Update;
    const webhookReply = offerWebhookReply(telegramUpdate);
    try {
      await bot.handleUpdate(telegramUpdate);
      metrics.webhookUpdates.inc({ type, outcome: "ok" });
    } catch (error) {
      const errorId = newErrorId();
      metrics.webhookUpdates.inc({ type, outcome: "error" });
      log.error({ err: error, errorId, updateId: update.update_id, type }, "update failed outside the bot's error handler");
    } finally {
      stop();
    }
    return await reply.code(200).send(webhookReply.answer ?? { ok: true });
  });
}
