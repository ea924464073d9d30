/**
 * The production entry points: `pnpm build` bundles the three apps, and the
 * built JS (what `pnpm start:*` runs, no dev tooling) starts, answers its
 * health routes, and refuses a bad configuration with exit 1 naming the variable.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, productionCommand, repoRoot, startFakeTelegram, startNodeProcess, waitForHttpStatus, type FakeTelegram, type ManagedProcess } from "@wbslots/testkit";
import { testDatabase, testRedis } from "@wbslots/testkit/vitest";

const started: ManagedProcess[] = [];
let telegram: FakeTelegram;
let dropDb: () => Promise<void>;
let databaseUrl = "";

beforeAll(async () => {
  const build = spawnSync("pnpm", ["run", "build"], { cwd: repoRoot, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`pnpm build failed:\n${build.stdout}\n${build.stderr}`);
  const db = await testDatabase();
  databaseUrl = db.url;
  dropDb = db.drop;
}, 180_000);

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  await telegram?.close();
  await dropDb?.();
});

/** Starts a built app exactly as `pnpm start:<app>` does (its variables and node flags). */
function start(name: "bot" | "worker" | "wb-sandbox", env: Record<string, string>): ManagedProcess {
  const command = productionCommand(name);
  const child = startNodeProcess(name, [...command.nodeArgs, command.script], { ...command.env, ...env });
  started.push(child);
  return child;
}

describe("built apps", () => {
  it("start:wb-sandbox serves WB paths and the admin API of CONTRACT.md", async () => {
    const port = await freePort();
    start("wb-sandbox", { WB_SANDBOX_PORT: String(port), LOG_LEVEL: "warn" });
    const base = `http://127.0.0.1:${port}`;
    await waitForHttpStatus(`${base}/__sandbox/bookings`, 20_000);
    const post = async <T>(route: string, body: unknown): Promise<T> => {
      const response = await fetch(`${base}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      expect(response.status).toBe(200);
      return (await response.json()) as T;
    };
    const { sellerId } = await post<{ sellerId: string }>("/__sandbox/sellers", { name: "Тест" });
    const { token } = await post<{ token: string }>("/__sandbox/tokens", { sellerId, type: "personal" });
    expect(token.split(".")).toHaveLength(3);
    const ping = await fetch(`${base}/ping`, { headers: { authorization: token } });
    expect(await ping.json()).toMatchObject({ Status: "OK" });
    await post("/__sandbox/tokens/revoke", { token });
    expect((await fetch(`${base}/ping`, { headers: { authorization: token } })).status).toBe(401);
    const session = await post<{ authorizev3: string; supplierId: string }>("/__sandbox/sessions", { sellerId });
    expect(session.authorizev3.length).toBeGreaterThan(20);
    await post("/__sandbox/slots", { warehouseId: 507, date: "2030-01-01", boxTypeId: 2, coefficient: 0, allowUnload: true });
    await post("/__sandbox/faults", { method: "coefficients", kind: "disabled" });
    expect((await fetch(`${base}/__sandbox/faults`, { method: "DELETE" })).status).toBe(200);
    const requests = (await (await fetch(`${base}/__sandbox/requests?since=${encodeURIComponent(new Date(0).toISOString())}`)).json()) as { method: string; status: number }[];
    expect(requests.some((r) => r.method === "ping" && r.status === 401)).toBe(true);
    expect(Array.isArray(await (await fetch(`${base}/__sandbox/bookings`)).json())).toBe(true);
    await post("/__sandbox/reset", {});
  });

  it("start:bot and start:worker run from dist and become ready", async () => {
    const redis = testRedis();
    const token = `123456:${randomBytes(20).toString("base64url")}`;
    telegram = await startFakeTelegram({ token });
    const core = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: redis.prefix,
      ENCRYPTION_KEY: randomBytes(32).toString("base64"),
      WB_COMMON_API_URL: "http://127.0.0.1:9",
      WB_SUPPLIES_API_URL: "http://127.0.0.1:9",
      WB_SELLER_SUPPLY_URL: "http://127.0.0.1:9",
      WB_SELLER_URL: "http://127.0.0.1:9",
      LOG_LEVEL: "warn",
    };
    const botPort = await freePort();
    const workerPort = await freePort();
    start("bot", {
      ...core,
      TELEGRAM_BOT_TOKEN: token,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      TELEGRAM_WEBHOOK_SECRET: "secret",
      HOST: "127.0.0.1",
      PORT: String(botPort),
      ADMIN_USER: "admin",
      ADMIN_PASSWORD: "password123",
    });
    start("worker", { ...core, WORKER_METRICS_PORT: String(workerPort) });
    await waitForHttpStatus(`http://127.0.0.1:${botPort}/readyz`, 30_000);
    await waitForHttpStatus(`http://127.0.0.1:${workerPort}/healthz`, 30_000);
    await telegram.waitFor((call) => call.method === "setMyCommands", 10_000);
    const worker = started.find((p) => p.name === "worker");
    expect(await worker?.stop("SIGTERM")).toBe(0);
  });

  it.each([
    ["bot", "TELEGRAM_BOT_TOKEN"],
    ["worker", "ENCRYPTION_KEY"],
  ] as const)("%s exits 1 naming a missing variable", async (name, variable) => {
    const env: Record<string, string> = { DATABASE_URL: databaseUrl, REDIS_URL: "redis://127.0.0.1:1", ENCRYPTION_KEY: randomBytes(32).toString("base64") };
    delete env[variable];
    const child = start(name, env);
    expect(await child.exited).toBe(1);
    expect(child.output()).toContain(variable);
  });
});
