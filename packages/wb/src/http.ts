/**
 * The one HTTP layer for every WB call: got with keep-alive agents, a timeout per
 * call, the shared limiter, a circuit breaker per (credential, WB host), bounded
 * retries with exponential backoff + jitter for reads only, typed errors and a
 * zod parse of every answer. Logs method/path/status/duration/WB requestId, never
 * a header value.
 */
import http from "node:http";
import https from "node:https";
import { CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen, BrokenCircuitError, IsolatedCircuitError, type CircuitBreakerPolicy } from "cockatiel";
import got, { TimeoutError, type Got, type Response } from "got";
import type { z } from "zod";
import type { Logger } from "@wbslots/logger";
import { scrubSecrets } from "@wbslots/logger";
import {
  WbBadRequest,
  WbBadResponse,
  WbCaptchaRequired,
  WbCircuitOpen,
  WbError,
  WbMethodDisabled,
  WbRateLimited,
  WbServerError,
  WbSlotTaken,
  WbTimeout,
  WbUnauthorized,
} from "./errors";
import type { BucketSpec } from "./limits";
import type { LimitKey, SharedLimiter } from "./limiter";
import { rpcErrorSchema } from "./schemas";

/** One measured WB call (for metrics). */
export interface WbRequestEvent {
  /** Logical method, e.g. `coefficients`, `plan/add`. */
  readonly method: string;
  /** HTTP status; 0 when no answer came (timeout, network). */
  readonly status: number;
  readonly durationMs: number;
  readonly credentialId: string;
}

/** Retry policy for reads. */
export interface RetryOptions {
  /** Total attempts including the first (default 3). */
  readonly attempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** Circuit breaker policy. */
export interface BreakerOptions {
  /** Consecutive 5xx/timeouts that open the circuit (default 5). */
  readonly consecutiveFailures?: number;
  /** Cool-down before a half-open probe (default 30 s). */
  readonly halfOpenAfterMs?: number;
}

/** What the HTTP layer needs. */
export interface WbHttpDeps {
  readonly logger: Logger;
  readonly limiter: SharedLimiter;
  readonly onRequest?: (event: WbRequestEvent) => void;
  readonly retry?: RetryOptions;
  readonly breaker?: BreakerOptions;
  /** Default timeouts (ms). */
  readonly timeouts?: { readonly read?: number; readonly write?: number };
}

/** One call description. */
export interface WbCall<S extends z.ZodType> {
  readonly credentialId: string;
  /** Base URL of the WB host. */
  readonly baseUrl: string;
  readonly method: string;
  readonly limitKey: LimitKey;
  readonly limit: BucketSpec;
  readonly httpMethod: "GET" | "POST";
  readonly path: string;
  readonly searchParams?: Record<string, string | number | boolean>;
  readonly json?: unknown;
  readonly headers: Record<string, string>;
  readonly schema: S;
  /** Reads are retried on 5xx/timeouts; writes never. */
  readonly kind: "read" | "write";
  /** JSON-RPC: unwrap `result` / map `error`. */
  readonly rpc?: boolean;
  readonly timeoutMs?: number;
  /**
   * Decode a successful body as latin1 instead of UTF-8: for big answers whose
   * non-ASCII text the caller does not need or repairs itself with
   * {@link utf8FromLatin1}. JSON's syntax is ASCII, so the parse is the same;
   * a one-byte string is made ~3x faster and takes half the memory of the
   * two-byte string Cyrillic UTF-8 turns into (a 2.4 MB portal report: 24 → 13 ms
   * to decode, parse and check). String values then hold their UTF-8 bytes one
   * per char. Error answers (status, JSON-RPC error) are always read as UTF-8.
   * A value written with `\u` escapes above U+00FF (`\u0410`) comes back as
   * real text and is left alone; escapes of U+0080–U+00FF cannot be told from
   * bytes, so a call whose answer needs those must not use this.
   */
  readonly latin1Body?: boolean;
}

const BYTE_ABOVE_ASCII = /[\u0080-\u00ff]/;
const ABOVE_BYTE = /[^\u0000-\u00ff]/;

/**
 * Repairs a string decoded by a `latin1Body` call: its chars are the UTF-8
 * bytes of the real text. ASCII strings, and strings that already hold chars
 * above U+00FF (written as `\u` escapes), come back as they are.
 * @returns the text as WB sent it
 */
export function utf8FromLatin1(value: string): string {
  if (!BYTE_ABOVE_ASCII.test(value) || ABOVE_BYTE.test(value)) return value;
  return Buffer.from(value, "latin1").toString("utf8");
}

/** Portal JSON-RPC error codes (sandbox-documented; see README). */
const RPC_CAPTCHA = 498;
const RPC_SLOT_TAKEN = 409;
const RPC_SLOT_CLOSED = 410;

const DISABLED_RE = /temporarily disabled|временно отключ|release-notes\?id=570/i;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The HTTP executor. */
export class WbHttp {
  private readonly got: Got;
  private readonly agents = { http: new http.Agent({ keepAlive: true, maxSockets: 64 }), https: new https.Agent({ keepAlive: true, maxSockets: 64 }) };
  private readonly breakers = new Map<string, CircuitBreakerPolicy>();
  /** When each breaker last opened: the open-state shortcut below must end with the cool-down. */
  private readonly openedAt = new WeakMap<CircuitBreakerPolicy, number>();

