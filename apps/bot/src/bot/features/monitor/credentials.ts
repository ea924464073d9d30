/**
 * Which of the user's credentials a wizard may use, how they are labelled on
 * buttons, and the real refresh interval of the slot snapshot each one allows.
 */
import type { CredentialKind, CredentialView } from "@wbslots/db";
import { refreshIntervalMs, type TokenType } from "@wbslots/wb";

/** The facts of a credential that decide its refresh interval. */
export type CredentialRefreshFacts = Pick<CredentialView, "kind" | "tokenType">;

function asTokenType(value: string | null): TokenType | undefined {
  return value === "base" || value === "test" || value === "personal" || value === "service" ? value : undefined;
}

/**
 * The real interval at which WB lets us refresh slots for a credential (from the WB
 * gateway's published limits): official coefficients — 10 s per seller account for
 * Personal/Service/Test tokens, 1 h for Base tokens; the portal report — every 1.1 s.
 * @returns milliseconds (never the fake "1 s")
 */
export function credentialRefreshMs(credential: CredentialRefreshFacts): number {
  if (credential.kind === "PORTAL_SESSION") return refreshIntervalMs("portal");
  return refreshIntervalMs("official", asTokenType(credential.tokenType));
}

/** Russian name of a credential kind / token type. */
export function credentialKindLabel(kind: CredentialKind, tokenType: string | null): string {
  if (kind === "PORTAL_SESSION") return "кабинет продавца";
  switch (tokenType) {
    case "personal":
      return "токен Personal";
    case "service":
      return "токен Service";
    case "base":
      return "токен Base";
    case "test":
      return "тестовый токен";
    default:
      return "токен API";
  }
}

/**
 * Whether a credential can be used now: WB accepted it last time and it has not expired.
 */
export function isUsableCredential(credential: Pick<CredentialView, "isValid" | "expiresAt">, now: Date): boolean {
  return credential.isValid && (credential.expiresAt === null || credential.expiresAt.getTime() > now.getTime());
}
