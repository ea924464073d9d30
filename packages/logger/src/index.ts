import { pino, type Logger, type LoggerOptions, type DestinationStream } from "pino";

export type { Logger } from "pino";

/**
 * Paths whose values are secrets: they never reach a log line. Covers HTTP
 * headers (Authorization, cookies, WB portal session header), token/session
 * fields anywhere one or two levels deep, and our encrypted columns.
 */
export const REDACT_PATHS: readonly string[] = [
  "authorization",
  "Authorization",
  "authorizev3",
  "cookie",
  "Cookie",
  "token",
  "apiKey",
  "secret",
  "password",
  "session",
  "encryptedKey",
  "encrypted_key",
  "*.authorization",
  "*.Authorization",
  "*.authorizev3",
  "*.cookie",
  "*.Cookie",
  "*.token",
  "*.apiKey",
  "*.secret",
  "*.password",
  "*.session",
  "*.encryptedKey",
  "*.encrypted_key",
  "*.headers.authorization",
  "*.headers.Authorization",
  "*.headers.authorizev3",
  "*.headers.cookie",
  "*.headers.Cookie",
  "*.headers[\"set-cookie\"]",
  "*.headers[\"x-telegram-bot-api-secret-token\"]",
  "req.headers.authorization",
  "req.headers.cookie",
  "req.headers[\"x-telegram-bot-api-secret-token\"]",
  "headers.authorization",
  "headers.Authorization",
  "headers.authorizev3",
  "headers.cookie",
  "headers.Cookie",
];

const BOT_TOKEN_IN_URL = /\/bot\d+:[A-Za-z0-9_-]+/g;
const JWT_LIKE = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g;

/**
 * Removes secrets that can hide inside free text: a Telegram bot token inside a
 * Bot API URL (`/bot123:ABC…/sendMessage`) and JWT-shaped strings (WB tokens,
 * portal sessions).
 * @param text any string that may reach a log line or an error message
 * @returns the text with secrets replaced by `[redacted]`
 */
export function scrubSecrets(text: string): string {
  return text.replace(BOT_TOKEN_IN_URL, "/bot[redacted]").replace(JWT_LIKE, "[redacted-jwt]");
}

/** Options for {@link createLogger}. */
export interface CreateLoggerOptions {
  level?: string;
  /** Component name: bot, worker, wb-sandbox, … */
  name?: string;
  /** Destination stream (tests capture lines through it); stdout when omitted. */
  destination?: DestinationStream;
}

/**
 * Creates the one pino JSON logger of a process, with secret redaction.
 * Strings in messages and error stacks go through {@link scrubSecrets}.
 * @returns the root logger; make a child per component with `logger.child({component})`
 */
export function createLogger(options: CreateLoggerOptions = {}): Logger {
  const config: LoggerOptions = {
    level: options.level ?? "info",
    base: options.name ? { service: options.name } : {},
    redact: { paths: [...REDACT_PATHS], censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: {
      err: (error: unknown) => {
        const serialized = pino.stdSerializers.err(error as Error);
        if (typeof serialized.message === "string") serialized.message = scrubSecrets(serialized.message);
        if (typeof serialized.stack === "string") serialized.stack = scrubSecrets(serialized.stack);
        return serialized;
      },
    },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((arg: unknown) => (typeof arg === "string" ? scrubSecrets(arg) : arg));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

/**
 * A logger that writes nothing (for code paths in tests that do not assert logs).
 * @returns a silent pino logger
 */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
