/**
 * The bare baseline of the webhook scenario: Fastify 5 with one JSON route at the
 * bot's path that checks the secret header and answers 200 `{ok:true}` — the
 * floor any webhook handler on this machine stands on.
 *
 * Env: PORT, TELEGRAM_WEBHOOK_SECRET.
 */
import Fastify from "fastify";

const port = Number(process.env.PORT);
const secret = process.env.TELEGRAM_WEBHOOK_SECRET ?? "";
const app = Fastify({ logger: false });
app.get("/healthz", async () => ({ ok: true }));
app.post("/telegram/webhook", async (request, reply) => {
  if (request.headers["x-telegram-bot-api-secret-token"] !== secret) return await reply.code(401).send({ ok: false });
  const body = request.body as { update_id?: unknown } | null;
  if (typeof body?.update_id !== "number") return await reply.code(400).send({ ok: false });
  return { ok: true };
});
await app.listen({ port, host: "127.0.0.1" });

const shutdown = (): void => {
  void app.close().finally(() => process.exit(0));
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
