/**
 * A small recording fake of the Telegram Bot API for tests: real HTTP on
 * 127.0.0.1, answers `/bot<token>/<method>` with Telegram-shaped
 * `{ok:true,result}` bodies, records every call, and injects failures
 * (429 with `retry_after`, 5xx, 403 "bot was blocked by the user") on demand.
 * Like Telegram it also delivers updates to a webhook ({@link FakeTelegram.deliver})
 * and executes a Bot API method the webhook answers with.
 * Plus builders of incoming updates (messages, commands, callbacks, payments).
 */
import Fastify, { type FastifyInstance } from "fastify";

/** One Bot API call the fake received. */
export interface RecordedCall {
  /** Bot API method name as sent (e.g. `sendMessage`). */
  readonly method: string;
  /** JSON body (or query string) of the call. */
  readonly payload: Record<string, unknown>;
  /** When it arrived (ms since epoch). */
  readonly at: number;
  /** Whether the fake answered `ok:true` (false for injected failures). */
  readonly ok: boolean;
  /**
   * `request`: an HTTP call to the Bot API; `webhookReply`: a method the bot put in
   * its answer to a delivered update (Telegram executes it and reports nothing back).
   */
  readonly via: "request" | "webhookReply";
}

/** What a webhook answered to {@link FakeTelegram.deliver}. */
export interface DeliveryResult {
  readonly status: number;
  /** The response body as text. */
  readonly body: string;
  /** The method executed from the body (a webhook reply), or null. */
  readonly executed: RecordedCall | null;
}

/** An injected failure for one method. */
export interface FakeFailure {
  /** HTTP status and `error_code` (429, 403, 500, 502…). */
  readonly status: number;
  readonly description?: string;
  /** Seconds, sent as `parameters.retry_after` (429). */
  readonly retry_after?: number;
}

