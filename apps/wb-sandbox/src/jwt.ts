/**
 * JWT-shaped tokens like WB's: `header.payload.signature`, base64url. The sandbox
 * signs them with HMAC-SHA256 under a per-instance secret so a forged or altered
 * token is rejected like WB rejects it (WB itself signs with ES256).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** WB token types as the `acc` claim numbers them. */
export const TOKEN_ACC = { base: 1, test: 2, personal: 3, service: 4 } as const;

/** A WB token type name. */
export type TokenTypeName = keyof typeof TOKEN_ACC;

/**
 * Category bits of the `s` claim (bit n set = category granted), as WB's
 * "Как устроен токен" documents them. Supplies (Поставки) is bit 10.
 */
export const CATEGORY_BITS = {
  content: 1,
  analytics: 2,
  prices: 3,
  marketplace: 4,
  statistics: 5,
  promotion: 6,
  feedbacks: 7,
  buyersChat: 9,
  supplies: 10,
  returns: 11,
  documents: 12,
  finance: 13,
  readOnly: 30,
} as const;

/** The default category set of sandbox tokens: everything but read-only. */
export const DEFAULT_CATEGORY_BITS: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13];

/**
 * Builds the `s` bitmask from bit numbers.
 * @returns the integer WB puts into `s`
 */
export function categoryMask(bits: readonly number[]): number {
  return bits.reduce((mask, bit) => mask + 2 ** bit, 0);
}

/** base64url-encodes a string or buffer. */
export function b64url(input: string | Buffer): string {
  return Buffer.from(input).toString("base64url");
}

/** A signer/verifier bound to one secret. */
export interface JwtCodec {
  /** Signs a payload into a JWT-shaped string. */
  sign(payload: Record<string, unknown>): string;
  /** Returns the payload when the signature is ours, else null. */
  verify(token: string): Record<string, unknown> | null;
}

/**
 * Creates a codec with a random secret (one per sandbox instance).
 * @returns sign/verify functions
 */
export function createJwtCodec(secret: Buffer = randomBytes(32)): JwtCodec {
  const header = b64url(JSON.stringify({ alg: "ES256", kid: "sandbox", typ: "JWT" }));
  const mac = (data: string): string => createHmac("sha256", secret).update(data).digest("base64url");
  return {
    sign(payload) {
      const body = `${header}.${b64url(JSON.stringify(payload))}`;
      return `${body}.${mac(body)}`;
    },
    verify(token) {
      const parts = token.split(".");
      if (parts.length !== 3) return null;
      const [h, p, s] = parts as [string, string, string];
      const expected = Buffer.from(mac(`${h}.${p}`));
      const given = Buffer.from(s);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
      try {
        const payload: unknown = JSON.parse(Buffer.from(p, "base64url").toString("utf8"));
        return payload !== null && typeof payload === "object" ? (payload as Record<string, unknown>) : null;
      } catch {
        return null;
      }
    },
  };
}
