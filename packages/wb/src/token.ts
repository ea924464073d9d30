/**
 * Credential checks: a local decode of a WB token (no signature check) and the
 * live checks through `ping` / the portal, with a verdict the bot shows in Russian.
 */
import { createHash } from "node:crypto";
import { WbCircuitOpen, WbMethodDisabled, WbRateLimited, WbTimeout, WbServerError, WbTokenInvalid, WbUnauthorized, WbBadResponse } from "./errors";
import type { TokenType } from "./limits";
import type { OfficialClient } from "./official";
import type { PortalClient } from "./portal";

/** Category bits of the `s` claim (WB docs «Как устроен токен»); Supplies is bit 10. */
export const WB_CATEGORY_BITS: Readonly<Record<string, number>> = {
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
};

const ACC_TO_TYPE: Readonly<Record<number, TokenType>> = { 1: "base", 2: "test", 3: "personal", 4: "service" };

/** Russian names of token types. */
export const TOKEN_TYPE_RU: Readonly<Record<TokenType, string>> = { base: "Базовый", test: "Тестовый", personal: "Персональный", service: "Сервисный" };

/** What a WB token says about itself. */
export interface DecodedWbToken {
  readonly tokenType: TokenType;
  readonly sellerId: string;
  /** Category names granted by `s` (see {@link WB_CATEGORY_BITS}). */
  readonly categories: readonly string[];
  readonly suppliesGranted: boolean;
  readonly readOnly: boolean;
  readonly expiresAt: Date;
  /** `for` claim: `self` or `asid:<service>`. */
  readonly issuedFor: string;
  readonly test: boolean;
}

const b64json = (part: string): Record<string, unknown> | null => {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};

/**
 * Decodes a WB token locally (no signature check, no call).
 * @param now current time (ms) for the expiry check
 * @throws WbTokenInvalid `malformed` for a non-JWT or a payload without acc/sid/exp; `expired` when exp passed
 */
export function decodeWbToken(token: string, now: number = Date.now()): DecodedWbToken {
  const parts = token.trim().split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]+$/.test(p))) throw new WbTokenInvalid("not a JWT", "malformed");
  const payload = b64json(parts[1]!);
  if (!payload) throw new WbTokenInvalid("JWT payload is not JSON", "malformed");
  const acc = payload.acc;
  const sid = payload.sid;
  const exp = payload.exp;
  const tokenType = typeof acc === "number" ? ACC_TO_TYPE[acc] : undefined;
  if (!tokenType || typeof sid !== "string" || sid === "" || typeof exp !== "number") throw new WbTokenInvalid("JWT is not a WB seller token (acc/sid/exp)", "malformed");
  const expiresAt = new Date(exp * 1000);
  if (expiresAt.getTime() <= now) throw new WbTokenInvalid("token expired", "expired");
  const s = typeof payload.s === "number" ? payload.s : 0;
  const has = (bit: number): boolean => Math.floor(s / 2 ** bit) % 2 === 1;
  const categories = Object.entries(WB_CATEGORY_BITS)
    .filter(([name, bit]) => name !== "readOnly" && has(bit))
    .map(([name]) => name);
  return {
    tokenType,
    sellerId: sid,
    categories,
    suppliesGranted: has(WB_CATEGORY_BITS.supplies!),
    readOnly: has(WB_CATEGORY_BITS.readOnly!),
    expiresAt,
    issuedFor: typeof payload.for === "string" ? payload.for : "self",
    test: payload.t === true,
  };
}

/** A credential check verdict. */
export type CredentialVerdict =
  | {
      readonly ok: true;
      readonly tokenType: TokenType | "portal";
      readonly sellerId: string;
      readonly categories: readonly string[];
      readonly expiresAt: Date | null;
      /** e.g. «Персональный токен · Поставки · до 12.05.2027» */
      readonly summary: string;
    }
  | { readonly ok: false; readonly reason: string; readonly code: string };

const ruDate = (d: Date): string => {
  const msk = new Date(d.getTime() + 3 * 3_600_000);
  return `${String(msk.getUTCDate()).padStart(2, "0")}.${String(msk.getUTCMonth() + 1).padStart(2, "0")}.${msk.getUTCFullYear()}`;
};