/** A running fake Bot API. */
export interface FakeTelegram {
  /** Use as TELEGRAM_API_ROOT, e.g. `http://127.0.0.1:43121`. */
  readonly apiRoot: string;
  /** Every call received with the right token, in arrival order (live array). */
  readonly calls: RecordedCall[];
  /** The bot user `getMe` returns. */
  readonly botUser: { id: number; is_bot: true; first_name: string; username: string };
  /**
   * Resolves with the first recorded call matching `predicate` (already recorded or arriving later).
   * @throws Error after `timeoutMs` (default 5000) listing the methods seen
   */
  waitFor(predicate: (call: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  /** Successful `sendMessage` calls to a chat, oldest first. */
  sentTo(chatId: number | string | bigint): RecordedCall[];
  /** Successful calls of one method. */
  callsOf(method: string): RecordedCall[];
  /**
   * Makes the next `times` (default 1) calls of `method` fail with `failure`.
   * `times: Infinity` fails until {@link FakeTelegram.clearFailures}.
   */
  fail(method: string, failure: FakeFailure, times?: number): void;
  /** Removes every injected failure. */
  clearFailures(): void;
  /** Forgets recorded calls (failures stay). */
  reset(): void;
  /**
   * Delivers an update as Telegram does: POSTs it (a JSON string is sent as is) to
   * `webhookUrl` with the secret header (none when `secret` is null), and when the
   * answer is a 200 whose JSON body names a `method`, executes that method like a
   * Bot API call (recorded with `via: "webhookReply"`; an injected failure applies,
   * and as with Telegram nothing is reported to the bot).
   */
  deliver(webhookUrl: string, update: unknown, secret: string | null): Promise<DeliveryResult>;
  close(): Promise<void>;
}

/** Options of {@link startFakeTelegram}. */
export interface StartFakeTelegramOptions {
  /** The only bot token the fake accepts; others get 401. */
  readonly token: string;
  /** Bot username for getMe (default `wbslots_test_bot`). */
  readonly username?: string;
}

const DEFAULT_DESCRIPTIONS: Record<number, string> = {
  400: "Bad Request",
  403: "Forbidden: bot was blocked by the user",
  429: "Too Many Requests: retry later",
  500: "Internal Server Error",
  502: "Bad Gateway",
};

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Telegram sends `reply_markup` either as an object or as a JSON string. */
function parseMaybeJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/**
 * Starts the fake on a free loopback port.
 * @returns the running fake; call close() in afterAll
 */
export async function startFakeTelegram(options: StartFakeTelegramOptions): Promise<FakeTelegram> {
  const botId = Number(options.token.split(":")[0]) || 1;
  const botUser = { id: botId, is_bot: true as const, first_name: "WB Slots", username: options.username ?? "wbslots_test_bot" };
  const calls: RecordedCall[] = [];
  const failures = new Map<string, { failure: FakeFailure; left: number }[]>();
  const waiters = new Set<{ predicate: (call: RecordedCall) => boolean; resolve: (call: RecordedCall) => void }>();
  let nextMessageId = 1000;
  const now = (): number => Math.floor(Date.now() / 1000);

  const chatOf = (chatId: unknown): Record<string, unknown> => {
    const id = Number(chatId);
    return { id, type: id < 0 ? "group" : "private", first_name: "User" };
  };

  const messageResult = (payload: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => {
    const markup = parseMaybeJson(payload.reply_markup);
    return {
      message_id: typeof payload.message_id === "number" ? payload.message_id : ++nextMessageId,
      from: botUser,
      chat: chatOf(payload.chat_id),
      date: now(),
      ...(typeof payload.text === "string" ? { text: payload.text } : {}),
      ...(markup && typeof markup === "object" ? { reply_markup: markup } : {}),
      ...extra,
    };
  };

  const results: Record<string, (payload: Record<string, unknown>) => unknown> = {
    getMe: () => botUser,
    sendMessage: (p) => messageResult({ ...p, message_id: undefined }),
    editMessageText: (p) => (p.inline_message_id ? true : messageResult(p)),
    editMessageReplyMarkup: (p) => (p.inline_message_id ? true : messageResult(p)),
    deleteMessage: () => true,
    answerCallbackQuery: () => true,
    setMyCommands: () => true,
    deleteMyCommands: () => true,
    setWebhook: () => true,
    deleteWebhook: () => true,
    getWebhookInfo: () => ({ url: "", has_custom_certificate: false, pending_update_count: 0 }),
    sendChatAction: () => true,
    answerPreCheckoutQuery: () => true,
    sendInvoice: (p) =>
      messageResult(
        { ...p, message_id: undefined },
        {
          invoice: {
            title: p.title,
            description: p.description,
            start_parameter: "",
            currency: p.currency,
            total_amount: Array.isArray(parseMaybeJson(p.prices))
              ? (parseMaybeJson(p.prices) as { amount?: number }[]).reduce((sum, price) => sum + (price.amount ?? 0), 0)
              : 0,
          },
        },
      ),
    createInvoiceLink: () => "https://t.me/$invoice",
    refundStarPayment: () => true,
  };

  const record = (call: RecordedCall): void => {
    calls.push(call);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(call)) {
        waiters.delete(waiter);
        waiter.resolve(call);
      }
    }
  };

  /** Runs one Bot API method: an injected failure, the fake's result, or 404 for an unknown method. */
  const execute = (method: string, payload: Record<string, unknown>, via: RecordedCall["via"]): { status: number; body: Record<string, unknown>; call: RecordedCall } => {
    const queue = failures.get(method);
    const injected = queue?.[0];
    if (injected) {
      injected.left -= 1;
      if (injected.left <= 0) queue.shift();
      const call: RecordedCall = { method, payload, at: Date.now(), ok: false, via };
      record(call);
      const { status, description, retry_after } = injected.failure;
      return {
        status,
        call,
        body: {
          ok: false,
          error_code: status,
          description: description ?? DEFAULT_DESCRIPTIONS[status] ?? "Error",
          ...(retry_after === undefined ? {} : { parameters: { retry_after } }),
        },
      };
    }
    const produce = results[method];
    if (!produce) {
      const call: RecordedCall = { method, payload, at: Date.now(), ok: false, via };
      record(call);
      return { status: 404, call, body: { ok: false, error_code: 404, description: "Not Found: method not found" } };
    }
    const result = produce(payload);
    const call: RecordedCall = { method, payload, at: Date.now(), ok: true, via };
    record(call);
    return { status: 200, call, body: { ok: true, result } };
  };

  const app: FastifyInstance = Fastify({ logger: false });
  app.addContentTypeParser("application/x-www-form-urlencoded", { parseAs: "string" }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });
  // Multipart uploads are not used by the bot; accept and ignore their body.
  app.addContentTypeParser("multipart/form-data", (_req, _payload, done) => done(null, {}));

