import { z } from "zod";
import type { CredentialKind, TaskWithCredential } from "@wbslots/db";
import type { SlotSource } from "@wbslots/domain";
import type { OfficialCredential, PortalCredential, TokenType } from "@wbslots/wb";
import type { WorkerContext } from "./context";

/** The non-secret facts of a credential the worker decides with. */
export type CredentialFacts = NonNullable<TaskWithCredential["credential"]>;

/** A decrypted credential ready for the WB gateway (lives only in memory). */
export type FetchCredential =
  | { readonly source: "official"; readonly facts: CredentialFacts; readonly official: OfficialCredential }
  | { readonly source: "portal"; readonly facts: CredentialFacts; readonly portal: PortalCredential };

const portalSecretSchema = z.object({ authorizev3: z.string().min(1), supplierId: z.string().min(1) });
const TOKEN_TYPES: readonly TokenType[] = ["base", "test", "personal", "service"];

/**
 * The slot source a credential kind reads: official coefficients for tokens, the portal report for sessions.
 * @returns the source
 */
export function sourceOf(kind: CredentialKind): SlotSource {
  return kind === "OFFICIAL_TOKEN" ? "official" : "portal";
}

/**
 * The credential kind that reads a source.
 * @returns the kind
 */
export function kindOf(source: SlotSource): CredentialKind {
  return source === "official" ? "OFFICIAL_TOKEN" : "PORTAL_SESSION";
}

/**
 * The WB seller account a credential belongs to (the unit WB's budget is per):
 * `sellerId` of a token, `supplierId` of a portal session.
 * @returns the account id, or null when unknown
 */
export function accountOf(facts: Pick<CredentialFacts, "kind" | "sellerId" | "supplierId">): string | null {
  return (facts.kind === "OFFICIAL_TOKEN" ? facts.sellerId : facts.supplierId) ?? null;
}

/**
 * Narrows the stored token type (`acc` decoded at add time).
 * @returns the token type, `personal` when unknown
 */
export function tokenTypeOf(facts: Pick<CredentialFacts, "tokenType">): TokenType {
  return TOKEN_TYPES.find((t) => t === facts.tokenType) ?? "personal";
}

/**
 * Decrypts a stored credential for one WB call. A portal session secret is the
 * JSON `{"authorizev3","supplierId"}` the bot stores.
 * @returns the credential, or null when it is gone, invalid or unreadable
 */
export async function revealCredential(ctx: Pick<WorkerContext, "repos" | "logger">, id: string): Promise<FetchCredential | null> {
  const revealed = await ctx.repos.apiKeys.reveal(id);
  if (!revealed || !revealed.credential.isValid) return null;
  const facts: CredentialFacts = revealed.credential;
  if (facts.kind === "OFFICIAL_TOKEN") {
    if (!facts.sellerId) return null;
    return { source: "official", facts, official: { credentialId: id, token: revealed.secret, sellerId: facts.sellerId, tokenType: tokenTypeOf(facts) } };
  }
  let json: unknown;
  try {
    json = JSON.parse(revealed.secret);
  } catch {
    json = null;
  }
  const parsed = portalSecretSchema.safeParse(json);
  if (!parsed.success) {
    // Never log the secret itself: only which credential could not be read.
    ctx.logger.warn({ credentialId: id }, "portal session secret is not {authorizev3, supplierId}");
    return null;
  }
  return { source: "portal", facts, portal: { credentialId: id, authorizev3: parsed.data.authorizev3, supplierId: parsed.data.supplierId } };
}

/**
 * "Intelligent distribution": among the valid credentials of one user for one
 * WB account and kind, picks the next one round-robin (counter in Redis, shared
 * by every worker). The account's budget stays shared: this only spreads reads
 * over keys (and keeps each key's `lastUsed` fresh).
 * @returns the chosen credential's facts (the seed itself when it has no siblings)
 */
export async function pickRoundRobin(ctx: Pick<WorkerContext, "repos" | "redis" | "keys">, seed: CredentialFacts): Promise<CredentialFacts> {
  const account = accountOf(seed);
  if (!account) return seed;
  const siblings = await ctx.repos.apiKeys.validSiblings(seed);
  if (siblings.length === 0) return seed;
  const all: CredentialFacts[] = [seed, ...siblings].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const key = ctx.keys.roundRobin(sourceOf(seed.kind), account);
  const n = await ctx.redis.incr(key);
  if (n === 1) await ctx.redis.pexpire(key, 86_400_000);
  return all[n % all.length] ?? seed;
}
