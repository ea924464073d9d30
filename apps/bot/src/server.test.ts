import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig, botSchema } from "@wbslots/config";
import { freePort } from "@wbslots/testkit";
import { silentLogger } from "@wbslots/logger";
import { createBotApp, createBotDeps } from "./app";
import { ADMIN, startHarness, type Harness } from "./testing.test-helpers";

const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("bot HTTP server", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ app: { sender: false } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("refuses a wrong or missing secret with 401 and processes nothing", async () => {
    const userId = 700_001;
    const wrong = await h.post(h.updates.commandUpdate(userId, "start"), "wrong_secret");
    const missing = await h.post(h.updates.commandUpdate(userId, "start"), null);
    expect(wrong.status).toBe(401);
    expect(missing.status).toBe(401);
    expect(await h.owned.deps.repos.users.get(BigInt(userId))).toBeNull();
    expect(h.telegram.calls).toHaveLength(0);
  });

  it("answers 400 to a malformed body and keeps serving", async () => {
    expect((await h.post("{not json")).status).toBe(400);
    expect((await h.post({ message: { text: "no update_id" } })).status).toBe(400);
    expect((await h.post({ update_id: "1" })).status).toBe(400);
    expect((await h.post([1, 2])).status).toBe(400);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const ok = await h.post(h.updates.commandUpdate(700_002, "help"));
    expect(ok.status).toBe(200);
  });

  it("processes a duplicate update_id once", async () => {
    const userId = 700_003;
    const update = h.updates.commandUpdate(userId, "help");
    const [a, b] = await Promise.all([h.post(update), h.post(update)]);
    const c = await h.post(update);
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    await h.telegram.waitFor((call) => call.method === "sendMessage" && call.payload.chat_id === userId);
    expect(h.telegram.sentTo(userId)).toHaveLength(1);
  });

  it("answers a pressed button in the webhook's 200 (no Bot API request for it); anything else gets { ok: true }", async () => {
    const userId = 700_005;
    await h.post(h.updates.commandUpdate(userId, "start"));
    const press = h.updates.callbackUpdate(userId, "menu:help", 9);
    const id = (press.callback_query as { id: string }).id;
    const pressed = await h.post(press);
    expect(pressed.status).toBe(200);
    expect(await pressed.json()).toEqual({ method: "answerCallbackQuery", callback_query_id: id });
    const answers = h.telegram.calls.filter((call) => call.method === "answerCallbackQuery" && call.payload.callback_query_id === id);
    expect(answers.map((call) => call.via)).toEqual(["webhookReply"]);
    // The help screen itself is a real request, sent before the 200, over the app's Bot API transport.
    expect(h.telegram.sentTo(userId).at(-1)?.via).toBe("request");
    const carried = h.app.transport.calls;
    expect((await h.post(h.updates.callbackUpdate(userId, "menu:help", 9))).status).toBe(200);
    expect(h.app.transport.calls).toBe(carried + 1);
    // A forged button: the alert rides in the 200 as well.
    const forged = h.updates.callbackUpdate(userId, "zzz:unknown", 9);
    const refused = await (await h.post(forged)).json();
    expect(refused).toMatchObject({ method: "answerCallbackQuery", callback_query_id: (forged.callback_query as { id: string }).id, show_alert: true });
    expect(String((refused as { text?: unknown }).text)).toMatch(/устарела/);
    const command = await h.post(h.updates.commandUpdate(userId, "help"));
    expect(await command.json()).toEqual({ ok: true });
  });

  it("serves /healthz and /readyz", async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${h.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ postgres: "ok", redis: "ok" });
  });

  it("/readyz is 503 naming Redis when Redis is unreachable", async () => {
    const port = await freePort();
    const env = Object.fromEntries(Object.entries(h.config).map(([key, value]) => [key, value === undefined ? undefined : String(value)]));
    const config = parseConfig(botSchema, { ...env, REDIS_URL: `redis://127.0.0.1:${port}` });
    const owned = createBotDeps(config, silentLogger());
    const app = await createBotApp(owned.deps, { sender: false });
    try {
      const started = Date.now();
      const response = await app.server.inject({ method: "GET", url: "/readyz" });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ postgres: "ok", redis: "error" });
      expect(Date.now() - started).toBeLessThan(3000);
      // The webhook still works without Redis (dedupe skipped, update processed).
      const update = h.updates.commandUpdate(700_004, "help");
      const hook = await app.server.inject({ method: "POST", url: "/telegram/webhook", headers: { "x-telegram-bot-api-secret-token": h.config.TELEGRAM_WEBHOOK_SECRET }, payload: update });
      expect(hook.statusCode).toBe(200);
      expect(h.telegram.sentTo(700_004)).toHaveLength(1);
    } finally {
      await app.close();
      await owned.close();
    }
  });

  it("guards /metrics and /admin/queues with basic auth", async () => {
    for (const path of ["/metrics", "/admin/queues"]) {
      expect((await fetch(`${h.url}${path}`)).status).toBe(401);
      expect((await fetch(`${h.url}${path}`, { headers: { authorization: basic(ADMIN.user, "wrong-password") } })).status).toBe(401);
      const ok = await fetch(`${h.url}${path}`, { headers: { authorization: basic(ADMIN.user, ADMIN.password) } });
      expect(ok.status).toBe(200);
    }
    const metrics = await (await fetch(`${h.url}/metrics`, { headers: { authorization: basic(ADMIN.user, ADMIN.password) } })).text();
    expect(metrics).toContain("bot_webhook_updates_total");
    expect(metrics).toMatch(/bot_webhook_updates_total\{type="message",outcome="duplicate"\} [1-9]/);
    expect(metrics).toMatch(/bot_queue_jobs\{queue="notifications",state="waiting"\} 0/);
    expect(metrics).toContain("bot_update_handler_seconds_bucket");
    const board = await (await fetch(`${h.url}/admin/queues`, { headers: { authorization: basic(ADMIN.user, ADMIN.password) } })).text();
    expect(board).toContain("<html");
    const api = await fetch(`${h.url}/admin/queues/api/queues`, { headers: { authorization: basic(ADMIN.user, ADMIN.password) } });
    expect(api.status).toBe(200);
  });
});