  constructor(private readonly deps: WbHttpDeps) {
    this.got = got.extend({
      agent: this.agents,
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      responseType: "text",
      headers: { "user-agent": "wbslots/0.1", accept: "application/json" },
    });
  }

  private breaker(credentialId: string, baseUrl: string): CircuitBreakerPolicy {
    const key = `${credentialId}|${new URL(baseUrl).host}`;
    let policy = this.breakers.get(key);
    if (!policy) {
      policy = circuitBreaker(
        handleWhen((error) => error instanceof WbServerError || error instanceof WbTimeout),
        { halfOpenAfter: this.deps.breaker?.halfOpenAfterMs ?? 30_000, breaker: new ConsecutiveBreaker(this.deps.breaker?.consecutiveFailures ?? 5) },
      );
      const opened = policy;
      policy.onBreak(() => this.openedAt.set(opened, Date.now()));
      this.breakers.set(key, policy);
    }
    return policy;
  }

  /**
   * Executes a call: limiter → breaker → HTTP → typed error / zod parse.
   * @returns the parsed answer
   */
  async execute<S extends z.ZodType>(call: WbCall<S>): Promise<z.infer<S>> {
    const attempts = call.kind === "read" ? Math.max(1, this.deps.retry?.attempts ?? 3) : 1;
    const base = this.deps.retry?.baseDelayMs ?? 200;
    const cap = this.deps.retry?.maxDelayMs ?? 2000;
    const breaker = this.breaker(call.credentialId, call.baseUrl);
    for (let attempt = 1; ; attempt++) {
      // Fail fast (no limiter token) only during the cool-down: after it, execute() below moves the
      // breaker to half-open with one trial call. Throwing on every Open state kept it open forever.
      if (breaker.state === CircuitState.Open && Date.now() - (this.openedAt.get(breaker) ?? 0) < (this.deps.breaker?.halfOpenAfterMs ?? 30_000)) {
        throw new WbCircuitOpen(`circuit open for ${call.method} on ${new URL(call.baseUrl).host}`, { method: call.method });
      }
      try {
        return await this.deps.limiter.schedule(call.limitKey, async () => {
          await this.deps.limiter.acquire(call.limitKey, call.limit, call.method);
          return await breaker.execute(() => this.send(call));
        });
      } catch (error) {
        if (error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError) {
          throw new WbCircuitOpen(`circuit open for ${call.method} on ${new URL(call.baseUrl).host}`, { method: call.method });
        }
        if (error instanceof WbRateLimited && error.source === "wb") {
          await this.deps.limiter.block(call.limitKey, call.limit, error.retryAfterMs);
        }
        const retryable = error instanceof WbServerError || error instanceof WbTimeout;
        if (!retryable || attempt >= attempts) throw error;
        const delay = Math.min(cap, base * 2 ** (attempt - 1));
        await sleep(delay / 2 + Math.random() * (delay / 2));
      }
    }
  }

