/**
 * Child process of limiter.multiprocess.test.ts: hammers one seller's
 * coefficients for `durationMs` through the shared limiter and prints counts.
 * Usage: node --import tsx limiter-hammer.script.ts '<json args>'
 */
import { Redis } from "ioredis";
import { silentLogger } from "@wbslots/logger";
import { createWbClients } from "./clients";
import { WbRateLimited } from "./errors";
import type { OfficialCredential } from "./official";

interface Args {
  sandboxUrl: string;
  redisUrl: string;
  prefix: string;
  cred: OfficialCredential;
  durationMs: number;
}

const args = JSON.parse(process.argv[2] ?? "{}") as Args;
const redis = new Redis(args.redisUrl);
const clients = createWbClients({
  logger: silentLogger(),
  redis,
  urls: { common: args.sandboxUrl, supplies: args.sandboxUrl, sellerSupply: args.sandboxUrl, seller: args.sandboxUrl },
  keyPrefix: args.prefix,
});
const counts = { ok: 0, local: 0, wb: 0, other: 0 };
const end = Date.now() + args.durationMs;
while (Date.now() < end) {
  try {
    await clients.official.getAcceptanceCoefficients(args.cred, [507]);
    counts.ok++;
  } catch (error) {
    if (error instanceof WbRateLimited) counts[error.source === "local" ? "local" : "wb"]++;
    else counts.other++;
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 60));
  }
}
await clients.close();
redis.disconnect();
process.stdout.write(`${JSON.stringify(counts)}\n`);
