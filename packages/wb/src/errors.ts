/**
 * Typed errors of the WB gateway. Callers decide by `instanceof`, never by
 * message. Messages never contain a token or a session.
 */

/** Base class of every WB gateway error. */
export class WbError extends Error {
  /** WB's request id when the answer carried one. */
  readonly requestId: string | undefined;
  /** Logical method (`coefficients`, `plan/add`, …) the error came from. */
  readonly method: string | undefined;

  constructor(message: string, options: { method?: string; requestId?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.method = options.method;
    this.requestId = options.requestId;
  }
}

/** 401/403: the token or portal session is rejected (revoked, expired, wrong scope). */
export class WbUnauthorized extends WbError {
  constructor(
    message: string,
    readonly status: 401 | 403,
    options: { method?: string; requestId?: string } = {},
  ) {
    super(message, options);
  }
}

/** Over the limit: WB answered 429 (`source: "wb"`), or our shared budget is empty (`"local"`). */
export class WbRateLimited extends WbError {
  constructor(
    message: string,
    readonly retryAfterMs: number,
    readonly source: "wb" | "local",
    options: { method?: string; requestId?: string } = {},
  ) {
    super(message, options);
  }
}

/** WB switched the method off (404 "temporarily disabled", release note 570): source unavailable. */
export class WbMethodDisabled extends WbError {}

/** WB demands a captcha (`x-wb-captcha-token`) for a booking: the user must act. */
export class WbCaptchaRequired extends WbError {}

/** The slot could not be booked: taken by someone else, or closed meanwhile. */
export class WbSlotTaken extends WbError {
  constructor(
    message: string,
    readonly reason: "taken" | "closed",
    options: { method?: string; requestId?: string } = {},
  ) {
    super(message, options);
  }
}

/** Any other 4xx or JSON-RPC error: our request is wrong. Never retried. */
export class WbBadRequest extends WbError {
  constructor(
    message: string,
    readonly status: number,
    options: { method?: string; requestId?: string; rpcCode?: number } = {},
  ) {
    super(message, options);
    this.rpcCode = options.rpcCode;
  }

  /** JSON-RPC error code for portal calls. */
  readonly rpcCode: number | undefined;
}

/** 5xx or a broken connection. Reads are retried; writes are not. */
export class WbServerError extends WbError {
  constructor(
    message: string,
    readonly status: number,
    options: { method?: string; requestId?: string; cause?: unknown } = {},
  ) {
    super(message, options);
  }
}

/** No answer within the call's timeout. */
export class WbTimeout extends WbError {}

/** The answer did not match our zod schema; `path` points at the first failing field. */
export class WbBadResponse extends WbError {
  constructor(
    message: string,
    readonly path: string,
    options: { method?: string; requestId?: string } = {},
  ) {
    super(message, options);
  }
}

/** The circuit breaker for this credential and WB host is open: failing fast. */
export class WbCircuitOpen extends WbError {}

/** A token that is not a WB JWT, or already expired (local decode). */
export class WbTokenInvalid extends WbError {
  constructor(
    message: string,
    readonly reason: "malformed" | "expired",
  ) {
    super(message);
  }
}
