import { timingSafeEqual, createHash } from "node:crypto";
import basicAuth from "@fastify/basic-auth";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { FastifyAdapter } from "@bull-board/fastify";
import Fastify, { type FastifyInstance } from "fastify";
import type { Telegraf } from "telegraf";
import type { BotContext } from "./bot/context";
import type { BotDeps } from "./bot/deps";
import { createMetrics, withTimeout, type BotMetrics } from "./metrics";
import { registerWebhook } from "./webhook";

/** Options of {@link buildServer}. */
export interface BuildServerOptions {
  /** Metrics registry (default: a new one over deps.queues). */
  readonly metrics?: BotMetrics;
  /** Readiness probe timeout per dependency (default 1000 ms). */
  readonly readyTimeoutMs?: number;
}

const ADMIN_QUEUES_PATH = "/admin/queues";

function same(a: string, b: string): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}

/**
 * Builds the bot's HTTP server (not listening): the webhook, /healthz,
 * /readyz, and behind basic auth /metrics and the BullMQ dashboard.
 * @returns the Fastify instance, ready (call `listen` or `inject`)
 */
export async function buildServer(deps: BotDeps, bot: Telegraf<BotContext>, options: BuildServerOptions = {}): Promise<FastifyInstance> {
  const metrics = options.metrics ?? createMetrics({ queues: deps.queues.all });
  const readyTimeoutMs = options.readyTimeoutMs ?? 1000;
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 });

  registerWebhook(app, deps, bot, metrics);

  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    const probe = async (check: () => Promise<unknown>): Promise<"ok" | "error"> => {
      try {
        await withTimeout(check(), readyTimeoutMs);
        return "ok";
      } catch {
        return "error";
      }
    };
    const [postgres, redis] = await Promise.all([probe(() => deps.repos.prisma.$queryRaw`SELECT 1`), probe(() => deps.redis.ping())]);
    const ok = postgres === "ok" && redis === "ok";
    if (!ok) deps.logger.warn({ postgres, redis }, "not ready");
    return await reply.code(ok ? 200 : 503).send({ status: ok ? "ok" : "error", postgres, redis });
  });

  await app.register(async (admin) => {
    await admin.register(basicAuth, {
      authenticate: { realm: "wbslots admin" },
      validate: async (username, password) => {
        const userOk = same(username, deps.config.ADMIN_USER);
        const passwordOk = same(password, deps.config.ADMIN_PASSWORD);
        if (!userOk || !passwordOk) throw new Error("Unauthorized");
      },
    });
    admin.addHook("onRequest", admin.basicAuth);

    admin.get("/metrics", async (_request, reply) => {
      const body = await metrics.registry.metrics();
      return await reply.type(metrics.registry.contentType).send(body);
    });

    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(ADMIN_QUEUES_PATH);
    createBullBoard({ queues: deps.queues.all.map((queue) => new BullMQAdapter(queue)), serverAdapter });
    await admin.register(serverAdapter.registerPlugin(), { prefix: ADMIN_QUEUES_PATH });
  });

  await app.ready();
  return app;
}
