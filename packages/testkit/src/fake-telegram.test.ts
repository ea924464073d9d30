import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUpdateBuilders, startFakeTelegram, type FakeTelegram } from "./fake-telegram";

const TOKEN = "42:FAKE_token_abcdefghij";

describe("fake Telegram Bot API", () => {
  let tg: FakeTelegram;
  beforeAll(async () => {
    tg = await startFakeTelegram({ token: TOKEN });
  });
  afterAll(async () => {
    await tg.close();
  });

  const call = async (method: string, body: unknown, token = TOKEN): Promise<{ status: number; json: Record<string, unknown> }> => {
    const response = await fetch(`${tg.apiRoot}/bot${token}/${method}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };

  it("answers Telegram-shaped results with increasing message ids and records calls", async () => {
    const me = await call("getMe", {});
    expect(me.json).toMatchObject({ ok: true, result: { id: 42, is_bot: true } });
    const a = await call("sendMessage", { chat_id: 7, text: "a", reply_markup: { inline_keyboard: [[{ text: "x", callback_data: "y" }]] } });
    const b = await call("sendMessage", { chat_id: 7, text: "b" });
    const idA = (a.json.result as { message_id: number }).message_id;
    expect((b.json.result as { message_id: number }).message_id).toBe(idA + 1);
    expect(a.json.result).toMatchObject({ chat: { id: 7 }, text: "a", reply_markup: { inline_keyboard: [[{ text: "x" }]] } });
    expect(tg.sentTo(7).map((c) => c.payload.text)).toEqual(["a", "b"]);
    for (const method of ["deleteMessage", "answerCallbackQuery", "setMyCommands", "setWebhook", "answerPreCheckoutQuery", "sendChatAction"]) {
      expect((await call(method, {})).json).toEqual({ ok: true, result: true });
    }
    const invoice = await call("sendInvoice", { chat_id: 7, title: "t", description: "d", payload: "p", currency: "XTR", prices: [{ label: "l", amount: 5 }] });
    expect(invoice.json.result).toMatchObject({ invoice: { currency: "XTR", total_amount: 5 } });
    expect(await tg.waitFor((c) => c.method === "sendInvoice")).toBeDefined();
  });

  it("delivers an update to a webhook and executes the method of its answer, as Telegram does", async () => {
    const received: unknown[] = [];
    const hook = Fastify();
    hook.post("/hook", async (request, reply) => {
      received.push({ secret: request.headers["x-telegram-bot-api-secret-token"], body: request.body });
      const kind = (request.body as { kind?: string }).kind;
      if (kind === "answer") return reply.send({ method: "answerCallbackQuery", callback_query_id: "cb1", text: "ok" });
      if (kind === "refuse") return reply.code(401).send({ method: "sendMessage", chat_id: 1, text: "never" });
      return reply.send({ ok: true });
    });
    await hook.listen({ port: 0, host: "127.0.0.1" });
    const address = hook.server.address();
    const url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/hook`;
    try {
      tg.reset();
      const answered = await tg.deliver(url, { kind: "answer" }, "s3cret");
      expect(answered.status).toBe(200);
      expect(answered.executed).toMatchObject({ method: "answerCallbackQuery", payload: { callback_query_id: "cb1", text: "ok" }, ok: true, via: "webhookReply" });
      expect(tg.callsOf("answerCallbackQuery")).toEqual([answered.executed]);
      // A plain answer, a refused delivery (not 200) and no secret: nothing executed.
      expect((await tg.deliver(url, { kind: "plain" }, null)).executed).toBeNull();
      const refused = await tg.deliver(url, JSON.stringify({ kind: "refuse" }), "s3cret");
      expect([refused.status, refused.executed]).toEqual([401, null]);
      expect(received).toEqual([
        { secret: "s3cret", body: { kind: "answer" } },
        { secret: undefined, body: { kind: "plain" } },
        { secret: "s3cret", body: { kind: "refuse" } },
      ]);
      // An injected failure applies to a webhook-reply method too (and the webhook learns nothing).
      tg.fail("answerCallbackQuery", { status: 400, description: "Bad Request: query is too old" });
      const failed = await tg.deliver(url, { kind: "answer" }, "s3cret");
      expect([failed.status, failed.executed?.ok]).toEqual([200, false]);
      expect(tg.calls.map((c) => c.method)).toEqual(["answerCallbackQuery", "answerCallbackQuery"]);
    } finally {
      tg.clearFailures();
      await hook.close();
    }
  });

  it("refuses a wrong token with 401 and unknown methods with 404", async () => {
    expect(await call("getMe", {}, "42:wrong")).toEqual({ status: 401, json: { ok: false, error_code: 401, description: "Unauthorized" } });
    expect((await call("noSuchMethod", {})).status).toBe(404);
  });

  it("injects 429 with retry_after, 5xx and 403, then recovers", async () => {
    tg.fail("sendMessage", { status: 429, retry_after: 3 });
    tg.fail("sendMessage", { status: 502 });
    tg.fail("sendMessage", { status: 403 }, 2);
    expect(await call("sendMessage", { chat_id: 9, text: "1" })).toMatchObject({ status: 429, json: { ok: false, error_code: 429, parameters: { retry_after: 3 } } });
    expect((await call("sendMessage", { chat_id: 9, text: "2" })).status).toBe(502);
    expect((await call("sendMessage", { chat_id: 9, text: "3" })).json).toMatchObject({ error_code: 403, description: "Forbidden: bot was blocked by the user" });
    expect((await call("sendMessage", { chat_id: 9, text: "4" })).status).toBe(403);
    expect((await call("sendMessage", { chat_id: 9, text: "5" })).status).toBe(200);
    expect(tg.sentTo(9)).toHaveLength(1);
  });

  it("waitFor times out with the methods seen", async () => {
    await expect(tg.waitFor((c) => c.method === "never", 50)).rejects.toThrow(/no matching call/);
  });

  it("builds updates with incrementing ids", () => {
    const u = createUpdateBuilders(1);
    expect(u.commandUpdate(5, "start")).toMatchObject({ update_id: 1, message: { text: "/start", entities: [{ type: "bot_command", length: 6 }], from: { id: 5 } } });
    expect(u.callbackUpdate(5, "menu:keys", 3)).toMatchObject({ update_id: 2, callback_query: { data: "menu:keys", message: { message_id: 3 } } });
    expect(u.preCheckoutUpdate(5, { payload: "p", total_amount: 1 })).toMatchObject({ update_id: 3, pre_checkout_query: { currency: "XTR" } });
    expect(u.successfulPaymentUpdate(5, { payload: "p", total_amount: 1 })).toMatchObject({ update_id: 4, message: { successful_payment: { currency: "XTR" } } });
    expect(u.textUpdate(5, "hi").update_id).toBe(5);
  });
});
