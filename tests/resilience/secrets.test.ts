/**
 * Secrets never leave encrypted storage. A journey through the real bot (an
 * official token and a portal session added by message, a booking made, the
 * token revoked so WB answers 401), then every place a secret could leak is
 * scanned for every secret used (whole and the JWT middle part alone):
 * - every log line of every process (captured output and the log files);
 * - a logical dump of the database: every row of every table of the public
 *   schema as `row_to_json(t)::text` (system pg_dump 15 cannot dump the
 *   embedded PostgreSQL 18, so the dump is done in SQL);
 * - every key under the run's Redis prefix, whatever its type (BullMQ job
 *   hashes, schedulers, events streams, our own keys).
 * Also: /admin/queues and /metrics without or with wrong credentials → 401;
 * a wrong or missing webhook secret → 401 and nothing processed.
 */
import fs from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { BotUser } from "../support/bot-driver";
import type { Stack } from "../support/stack";
import { sleep, startResilienceStack, until, type ResilienceStack } from "./support";

let stack: ResilienceStack;
const secrets = new Map<string, string>();
const user = 7_200_001;

beforeAll(async () => {
  stack = await startResilienceStack({ workers: 2, env: { LOG_LEVEL: "debug" } });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

afterEach(({ task }) => {
  if (task.result?.state === "fail") console.error(stack.logs().slice(-6000));
});

/** Adds a secret and, for JWT-shaped ones, its payload part alone. */
function remember(name: string, value: string): void {
  secrets.set(name, value);
  const parts = value.split(".");
  if (parts.length === 3 && (parts[1]?.length ?? 0) > 16) secrets.set(`${name} (JWT payload)`, parts[1] ?? "");
}

function leaks(haystack: string): string[] {
  return [...secrets].filter(([, value]) => value.length >= 8 && haystack.includes(value)).map(([name]) => name);
}

describe("secrets", () => {
  it("a journey: token and portal session added, a booking made, the token revoked", async () => {
    const driver = new BotUser(stack as unknown as Stack, user);
    await driver.command("start");
    const sellerId = await stack.newSeller("ООО Секрет");
    const token = stack.sandbox.state.issueToken(sellerId, "personal", 180, 0xffff);
    const session = await stack.sandbox.app.inject({ method: "POST", url: "/__sandbox/sessions", payload: { sellerId } }).then((r) => r.json<{ authorizev3: string; supplierId: string }>());
    remember("WB token", token);
    remember("portal session", session.authorizev3);
    remember("bot token", stack.env.TELEGRAM_BOT_TOKEN ?? "");
    remember("bot token secret part", (stack.env.TELEGRAM_BOT_TOKEN ?? "").split(":")[1] ?? "");
    remember("webhook secret", stack.webhookSecret);
    remember("admin password", stack.env.ADMIN_PASSWORD ?? "");
    remember("encryption key", stack.env.ENCRYPTION_KEY ?? "");

    await driver.pressData("keys:add_official");
    await driver.text(token);
    await driver.text("Мой токен");
    await driver.pressData("keys:add_portal");
    await driver.pressData("keys:portal_ok");
    await driver.text(`${session.authorizev3} ${session.supplierId}`);
    await driver.text("Мой кабинет");
    const keys = await until("both keys stored", async () => {
      const list = await stack.repos.apiKeys.list(BigInt(user));
      return list.length === 2 ? list : null;
    }, 10_000);
    const official = keys.find((k) => k.kind === "OFFICIAL_TOKEN");
    const portal = keys.find((k) => k.kind === "PORTAL_SESSION");
    if (!official || !portal) throw new Error(`keys: ${JSON.stringify(keys)}`);

    const booked = await stack.task(BigInt(user), portal.id, { warehouseId: 117501, days: [2, 6] });
    await stack.task(BigInt(user), official.id, { warehouseId: 507, days: [2, 6] });
    stack.openSlot({ warehouseId: 117501, date: stack.day(3), coefficient: 0 });
    await until("the booking", async () => (await stack.repos.bookings.byTask(booked))?.status === "CONFIRMED", 40_000, 250);
    await stack.sandbox.app.inject({ method: "POST", url: "/__sandbox/tokens/revoke", payload: { token } });
    await until("the revoked token marked invalid", async () => (await stack.repos.apiKeys.get(official.id))?.isValid === false, 40_000, 250);
    await until("the invalid-key message", () => stack.telegram.sentTo(user).some((c) => String(c.payload.text).includes("больше не работает")), 20_000);
    await sleep(4000);
  }, 120_000);

  it("no secret in any log line of any process", async () => {
    const files = fs.readdirSync(stack.logDir).map((f) => fs.readFileSync(path.join(stack.logDir, f), "utf8"));
    const all = [stack.logs(), ...files].join("\n");
    expect(all.length).toBeGreaterThan(1000);
    expect(leaks(all)).toEqual([]);
  });

  it("no secret in any row of any table (SQL logical dump)", async () => {
    const tables = await stack.repos.prisma.$queryRawUnsafe<{ tablename: string }[]>("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    expect(tables.length).toBeGreaterThan(5);
    let rows = 0;
    const dump: string[] = [];
    for (const { tablename } of tables) {
      const lines = await stack.repos.prisma.$queryRawUnsafe<{ row: string }[]>(`SELECT row_to_json(t)::text AS row FROM "${tablename.replace(/"/g, '""')}" t`);
      rows += lines.length;
      dump.push(...lines.map((l) => `${tablename}: ${l.row}`));
    }
    expect(rows).toBeGreaterThan(5);
    expect(dump.some((line) => line.startsWith("api_keys:"))).toBe(true);
    expect(leaks(dump.join("\n"))).toEqual([]);
  });

  it("no secret in any Redis key of the run (job payloads included)", async () => {
    const redis = stack.redis;
    const chunks: string[] = [];
    let cursor = "0";
    let keys = 0;
    for (let i = 0; i < 100_000; i += 1) {
      const [next, batch] = await redis.scan(cursor, "MATCH", `${stack.prefix}*`, "COUNT", 500);
      for (const key of batch) {
        keys += 1;
        const type = await redis.type(key);
        chunks.push(key);
        if (type === "string") chunks.push((await redis.get(key)) ?? "");
        else if (type === "hash") chunks.push(...Object.entries(await redis.hgetall(key)).flat());
        else if (type === "list") chunks.push(...(await redis.lrange(key, 0, -1)));
        else if (type === "set") chunks.push(...(await redis.smembers(key)));
        else if (type === "zset") chunks.push(...(await redis.zrange(key, 0, -1)));
        else if (type === "stream") chunks.push(...(await redis.xrange(key, "-", "+")).flatMap(([id, fields]) => [id, ...fields]));
      }
      cursor = next;
      if (cursor === "0") break;
    }
    expect(keys).toBeGreaterThan(5);
    // Job payloads are in there (and carry ids only).
    expect(chunks.join("\n")).toMatch(/"(taskId|userId)":/);
    expect(leaks(chunks.join("\n"))).toEqual([]);
  });

  it("/admin/queues and /metrics need credentials", async () => {
    const wrong = `Basic ${Buffer.from("admin:wrong-password").toString("base64")}`;
    for (const route of ["/admin/queues", "/metrics"]) {
      expect((await fetch(`${stack.botUrl}${route}`)).status, route).toBe(401);
      expect((await fetch(`${stack.botUrl}${route}`, { headers: { authorization: wrong } })).status, route).toBe(401);
    }
    const right = `Basic ${Buffer.from(`admin:${stack.env.ADMIN_PASSWORD ?? ""}`).toString("base64")}`;
    const metrics = await fetch(`${stack.botUrl}/metrics`, { headers: { authorization: right } });
    expect(metrics.status).toBe(200);
    expect(leaks(await metrics.text())).toEqual([]);
  });

  it("a wrong or missing webhook secret: 401 and nothing processed", async () => {
    const stranger = 7_299_999;
    const callsBefore = stack.telegram.calls.length;
    const variants: Record<string, string>[] = [{ "x-telegram-bot-api-secret-token": "wrong" }, {}, { "x-telegram-bot-api-secret-token": `${stack.webhookSecret}x` }];
    for (const headers of variants) {
      const response = await fetch(`${stack.botUrl}/telegram/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(stack.updates.commandUpdate(stranger, "start")),
      });
      expect(response.status).toBe(401);
    }
    await sleep(1500);
    expect(await stack.repos.users.get(BigInt(stranger))).toBeNull();
    expect(await stack.repos.prisma.operation.count({ where: { userId: BigInt(stranger) } })).toBe(0);
    expect(stack.telegram.calls.slice(callsBefore).filter((c) => String(c.payload.chat_id) === String(stranger))).toEqual([]);
  });
});
