/**
 * The Bot API transport: Telegraf's JSON method calls go over an undici `Pool`
 * (keep-alive connections to the Bot API's origin) instead of Telegraf's
 * node-fetch. Same requests, same answers, same errors: the URL Telegraf would
 * build, the body Telegraf would send (null fields left out), a 5xx as
 * `TelegramError{error_code: status}`, `ok:false` as `TelegramError(answer)` — so
 * the error handler and the notification sender decide by `TelegramError.code`
 * and `parameters.retry_after` exactly as before. Calls carrying a file (an
 * upload or a URL Telegraf fetches) keep Telegraf's own multipart path.
 *
 * Why: a Bot API call is on the webhook's hot path (every pressed button edits
 * its message). Measured on 2 cores, one JSON POST on loopback costs the caller
 * ~40–47 µs of CPU with an undici Pool, ~116–138 µs with node-fetch (Telegraf),
 * ~360–520 µs with got (BENCHMARKS.md, webhook).
 *
 * Unlike Telegraf's 500 s, every call has a timeout ({@link BOT_API_TIMEOUT_MS}
 * for the headers and again for the body). Errors never carry the URL (it holds
 * the bot token); a message that somehow does has the token replaced.
 */
import { STATUS_CODES } from "node:http";
import { TelegramError, type Telegram } from "telegraf";
import { Pool } from "undici";
import { z } from "zod";

/** How long a Bot API call may wait for the answer's headers, and again for its body. */
export const BOT_API_TIMEOUT_MS = 30_000;

/** Telegram's answer envelope (the rest of `result` is the method's business). */
const answerSchema = z.looseObject({
  ok: z.boolean(),
  result: z.unknown().optional(),
  error_code: z.number().int().optional(),
  description: z.string().optional(),
  parameters: z.looseObject({ retry_after: z.number().optional(), migrate_to_chat_id: z.number().optional() }).optional(),
});

/** Options of {@link installBotApiTransport}. */
export interface BotApiTransportOptions {
  /** TELEGRAM_API_ROOT, e.g. `https://api.telegram.org`. */
  readonly apiRoot: string;
  readonly token: string;
  /** Keep-alive connections to the Bot API (default 32). */
  readonly connections?: number;
  /** Per-call timeout in ms (default {@link BOT_API_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
}

/** The installed transport. */
export interface BotApiTransport {
  /** Bot API calls this transport carried so far (multipart ones excluded). */
  readonly calls: number;
  /** Closes the connections (in-flight calls finish first). */
  close(): Promise<void>;
}

const hasTruthy = (value: object, key: string): boolean => key in value && Boolean((value as Record<string, unknown>)[key]);

/**
 * Telegraf's own test for a payload that must go as multipart (client.js
 * `includesMedia`): a field holding an InputFile (`source` or `url`), a `media`
 * object holding one, or an array of such media.
 * @returns whether Telegraf's multipart path has to send `payload`
 */
export function carriesFile(payload: Record<string, unknown>): boolean {
  return Object.entries(payload).some(([key, value]) => {
    if (key === "link_preview_options") return false;
    if (Array.isArray(value)) {
      return value.some((item: unknown) => {
        if (typeof item !== "object" || item === null || !("media" in item)) return false;
        const media: unknown = item.media;
        return typeof media === "object" && media !== null && (hasTruthy(media, "source") || hasTruthy(media, "url"));
      });
    }
    if (typeof value !== "object" || value === null) return false;
    if (hasTruthy(value, "source") || hasTruthy(value, "url")) return true;
    const media: unknown = "media" in value ? value.media : undefined;
    return typeof media === "object" && media !== null && (hasTruthy(media, "source") || hasTruthy(media, "url"));
  });
}

/** Telegraf's JSON replacer: null and undefined fields are left out. */
const dropNulls = (_key: string, value: unknown): unknown => (value === null ? undefined : value);

/**
 * Routes `telegram`'s JSON method calls through an undici Pool (see the module
 * comment); multipart calls stay on Telegraf's client.
 * @returns the transport, to close at shutdown
 */
export function installBotApiTransport(telegram: Telegram, options: BotApiTransportOptions): BotApiTransport {
  const base = new URL(options.apiRoot);
  // undici's keep-alive defaults: an idle socket is dropped after 4 s or the server's own Keep-Alive hint, before the server drops it.
  const pool = new Pool(base.origin, { connections: options.connections ?? 32 });
  const timeoutMs = options.timeoutMs ?? BOT_API_TIMEOUT_MS;
  const telegrafCall = telegram.callApi.bind(telegram);
  const redact = (error: unknown): Error => {
    const err = error instanceof Error ? error : new Error(String(error));
    if (err.message.includes(options.token)) err.message = err.message.split(options.token).join("[REDACTED]");
    return err;
  };

  let calls = 0;
  const call = async (method: string, payload: Record<string, unknown>, extra?: { signal?: AbortSignal }): Promise<unknown> => {
    calls += 1;
    // The path Telegraf builds (apiMode "bot", no test environment), relative to the root as Telegraf resolves it.
    const url = new URL(`./bot${options.token}/${method}`, base);
    let answer: { statusCode: number; text: string };
    try {
      const response = await pool.request({
        path: url.pathname + url.search,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(payload, dropNulls),
        signal: extra?.signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      answer = { statusCode: response.statusCode, text: await response.body.text() };
    } catch (error) {
      throw redact(error);
    }
    if (answer.statusCode >= 500) throw new TelegramError({ error_code: answer.statusCode, description: STATUS_CODES[answer.statusCode] ?? "Server Error" }, { method, payload });
    let parsed: z.infer<typeof answerSchema>;
    try {
      parsed = answerSchema.parse(JSON.parse(answer.text));
    } catch {
      throw new TelegramError({ error_code: answer.statusCode, description: `the Bot API answered ${method} with something that is not a Bot API answer (HTTP ${answer.statusCode})` }, { method, payload });
    }
    if (!parsed.ok) {
      const { error_code = answer.statusCode, description = "", parameters } = parsed;
      throw new TelegramError({ error_code, description, ...(parameters ? { parameters } : {}) }, { method, payload });
    }
    return parsed.result;
  };

  const callApi = (method: string, payload: Record<string, unknown>, extra?: { signal?: AbortSignal }): Promise<unknown> =>
    carriesFile(payload) ? telegrafCall(method as never, payload as never, extra as never) : call(method, payload, extra);
  // Every Telegram method of Telegraf goes through callApi. Telegraf makes a Telegram per
  // update for ctx.telegram: createBot's first middleware gives it this callApi too.
  telegram.callApi = callApi as Telegram["callApi"];

  return {
    get calls() {
      return calls;
    },
    close: () => pool.close(),
  };
}