  app.all("/bot:token/:method", async (request, reply) => {
    const { token, method } = request.params as { token: string; method: string };
    if (token !== options.token) {
      return reply.code(401).send({ ok: false, error_code: 401, description: "Unauthorized" });
    }
    const payload = { ...asRecord(request.query), ...asRecord(request.body) };
    const { status, body } = execute(method, payload, "request");
    return reply.code(status).send(body);
  });

  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    calls,
    botUser,
    waitFor(predicate, timeoutMs = 5000) {
      const found = calls.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise<RecordedCall>((resolve, reject) => {
        const waiter = {
          predicate,
          resolve: (call: RecordedCall) => {
            clearTimeout(timer);
            resolve(call);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`fake Telegram: no matching call within ${timeoutMs} ms; seen: ${calls.map((c) => c.method).join(", ") || "none"}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    sentTo(chatId) {
      const id = String(chatId);
      return calls.filter((c) => c.ok && c.method === "sendMessage" && String(c.payload.chat_id) === id);
    },
    callsOf(method) {
      return calls.filter((c) => c.ok && c.method === method);
    },
    fail(method, failure, times = 1) {
      const queue = failures.get(method) ?? [];
      queue.push({ failure, left: times });
      failures.set(method, queue);
    },
    clearFailures() {
      failures.clear();
    },
    reset() {
      calls.length = 0;
    },
    async deliver(webhookUrl, update, secret) {
      const response = await fetch(webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json", ...(secret === null ? {} : { "x-telegram-bot-api-secret-token": secret }) },
        body: typeof update === "string" ? update : JSON.stringify(update),
      });
      const body = await response.text();
      let executed: RecordedCall | null = null;
      if (response.status === 200) {
        const answer = asRecord(parseMaybeJson(body));
        const { method, ...payload } = answer;
        if (typeof method === "string") executed = execute(method, payload, "webhookReply").call;
      }
      return { status: response.status, body, executed };
    },
    close: async () => {
      await app.close();
    },
  };
}

/** A Telegram user as the builders put it in `from`. */
export interface FakeUser {
  readonly id: number;
  readonly first_name?: string;
  readonly username?: string;
}

/** Payment fields of {@link UpdateBuilders.preCheckoutUpdate} and {@link UpdateBuilders.successfulPaymentUpdate}. */
export interface FakePayment {
  readonly payload: string;
  readonly total_amount: number;
  readonly currency?: string;
  readonly telegram_payment_charge_id?: string;
  readonly provider_payment_charge_id?: string;
}

/** Update builders (see {@link createUpdateBuilders}). */
export interface UpdateBuilders {
  /** The update_id the next update will carry. */
  readonly nextUpdateId: () => number;
  /** A private text message from the user. */
  textUpdate(user: number | FakeUser, text: string): Record<string, unknown> & { update_id: number };
  /** `/command args` as a private message (with the bot_command entity). */
  commandUpdate(user: number | FakeUser, command: string, args?: string): Record<string, unknown> & { update_id: number };
  /** A press of an inline button with `data` under the bot's message `messageId`. */
  callbackUpdate(user: number | FakeUser, data: string, messageId?: number): Record<string, unknown> & { update_id: number };
  /** A `pre_checkout_query`. */
  preCheckoutUpdate(user: number | FakeUser, payment: FakePayment & { id?: string }): Record<string, unknown> & { update_id: number };
  /** A message with `successful_payment`. */
  successfulPaymentUpdate(user: number | FakeUser, payment: FakePayment): Record<string, unknown> & { update_id: number };
}

/**
 * Builders of Telegram updates with incrementing `update_id` and message ids.
 * @param startUpdateId first update_id (default: a random one, so parallel files differ)
 * @returns the builders
 */
export function createUpdateBuilders(startUpdateId?: number): UpdateBuilders {
  let updateId = startUpdateId ?? 100_000 + Math.floor(Math.random() * 1_000_000_000);
  let messageId = 1;
  let callbackId = 1;
  const date = (): number => Math.floor(Date.now() / 1000);
  const userOf = (user: number | FakeUser): Record<string, unknown> => {
    const u = typeof user === "number" ? { id: user } : user;
    return { id: u.id, is_bot: false, first_name: u.first_name ?? "Тест", ...(u.username ? { username: u.username } : {}), language_code: "ru" };
  };
  const chatOf = (from: Record<string, unknown>): Record<string, unknown> => ({ id: from.id, type: "private", first_name: from.first_name });
  const message = (user: number | FakeUser, extra: Record<string, unknown>): Record<string, unknown> => {
    const from = userOf(user);
    return { message_id: messageId++, from, chat: chatOf(from), date: date(), ...extra };
  };
  return {
    nextUpdateId: () => updateId,
    textUpdate: (user, text) => ({ update_id: updateId++, message: message(user, { text }) }),
    commandUpdate: (user, command, args) => {
      const name = command.startsWith("/") ? command : `/${command}`;
      const text = args ? `${name} ${args}` : name;
      return { update_id: updateId++, message: message(user, { text, entities: [{ type: "bot_command", offset: 0, length: name.length }] }) };
    },
    callbackUpdate: (user, data, botMessageId = 1) => {
      const from = userOf(user);
      return {
        update_id: updateId++,
        callback_query: {
          id: String(callbackId++),
          from,
          chat_instance: "1",
          data,
          message: { message_id: botMessageId, from: { id: 1, is_bot: true, first_name: "WB Slots" }, chat: chatOf(from), date: date(), text: "…" },
        },
      };
    },
    preCheckoutUpdate: (user, payment) => ({
      update_id: updateId++,
      pre_checkout_query: {
        id: payment.id ?? `pcq${callbackId++}`,
        from: userOf(user),
        currency: payment.currency ?? "XTR",
        total_amount: payment.total_amount,
        invoice_payload: payment.payload,
      },
    }),
    successfulPaymentUpdate: (user, payment) => ({
      update_id: updateId++,
      message: message(user, {
        successful_payment: {
          currency: payment.currency ?? "XTR",
          total_amount: payment.total_amount,
          invoice_payload: payment.payload,
          telegram_payment_charge_id: payment.telegram_payment_charge_id ?? `tg_${Date.now()}_${callbackId++}`,
          provider_payment_charge_id: payment.provider_payment_charge_id ?? "",
        },
      }),
    }),
  };
}
