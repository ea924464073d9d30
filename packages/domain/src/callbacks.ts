/**
 * Callback data for non-calendar inline buttons: `scope:action[:arg…]`, e.g. "task:pause:123".
 * Only `[a-z0-9_.:-]`, at most 64 bytes (Telegram's limit). Calendar buttons use calendar.ts.
 */

/** Telegram's limit on callback_data, in bytes. */
export const CALLBACK_DATA_MAX_BYTES = 64;

/** A decoded callback. */
export interface DecodedCallback {
  readonly scope: string;
  readonly action: string;
  readonly args: string[];
}

const NAME_RE = /^[a-z][a-z0-9_]*$/;
const ARG_RE = /^[a-z0-9_.-]+$/;
const DATA_RE = /^[a-z0-9_.:-]+$/;

/**
 * Whether a string is a valid callback argument (non-empty `[a-z0-9_.-]`).
 */
export function isCallbackArg(value: string): boolean {
  return ARG_RE.test(value);
}

/**
 * Encodes a callback. Numbers must be non-negative safe integers.
 * @throws RangeError on an invalid scope/action/argument or when the result exceeds 64 bytes
 *   (these are programming errors, never user input)
 * @example encodeCallback("task", "pause", 123) → "task:pause:123"
 */
export function encodeCallback(scope: string, action: string, ...args: (string | number)[]): string {
  if (!NAME_RE.test(scope) || !NAME_RE.test(action)) throw new RangeError(`Invalid callback scope/action: ${scope}:${action}`);
  const parts = args.map((a) => {
    if (typeof a === "number") {
      if (!Number.isSafeInteger(a) || a < 0) throw new RangeError(`Invalid callback number: ${a}`);
      return String(a);
    }
    if (!ARG_RE.test(a)) throw new RangeError(`Invalid callback argument: ${JSON.stringify(a)}`);
    return a;
  });
  const data = [scope, action, ...parts].join(":");
  if (data.length > CALLBACK_DATA_MAX_BYTES) throw new RangeError(`Callback data too long: ${data.length} bytes`);
  return data;
}

/**
 * Strictly decodes callback data. Never throws.
 * @returns null for non-strings, more than 64 bytes, characters outside `[a-z0-9_.:-]`,
 *   fewer than two parts, empty parts, or a scope/action not matching `[a-z][a-z0-9_]*`
 */
export function decodeCallback(data: unknown): DecodedCallback | null {
  if (typeof data !== "string" || data.length === 0 || data.length > CALLBACK_DATA_MAX_BYTES) return null;
  if (!DATA_RE.test(data)) return null;
  const [scope, action, ...args] = data.split(":");
  if (scope === undefined || action === undefined || !NAME_RE.test(scope) || !NAME_RE.test(action)) return null;
  if (!args.every((a) => ARG_RE.test(a))) return null;
  return { scope, action, args };
}

/** The largest id a callback may carry: every id in callbacks is a Postgres `integer` (int4). */
export const CALLBACK_ID_MAX = 2_147_483_647;

/**
 * Parses a callback argument as a non-negative id (no sign, no leading zeros) that fits
 * Postgres' `integer`: a forged larger number is refused here instead of failing in the query.
 * @returns the number, or null
 */
export function parseCallbackId(arg: string | undefined): number | null {
  if (arg === undefined || !/^(0|[1-9]\d{0,15})$/.test(arg)) return null;
  const n = Number(arg);
  return Number.isSafeInteger(n) && n <= CALLBACK_ID_MAX ? n : null;
}
