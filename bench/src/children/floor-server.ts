/**
 * The raw-tools floor of the webhook scenario: the `/tasks` press done with the
 * raw tools and nothing else, so the scenario can tell what the update's I/O
 * costs on this machine apart from what our code adds. Per update, as the bot:
 * Fastify's JSON body, the secret header compared in constant time, a Redis
 * `SET NX EX` of the update id (ioredis), the bot's very statement (sender +
 * task page, hot-read-sql.ts) as a named prepared statement over a `pg` pool of
 * the bot's size, a plain text of the rows with a two-button keyboard, one
 * `editMessageText` to the Bot API over node:http with a keep-alive agent (Node's
 * own client; the bot's undici transport costs a little less per call), and the
 * `answerCallbackQuery` in the 200. Without: Telegraf,
 * the logger, metrics, the conversation logic and the Russian screens.
 *
 * Env: PORT, TELEGRAM_WEBHOOK_SECRET, DATABASE_URL, REDIS_URL, TELEGRAM_API_ROOT,
 * TELEGRAM_BOT_TOKEN, QUEUE_PREFIX.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import Fastify from "fastify";
import { Redis } from "ioredis";
import pg from "pg";
import { SENDER_WITH_PAGE_SQL } from "../../../apps/bot/src/bot/hot-read-sql";

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};
const port = Number(env("PORT"));
const secret = env("TELEGRAM_WEBHOOK_SECRET");
const apiRoot = new URL(env("TELEGRAM_API_ROOT"));
const token = env("TELEGRAM_BOT_TOKEN");
const prefix = process.env.QUEUE_PREFIX ?? "wbslots";

const pool = new pg.Pool({ connectionString: env("DATABASE_URL"), max: 10 });
const redis = new Redis(env("REDIS_URL"), { maxRetriesPerRequest: 1 });
const agent = new http.Agent({ keepAlive: true });
const secretDigest = createHash("sha256").update(secret).digest();

interface Row {
  readonly id: number | null;
  readonly warehouse_name: string | null;
  readonly date_from: string | null;
  readonly date_to: string | null;
  readonly max_coefficient: number | null;
  readonly status: string | null;
}

interface CallbackUpdate {
  readonly update_id: number;
  readonly callback_query?: { readonly id: string; readonly from: { readonly id: number }; readonly message?: { readonly message_id: number; readonly chat: { readonly id: number } } };
}

/** One Bot API call over node:http; resolves with Telegram's `ok`. */
function callBotApi(method: string, payload: unknown): Promise<boolean> {
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: apiRoot.hostname, port: apiRoot.port, path: `/bot${token}/${method}`, method: "POST", agent, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          try {
            resolve((JSON.parse(Buffer.concat(chunks).toString("utf8")) as { ok?: unknown }).ok === true);
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

const app = Fastify({ logger: false });
app.get("/healthz", async () => ({ ok: true }));
app.post("/telegram/webhook", async (request, reply) => {
  const given = request.headers["x-telegram-bot-api-secret-token"];
  if (typeof given !== "string" || !timingSafeEqual(createHash("sha256").update(given).digest(), secretDigest)) return await reply.code(401).send({ ok: false });
  const update = request.body as CallbackUpdate | null;
  if (typeof update?.update_id !== "number") return await reply.code(400).send({ ok: false });
  const first = await redis.set(`${prefix}:tg-update:${update.update_id}`, "1", "EX", 86_400, "NX");
  const query = update.callback_query;
  if (first !== "OK" || !query?.message) return { ok: true };
  const { rows } = await pool.query<Row>({ name: "floor_sender_task_page", text: SENDER_WITH_PAGE_SQL, values: [String(query.from.id), 6, 0] });
  const lines = rows.filter((row) => row.id !== null).map((row) => `#${row.id} ${row.warehouse_name} ${row.date_from}–${row.date_to} ≤×${row.max_coefficient} ${row.status}`);
  await callBotApi("editMessageText", {
    chat_id: query.message.chat.id,
    message_id: query.message.message_id,
    text: `Задачи (${lines.length})\n${lines.join("\n")}`,
    reply_markup: { inline_keyboard: [[{ text: "➕ Новая задача", callback_data: "menu:monitor" }], [{ text: "⬅️ Меню", callback_data: "menu:main" }]] },
  });
  return { method: "answerCallbackQuery", callback_query_id: query.id };
});
await app.listen({ port, host: "127.0.0.1" });

const shutdown = (): void => {
  void app
    .close()
    .then(() => Promise.allSettled([pool.end(), redis.quit()]))
    .finally(() => process.exit(0));
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
