/**
 * Three processes share one Redis and hammer one seller account for ~10 s:
 * WB (the sandbox) must see no request over its limit.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { testRedis } from "@wbslots/testkit/vitest";
import { startSandbox, type RunningSandbox } from "@wbslots/wb-sandbox";
import { adminGet, newSeller } from "./testing.test-helpers";

const script = fileURLToPath(new URL("./limiter-hammer.script.ts", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
let sb: RunningSandbox;

beforeAll(async () => {
  sb = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await sb.close();
});

function runChild(args: unknown): Promise<{ ok: number; local: number; wb: number; other: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, JSON.stringify(args)], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`child exited ${code}: ${err.slice(0, 500)}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? "{}") as { ok: number; local: number; wb: number; other: number });
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  });
}

// CI runs 10 s; the 60 s run: WB_HAMMER_SECONDS=60 pnpm exec vitest run packages/wb/src/limiter.multiprocess.test.ts
const hammerSeconds = Number(process.env.WB_HAMMER_SECONDS ?? 10);

it(`3 processes, one seller, ${hammerSeconds} s of coefficients: 0 requests over WB's limit`, async () => {
  const { url, prefix } = testRedis();
  const s = await newSeller(sb);
  const startedAt = Date.now();
  const durationMs = hammerSeconds * 1000;
  const results = await Promise.all([0, 1, 2].map(() => runChild({ sandboxUrl: sb.url, redisUrl: url, prefix: `${prefix}:`, cred: s.official, durationMs })));
  const elapsed = Date.now() - startedAt;
  const log = (await adminGet<Array<{ at: string; method: string; sellerId: string | null; status: number }>>(sb, "requests")).filter((r) => r.sellerId === s.sellerId && r.method === "coefficients");
  const ok = results.reduce((n, r) => n + r.ok, 0);
  expect(results.reduce((n, r) => n + r.wb + r.other, 0)).toBe(0);
  expect(log.filter((r) => r.status === 429)).toHaveLength(0);
  expect(log).toHaveLength(ok);
  // burst 6 + one token per 10 s
  expect(ok).toBeGreaterThanOrEqual(6);
  expect(ok).toBeLessThanOrEqual(6 + Math.ceil(elapsed / 10_000));
  expect(results.reduce((n, r) => n + r.local, 0)).toBeGreaterThan(30);
}, 40_000 + hammerSeconds * 1000);
