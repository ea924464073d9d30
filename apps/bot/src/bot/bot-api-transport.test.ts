import http from "node:http";
import type { AddressInfo } from "node:net";
import { Telegram, TelegramError } from "telegraf";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freePort, randomBotToken, startFakeTelegram, type FakeTelegram } from "@wbslots/testkit";
import { carriesFile, installBotApiTransport, type BotApiTransport } from "./bot-api-transport";

/** A loopback server answering every request with `handler` (garbage, silence…). */
async function startRawServer(handler: http.RequestListener): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("Bot API transport (undici) against the fake Bot API", () => {
  const token = randomBotToken();
  let fake: FakeTelegram;
  let telegram: Telegram;
  let transport: BotApiTransport;

  beforeAll(async () => {
    fake = await startFakeTelegram({ token });
    telegram = new Telegram(token, { apiRoot: fake.apiRoot, webhookReply: false });
    transport = installBotApiTransport(telegram, { apiRoot: fake.apiRoot, token });
  });
  afterAll(async () => {
    await transport?.close();
    await fake?.close();
  });
  beforeEach(() => {
    fake.clearFailures();
    fake.reset();
  });

  it("sends what Telegraf would send and returns Telegram's result", async () => {
    const sent = await telegram.sendMessage(42, "<b>Привет</b>", { parse_mode: "HTML", reply_markup: { inline_keyboard: [[{ text: "Задачи", callback_data: "menu:tasks" }]] } });
    expect(sent.message_id).toBeGreaterThan(0);
    expect(sent.chat.id).toBe(42);
    const [call] = fake.callsOf("sendMessage");
    expect(call?.via).toBe("request");
    expect(call?.payload).toMatchObject({ chat_id: 42, text: "<b>Привет</b>", parse_mode: "HTML" });
    expect(call?.payload.reply_markup).toEqual({ inline_keyboard: [[{ text: "Задачи", callback_data: "menu:tasks" }]] });
    const me = await telegram.getMe();
    expect(me.id).toBe(fake.botUser.id);
  });

  it("leaves null fields out, as Telegraf's JSON does", async () => {
    await telegram.callApi("sendMessage", { chat_id: 7, text: "x", message_thread_id: null } as never);
    const [call] = fake.callsOf("sendMessage");
    expect(call?.payload).toEqual({ chat_id: 7, text: "x" });
  });

  it("turns Telegram's refusals into TelegramError with code and retry_after", async () => {
    fake.fail("sendMessage", { status: 429, retry_after: 7 });
    const limited = await rejection(telegram.sendMessage(1, "a"));
    expect(limited).toBeInstanceOf(TelegramError);
    expect((limited as TelegramError).code).toBe(429);
    expect((limited as TelegramError).parameters?.retry_after).toBe(7);

    fake.fail("sendMessage", { status: 403 });
    const blocked = await rejection(telegram.sendMessage(1, "b"));
    expect((blocked as TelegramError).code).toBe(403);
    expect((blocked as TelegramError).description).toMatch(/blocked/);

    fake.fail("editMessageText", { status: 502 });
    const down = await rejection(telegram.editMessageText(1, 2, undefined, "c"));
    expect(down).toBeInstanceOf(TelegramError);
    expect((down as TelegramError).code).toBe(502);
    // After the failures the same connection pool still delivers.
    await expect(telegram.sendMessage(1, "d")).resolves.toMatchObject({ text: "d" });
  });

  it("keeps multipart calls (files) on Telegraf's own client", () => {
    const table: { payload: Record<string, unknown>; file: boolean }[] = [
      { payload: { chat_id: 1, text: "hi", reply_markup: { inline_keyboard: [[{ text: "a", url: "https://x" }]] } }, file: false },
      { payload: { chat_id: 1, link_preview_options: { url: "https://x" } }, file: false },
      { payload: { chat_id: 1, document: { source: Buffer.from("x") } }, file: true },
      { payload: { chat_id: 1, photo: { url: "https://x/p.png" } }, file: true },
      { payload: { chat_id: 1, photo: "AgACAgIAAx" }, file: false },
      { payload: { chat_id: 1, media: [{ type: "photo", media: { source: "/tmp/a.png" } }] }, file: true },
      { payload: { chat_id: 1, media: [{ type: "photo", media: "AgACAgIAAx" }] }, file: false },
      { payload: { chat_id: 1, media: { type: "photo", media: { url: "https://x" } } }, file: true },
    ];
    for (const row of table) expect(carriesFile(row.payload), JSON.stringify(row.payload)).toBe(row.file);
  });
});

describe("Bot API transport when the Bot API misbehaves", () => {
  const token = randomBotToken();

  it("a garbage answer is a TelegramError naming the method, not a crash", async () => {
    const raw = await startRawServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<html>proxy error</html>");
    });
    const telegram = new Telegram(token, { apiRoot: raw.url, webhookReply: false });
    const transport = installBotApiTransport(telegram, { apiRoot: raw.url, token });
    try {
      const error = await rejection(telegram.sendMessage(1, "x"));
      expect(error).toBeInstanceOf(TelegramError);
      expect((error as TelegramError).description).toMatch(/sendMessage/);
    } finally {
      await transport.close();
      await raw.close();
    }
  });

  it("a silent Bot API times out, and no error carries the token", async () => {
    const raw = await startRawServer(() => {
      // Never answers.
    });
    const telegram = new Telegram(token, { apiRoot: raw.url, webhookReply: false });
    const transport = installBotApiTransport(telegram, { apiRoot: raw.url, token, timeoutMs: 300 });
    const started = Date.now();
    try {
      const error = await rejection(telegram.sendMessage(1, "x"));
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(TelegramError);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(String((error as Error).message) + String((error as Error).stack)).not.toContain(token);
    } finally {
      await transport.close().catch(() => undefined);
      await raw.close();
    }
  });

  it("a refused connection is an error without the token", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const telegram = new Telegram(token, { apiRoot: url, webhookReply: false });
    const transport = installBotApiTransport(telegram, { apiRoot: url, token });
    try {
      const error = await rejection(telegram.getMe());
      expect(error).toBeInstanceOf(Error);
      expect(JSON.stringify({ message: (error as Error).message, stack: (error as Error).stack })).not.toContain(token.split(":")[1]);
    } finally {
      await transport.close();
    }
  });
});
