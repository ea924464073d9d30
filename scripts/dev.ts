/**
 * `pnpm dev`: the whole product on one machine, offline.
 * - PostgreSQL: DATABASE_URL, or an embedded server with data in .data/pg;
 * - Redis: REDIS_URL, or a redis-server on a free port (no persistence: the
 *   worker's reconciler rebuilds every scheduler from Postgres);
 * - migrations applied with `prisma migrate deploy`;
 * - the WB sandbox, the bot (Fastify + Telegraf) and one worker as child processes;
 * - Telegram: the real Bot API when TELEGRAM_BOT_TOKEN is set in .env/env,
 *   otherwise a local recording fake Bot API.
 * Prints what runs where, then waits; Ctrl+C stops exactly what it started.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { readDotEnv } from "@wbslots/config";
import { freePort, repoRoot, startEmbeddedPostgres, startFakeTelegram, startRedis, type PostgresServer, type RedisServer } from "@wbslots/testkit";

const dataDir = path.join(repoRoot, ".data");
fs.mkdirSync(dataDir, { recursive: true });
const fileEnv = readDotEnv(path.join(repoRoot, ".env"));
const given: Record<string, string | undefined> = { ...fileEnv, ...process.env };
const children: ChildProcess[] = [];
const stops: (() => Promise<void>)[] = [];

function devSecrets(): { encryptionKey: string; webhookSecret: string; adminPassword: string } {
  const file = path.join(dataDir, "dev-secrets.json");
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, "utf8")) as ReturnType<typeof devSecrets>;
  const secrets = {
    encryptionKey: randomBytes(32).toString("base64"),
    webhookSecret: randomBytes(16).toString("hex"),
    adminPassword: randomBytes(9).toString("base64url"),
  };
  fs.writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

async function waitForHttp(url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return false;
}

function startChild(name: string, entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", entry], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const log = fs.createWriteStream(path.join(dataDir, `${name}.log`), { flags: "a" });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  child.on("exit", (code, signal) => {
    if (!shuttingDown) console.error(`[dev] ${name} exited (code ${code ?? "-"}, signal ${signal ?? "-"}); see .data/${name}.log`);
  });
  children.push(child);
  return child;
}

let shuttingDown = false;
async function shutdown(code: number): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  console.log("\n[dev] stopping…");
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
        }),
    ),
  );
  for (const stop of stops.reverse()) await stop().catch(() => undefined);
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

async function main(): Promise<void> {
  const secrets = devSecrets();

  let postgres: PostgresServer | undefined;
  let databaseUrl = given.DATABASE_URL;
  if (!databaseUrl) {
    postgres = await startEmbeddedPostgres({ dataDir: path.join(dataDir, "pg"), persistent: true, port: Number(given.DEV_PG_PORT ?? (await freePort())) });
    stops.push(() => postgres?.stop() ?? Promise.resolve());
    const check = spawnSync("psql", [postgres.url, "-tAc", "SELECT 1 FROM pg_database WHERE datname='wbslots'"], { encoding: "utf8" });
    if (!check.stdout?.includes("1")) spawnSync("psql", [postgres.url, "-c", "CREATE DATABASE wbslots"], { stdio: "ignore" });
    databaseUrl = postgres.urlFor("wbslots");
  }

  let redis: RedisServer | undefined;
  let redisUrl = given.REDIS_URL;
  if (!redisUrl) {
    redis = await startRedis();
    stops.push(() => redis?.stop() ?? Promise.resolve());
    redisUrl = redis.url;
  }

  console.log("[dev] applying migrations (prisma migrate deploy)…");
  const migrate = spawnSync("pnpm", ["exec", "prisma", "migrate", "deploy"], { cwd: repoRoot, env: { ...process.env, DATABASE_URL: databaseUrl }, encoding: "utf8" });
  if (migrate.status !== 0) {
    console.error(migrate.stdout, migrate.stderr);
    return shutdown(1);
  }

  const sandboxPort = Number(given.WB_SANDBOX_PORT ?? 3100);
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  startChild("wb-sandbox", "apps/wb-sandbox/src/main.ts", { WB_SANDBOX_PORT: String(sandboxPort), WB_SANDBOX_HOST: "127.0.0.1", LOG_LEVEL: given.LOG_LEVEL ?? "info" });
  if (!(await waitForHttp(`${sandboxUrl}/__sandbox/bookings`, 30_000))) return shutdown(1);

  let telegramToken = given.TELEGRAM_BOT_TOKEN;
  let telegramApiRoot = given.TELEGRAM_API_ROOT ?? "https://api.telegram.org";
  let fakeTelegram = false;
  if (!telegramToken) {
    telegramToken = `100000001:${randomBytes(18).toString("base64url")}`;
    const fake = await startFakeTelegram({ token: telegramToken });
    stops.push(() => fake.close());
    telegramApiRoot = fake.apiRoot;
    fakeTelegram = true;
  }

  const port = Number(given.PORT ?? 3000);
  const common: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    ENCRYPTION_KEY: given.ENCRYPTION_KEY ?? secrets.encryptionKey,
    WB_COMMON_API_URL: given.WB_COMMON_API_URL ?? sandboxUrl,
    WB_SUPPLIES_API_URL: given.WB_SUPPLIES_API_URL ?? sandboxUrl,
    WB_SELLER_SUPPLY_URL: given.WB_SELLER_SUPPLY_URL ?? sandboxUrl,
    WB_SELLER_URL: given.WB_SELLER_URL ?? sandboxUrl,
    LOG_LEVEL: given.LOG_LEVEL ?? "info",
  };
  const adminUser = given.ADMIN_USER ?? "admin";
  const adminPassword = given.ADMIN_PASSWORD ?? secrets.adminPassword;
  const webhookSecret = given.TELEGRAM_WEBHOOK_SECRET ?? secrets.webhookSecret;
  startChild("bot", "apps/bot/src/main.ts", {
    ...common,
    TELEGRAM_BOT_TOKEN: telegramToken,
    TELEGRAM_API_ROOT: telegramApiRoot,
    TELEGRAM_WEBHOOK_SECRET: webhookSecret,
    ...(given.PUBLIC_URL ? { PUBLIC_URL: given.PUBLIC_URL } : {}),
    HOST: given.HOST ?? "127.0.0.1",
    PORT: String(port),
    ADMIN_USER: adminUser,
    ADMIN_PASSWORD: adminPassword,
  });
  startChild("worker", "apps/worker/src/main.ts", { ...common, WORKER_METRICS_PORT: given.WORKER_METRICS_PORT ?? "0" });

  const ready = await waitForHttp(`http://127.0.0.1:${port}/readyz`, 60_000);
  const sellerResponse = await fetch(`${sandboxUrl}/__sandbox/sellers`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "Демо-продавец" }) });
  const { sellerId } = (await sellerResponse.json()) as { sellerId: string };
  const tokenResponse = await fetch(`${sandboxUrl}/__sandbox/tokens`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ sellerId, type: "service" }) });
  const { token } = (await tokenResponse.json()) as { token: string };

  console.log(`
[dev] ${ready ? "ready" : "started, but /readyz did not answer 200 yet (see .data/bot.log)"}
  bot              http://127.0.0.1:${port}   (/healthz, /readyz, POST /telegram/webhook)
  dashboard        http://127.0.0.1:${port}/admin/queues   user ${adminUser} / password in .data/dev-secrets.json
  metrics          http://127.0.0.1:${port}/metrics        (same basic auth)
  WB sandbox       ${sandboxUrl}   (admin API under /__sandbox)
  Postgres         ${postgres ? "embedded, data in .data/pg" : "DATABASE_URL"}
  Redis            ${redis ? `redis-server pid ${redis.pid ?? "?"} on port ${redis.port}` : "REDIS_URL"}
  Telegram         ${fakeTelegram ? `local fake Bot API ${telegramApiRoot} (set TELEGRAM_BOT_TOKEN in .env for the real one)` : telegramApiRoot}
  logs             .data/{bot,worker,wb-sandbox}.log

  Try it: send an update to the webhook, e.g.
    curl -s -XPOST http://127.0.0.1:${port}/telegram/webhook -H 'content-type: application/json' \\
      -H 'X-Telegram-Bot-Api-Secret-Token: <webhookSecret from .data/dev-secrets.json>' \\
      -d '{"update_id":1,"message":{"message_id":1,"date":0,"chat":{"id":1,"type":"private"},"from":{"id":1,"is_bot":false,"first_name":"Demo"},"text":"/start","entities":[{"type":"bot_command","offset":0,"length":6}]}}'
  A demo sandbox seller ${sellerId} has a service token you can add with /keys:
    ${token.slice(0, 24)}… (full token in .data/demo-token.txt)
  Open a slot: curl -XPOST ${sandboxUrl}/__sandbox/slots -H 'content-type: application/json' -d '{"warehouseId":507,"date":"<YYYY-MM-DD>","boxTypeId":2,"coefficient":0,"allowUnload":true}'
`);
  fs.writeFileSync(path.join(dataDir, "demo-token.txt"), `${token}\n`, { mode: 0o600 });
  if (given.DEV_EXIT_WHEN_READY === "1") return shutdown(ready ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error("[dev] failed:", error);
  void shutdown(1);
});