  private async send<S extends z.ZodType>(call: WbCall<S>): Promise<z.infer<S>> {
    const started = performance.now();
    const timeout = call.timeoutMs ?? (call.kind === "read" ? this.deps.timeouts?.read ?? 10_000 : this.deps.timeouts?.write ?? 15_000);
    let response: Response<string>;
    try {
      response = await this.got(new URL(call.path, call.baseUrl), {
        method: call.httpMethod,
        headers: call.headers,
        ...(call.searchParams ? { searchParams: call.searchParams } : {}),
        ...(call.json === undefined ? {} : { json: call.json }),
        timeout: { request: timeout },
        ...(call.latin1Body ? { encoding: "latin1" as const } : {}),
      });
    } catch (error) {
      const durationMs = Math.round(performance.now() - started);
      this.observe(call, 0, durationMs, undefined);
      if (error instanceof TimeoutError) throw new WbTimeout(`${call.method}: no answer within ${timeout} ms`, { method: call.method });
      const code = (error as { code?: string }).code ?? "network";
      throw new WbServerError(`${call.method}: network error ${code}`, 0, { method: call.method, cause: scrubSecrets(String((error as Error).message)) });
    }
    const durationMs = Math.round(performance.now() - started);
    const status = response.statusCode;
    // A latin1 body is for the answer the caller asked for; an error is read as WB wrote it.
    const text = call.latin1Body && (status < 200 || status >= 300) ? response.rawBody.toString("utf8") : response.body;
    let json: unknown;
    let parsedJson = false;
    try {
      json = JSON.parse(text);
      parsedJson = true;
    } catch {
      json = undefined;
    }
    const bodyRequestId = parsedJson && json && typeof json === "object" && typeof (json as { requestId?: unknown }).requestId === "string" ? (json as { requestId: string }).requestId : undefined;
    const headerRequestId = response.headers["x-request-id"];
    const requestId = bodyRequestId ?? (typeof headerRequestId === "string" ? headerRequestId : undefined);
    this.observe(call, response.statusCode, durationMs, requestId);
    const meta = { method: call.method, ...(requestId ? { requestId } : {}) };
    const detail = parsedJson && json && typeof json === "object" && typeof (json as { detail?: unknown }).detail === "string" ? scrubSecrets((json as { detail: string }).detail) : "";

    if (status === 401 || status === 403) throw new WbUnauthorized(`${call.method}: WB rejected the credential (${status}${detail ? `: ${detail}` : ""})`, status, meta);
    if (status === 429) {
      const retry = Number(response.headers["x-ratelimit-retry"]);
      const retryAfterMs = Number.isFinite(retry) && retry >= 0 ? Math.ceil(retry * 1000) : 60_000;
      throw new WbRateLimited(`${call.method}: WB answered 429; retry in ${retryAfterMs} ms`, retryAfterMs, "wb", meta);
    }
    if (status === 404 && DISABLED_RE.test(text)) throw new WbMethodDisabled(`${call.method}: method temporarily disabled by WB`, meta);
    if (status >= 500) throw new WbServerError(`${call.method}: WB answered ${status}`, status, meta);
    if (status >= 400 || status < 200 || status >= 300) throw new WbBadRequest(`${call.method}: WB answered ${status}${detail ? `: ${detail}` : ""}`, status, meta);
    if (!parsedJson) throw new WbBadResponse(`${call.method}: answer is not JSON`, "(body)", meta);

    let payload: unknown = json;
    let prefix = "";
    if (call.rpc) {
      let envelope = json as { result?: unknown; error?: unknown } | null;
      if (call.latin1Body && envelope && typeof envelope === "object" && envelope.error !== undefined && envelope.error !== null) {
        envelope = JSON.parse(response.rawBody.toString("utf8")) as { result?: unknown; error?: unknown };
      }
      if (envelope && typeof envelope === "object" && envelope.error !== undefined && envelope.error !== null) {
        const rpcError = rpcErrorSchema.safeParse(envelope.error);
        if (!rpcError.success) throw new WbBadResponse(`${call.method}: malformed JSON-RPC error`, "error", meta);
        const { code, message } = rpcError.data;
        const safeMessage = scrubSecrets(message);
        if (code === RPC_CAPTCHA) throw new WbCaptchaRequired(`${call.method}: WB requires a captcha`, meta);
        if (code === RPC_SLOT_TAKEN) throw new WbSlotTaken(`${call.method}: slot already taken (${safeMessage})`, "taken", meta);
        if (code === RPC_SLOT_CLOSED) throw new WbSlotTaken(`${call.method}: slot closed (${safeMessage})`, "closed", meta);
        throw new WbBadRequest(`${call.method}: JSON-RPC error ${code}: ${safeMessage}`, status, { ...meta, rpcCode: code });
      }
      if (!envelope || typeof envelope !== "object" || !("result" in envelope)) throw new WbBadResponse(`${call.method}: JSON-RPC answer without result`, "result", meta);
      payload = envelope.result;
      prefix = "result";
    }
    const parsed = call.schema.safeParse(payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = [prefix, ...(issue?.path ?? []).map(String)].filter((p) => p !== "").join(".") || "(root)";
      throw new WbBadResponse(`${call.method}: unexpected answer shape at ${path}: ${issue?.message ?? "invalid"}`, path, meta);
    }
    return parsed.data as z.infer<S>;
  }

  private observe(call: WbCall<z.ZodType>, status: number, durationMs: number, requestId: string | undefined): void {
    const path = new URL(call.path, call.baseUrl).pathname;
    const fields = { wbMethod: call.method, httpMethod: call.httpMethod, path, status, durationMs, credentialId: call.credentialId, ...(requestId ? { requestId } : {}) };
    if (status === 0 || status >= 500) this.deps.logger.warn(fields, "wb call failed");
    else this.deps.logger.debug(fields, "wb call");
    try {
      this.deps.onRequest?.({ method: call.method, status, durationMs, credentialId: call.credentialId });
    } catch (error) {
      this.deps.logger.warn({ err: error }, "onRequest hook threw");
    }
  }

  /** Closes the keep-alive agents. */
  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

/** True for errors of this gateway. */
export function isWbError(error: unknown): error is WbError {
  return error instanceof WbError;
}
