/** Test helpers (not exported from the package). */
import { Redis } from "ioredis";
import { silentLogger } from "@wbslots/logger";
import type { RunningSandbox } from "@wbslots/wb-sandbox";
import { createWbClients, type WbClients, type WbClientsDeps } from "./clients";
import type { OfficialCredential } from "./official";
import type { PortalCredential } from "./portal";

/** POSTs to the sandbox admin API. */
export async function admin<T>(sb: RunningSandbox, path: string, body: unknown = {}): Promise<T> {
  const res = await fetch(`${sb.url}/__sandbox/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return (await res.json()) as T;
}

/** GETs from the sandbox admin API. */
export async function adminGet<T>(sb: RunningSandbox, path: string): Promise<T> {
  return (await (await fetch(`${sb.url}/__sandbox/${path}`)).json()) as T;
}

/** A new seller with an official token and a portal session. */
export async function newSeller(sb: RunningSandbox, type: "personal" | "service" | "base" = "personal"): Promise<{ official: OfficialCredential; portal: PortalCredential; sellerId: string }> {
  const { sellerId } = await admin<{ sellerId: string }>(sb, "sellers", { name: "ИП Тест" });
  const { token } = await admin<{ token: string }>(sb, "tokens", { sellerId, type });
  const session = await admin<{ authorizev3: string; supplierId: string }>(sb, "sessions", { sellerId });
  return {
    sellerId,
    official: { credentialId: `off-${sellerId.slice(0, 8)}`, token, sellerId, tokenType: type },
    portal: { credentialId: `portal-${sellerId.slice(0, 8)}`, authorizev3: session.authorizev3, supplierId: session.supplierId },
  };
}

/** Clients pointed at the sandbox with a fresh Redis connection. */
export function sandboxClients(sb: RunningSandbox, redis: { url: string; prefix: string }, extra: Partial<WbClientsDeps> = {}): { clients: WbClients; redis: Redis; close(): Promise<void> } {
  const connection = new Redis(redis.url, { maxRetriesPerRequest: 2 });
  const clients = createWbClients({
    logger: silentLogger(),
    redis: connection,
    urls: { common: sb.url, supplies: sb.url, sellerSupply: sb.url, seller: sb.url },
    keyPrefix: `${redis.prefix}:`,
    retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 50 },
    ...extra,
  });
  return {
    clients,
    redis: connection,
    close: async () => {
      await clients.close();
      connection.disconnect();
    },
  };
}