const liveFailure = (error: unknown, what: string): { ok: false; reason: string; code: string } => {
  if (error instanceof WbUnauthorized) return { ok: false, reason: `WB отклонил ${what}: он отозван, истёк или не подходит к этому разделу. Создайте новый и пришлите его снова.`, code: "unauthorized" };
  if (error instanceof WbRateLimited) return { ok: false, reason: `Слишком много проверок подряд. Повторите через ${Math.max(1, Math.ceil(error.retryAfterMs / 1000))} с.`, code: "rate_limited" };
  if (error instanceof WbMethodDisabled) return { ok: false, reason: "WB временно отключил метод проверки. Попробуйте позже.", code: "wb_disabled" };
  if (error instanceof WbTimeout || error instanceof WbServerError || error instanceof WbCircuitOpen || error instanceof WbBadResponse) {
    return { ok: false, reason: "WB сейчас не отвечает. Попробуйте проверить ещё раз через пару минут.", code: "wb_unavailable" };
  }
  throw error;
};

/**
 * Checks an official token: local decode (type, seller, Supplies category,
 * expiry), then one live `ping` (limit 3 per 30 s, shared through the limiter).
 * @returns the verdict with a Russian summary or a precise Russian reason
 */
export async function checkOfficialCredential(clients: { official: OfficialClient }, token: string, now: number = Date.now()): Promise<CredentialVerdict> {
  let decoded: DecodedWbToken;
  try {
    decoded = decodeWbToken(token, now);
  } catch (error) {
    if (error instanceof WbTokenInvalid) {
      return error.reason === "expired"
        ? { ok: false, reason: "Срок действия токена истёк. Создайте новый токен в кабинете WB (Настройки → Доступ к API).", code: "expired" }
        : { ok: false, reason: "Это не токен WB API. Скопируйте токен целиком из кабинета WB (Настройки → Доступ к API).", code: "malformed" };
    }
    throw error;
  }
  if (!decoded.suppliesGranted) {
    return { ok: false, reason: "У токена нет доступа к категории «Поставки». Создайте токен с отмеченной категорией «Поставки».", code: "no_supplies_scope" };
  }
  const credentialId = `check:${createHash("sha256").update(token).digest("hex").slice(0, 16)}`;
  try {
    await clients.official.ping({ credentialId, token, sellerId: decoded.sellerId, tokenType: decoded.tokenType });
  } catch (error) {
    return liveFailure(error, "токен");
  }
  const parts = [`${TOKEN_TYPE_RU[decoded.tokenType]} токен`, "Поставки"];
  if (decoded.readOnly) parts.push("только чтение");
  parts.push(`до ${ruDate(decoded.expiresAt)}`);
  return { ok: true, tokenType: decoded.tokenType, sellerId: decoded.sellerId, categories: decoded.categories, expiresAt: decoded.expiresAt, summary: parts.join(" · ") };
}

/**
 * Checks a portal session with one cheap live call (the portal's warehouse list).
 * @returns the verdict; the expiry comes from the authorizev3 JWT when it has one
 */
export async function checkPortalSession(clients: { portal: PortalClient }, session: { authorizev3: string; supplierId: string }, now: number = Date.now()): Promise<CredentialVerdict> {
  if (!session.authorizev3.trim() || !session.supplierId.trim()) return { ok: false, reason: "Нужны оба значения: заголовок authorizev3 и cookie x-supplier-id.", code: "malformed" };
  const parts = session.authorizev3.split(".");
  const payload = parts.length === 3 ? b64json(parts[1]!) : null;
  const exp = payload && typeof payload.exp === "number" ? new Date(payload.exp * 1000) : null;
  if (exp && exp.getTime() <= now) return { ok: false, reason: "Сессия кабинета WB истекла. Войдите в кабинет заново и пришлите новую.", code: "expired" };
  const credentialId = `check:${createHash("sha256").update(session.authorizev3).digest("hex").slice(0, 16)}`;
  try {
    await clients.portal.getWarehouses({ credentialId, authorizev3: session.authorizev3, supplierId: session.supplierId });
  } catch (error) {
    return liveFailure(error, "сессию кабинета");
  }
  return {
    ok: true,
    tokenType: "portal",
    sellerId: session.supplierId,
    categories: ["supplies"],
    expiresAt: exp,
    summary: ["Сессия кабинета WB", "Поставки", ...(exp ? [`до ${ruDate(exp)}`] : [])].join(" · "),
  };
}
