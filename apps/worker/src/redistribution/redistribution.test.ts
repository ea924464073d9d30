import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import { parseMasterKey } from "@wbslots/crypto";
import { createRepositories, type Repositories } from "@wbslots/db";
import { silentLogger } from "@wbslots/logger";
import { QUEUE, createQueues, createRedisConnection, redistributeSchedulerId, upsertRedistributeWatcher, type NotificationJob, type Queues } from "@wbslots/queues";
import { testDatabase, testRedis } from "@wbslots/testkit/vitest";
import { createWbClients, type WbClients } from "@wbslots/wb";
import { startSandbox, type RunningSandbox } from "@wbslots/wb-sandbox";
import { createRedistributeProcessor, type RedistributeProcessorDeps } from "./index";

const SRC = 507; // Коледино
const DST = 686; // Новосибирск
const logger = silentLogger();
const masterKey = parseMasterKey(randomBytes(32).toString("base64"));

let repos: Repositories;
let dropDb: () => Promise<void>;
let sb: RunningSandbox;
let redisUrl: string;
let prefix: string;
let connection: Redis;
let queues: Queues;
let wbRedis: Redis;
let wb: WbClients;
let worker: Worker;
let nextUserId = 5000n;
let nextNm = 900_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function admin<T>(path: string, body: unknown): Promise<T> {
  const res = await fetch(`${sb.url}/__sandbox/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`sandbox ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function transfersOf(sellerId: string): Promise<Array<{ sellerId: string; nmId: number; count: number; srcOfficeId: number; dstOfficeId: number; chrtId: number }>> {
  const res = await fetch(`${sb.url}/__sandbox/transfers`);
  const all = (await res.json()) as Array<{ sellerId: string; nmId: number; count: number; srcOfficeId: number; dstOfficeId: number; chrtId: number }>;
  return all.filter((t) => t.sellerId === sellerId);
}

async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 8_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function notificationsOf(userId: bigint): Promise<NotificationJob[]> {
  const jobs = await queues.notifications.getJobs(["waiting", "delayed", "active", "completed", "failed", "prioritized"]);
  return jobs.filter((j) => j?.data.userId === userId.toString()).map((j) => j.data);
}

async function hasWatcher(requestId: number): Promise<boolean> {
  return (await queues.redistribute.getJobSchedulers()).some((s) => s.key === redistributeSchedulerId(requestId));
}

/** A seller at the sandbox with a portal session stored as a credential, and a request. */
async function setup(o: { srcQuota: number; dstQuota: number; stock: number; quantity: number }) {
  const { sellerId } = await admin<{ sellerId: string }>("sellers", { name: "Seller" });
  const session = await admin<{ authorizev3: string; supplierId: string }>("sessions", { sellerId });
  const nmId = ++nextNm;
  const chrtId = nmId * 10 + 1;
  await admin("quotas", { sellerId, officeId: SRC, srcQuota: o.srcQuota, dstQuota: 0 });
  await admin("quotas", { sellerId, officeId: DST, srcQuota: 0, dstQuota: o.dstQuota });
  await admin("stock", { sellerId, nmId, chrtId, warehouseId: SRC, count: o.stock });
  const userId = ++nextUserId;
  await repos.users.register({ id: userId, username: `u${userId}` }, 2);
  const credential = await repos.apiKeys.create({ userId, kind: "PORTAL_SESSION", name: "Кабинет", secret: JSON.stringify(session), supplierId: session.supplierId });
  const request = await repos.redistributions.create({
    userId,
    credentialId: credential.id,
    nmId: BigInt(nmId),
    chrtId: BigInt(chrtId),
    srcOfficeId: SRC,
    srcOfficeName: "Коледино",
    dstOfficeId: DST,
    dstOfficeName: "Новосибирск",
    quantity: o.quantity,
  });
  return { sellerId, session, nmId, chrtId, userId, credential, request };
}

function deps(overrides: Partial<RedistributeProcessorDeps> = {}): RedistributeProcessorDeps {
  return { repos, wb, queues, logger, redis: connection, keyPrefix: prefix, ...overrides };
}

beforeAll(async () => {
  const db = await testDatabase();
  dropDb = db.drop;
  repos = createRepositories({ databaseUrl: db.url, masterKey, poolSize: 10 });
  const redis = testRedis();
  redisUrl = redis.url;
  prefix = redis.prefix;
  connection = createRedisConnection(redisUrl, "worker");
  queues = createQueues(connection, prefix);
  sb = await startSandbox({ port: 0 });
  wbRedis = createRedisConnection(redisUrl, "worker");
  wb = createWbClients({ logger, redis: wbRedis, keyPrefix: `${prefix}:wb`, urls: { common: sb.url, supplies: sb.url, sellerSupply: sb.url, seller: sb.url } });
  worker = new Worker(QUEUE.redistribute, createRedistributeProcessor(deps()), { connection: createRedisConnection(redisUrl, "worker"), prefix, concurrency: 20 });
  worker.on("error", () => undefined);
});

afterAll(async () => {
  await worker?.close();
  await wb?.close();
  await queues?.close();
  connection?.disconnect();
  wbRedis?.disconnect();
  await sb?.close();
  await repos?.close();
  await dropDb?.();
});

describe("redistribute processor", () => {
  it("waits while the destination has no quota, then orders exactly once", async () => {
    const s = await setup({ srcQuota: 10, dstQuota: 0, stock: 50, quantity: 5 });
    await upsertRedistributeWatcher(queues, s.request.id);
    await sleep(2_200);
    expect((await repos.redistributions.get(s.request.id))?.status).toBe("WAITING");
    expect(await transfersOf(s.sellerId)).toHaveLength(0);

    const opened = Date.now();
    await admin("quotas", { sellerId: s.sellerId, officeId: DST, srcQuota: 0, dstQuota: 10 });
    const done = await waitFor("DONE", async () => {
      const row = await repos.redistributions.get(s.request.id);
      return row?.status === "DONE" ? row : null;
    });
    const latencyMs = Date.now() - opened;
    console.info(`[redistribution] quota opened → DONE in ${latencyMs} ms`);
    expect(latencyMs).toBeLessThan(3_000); // "within ~2 s"; typically ~1 s
    expect(done.submittedAt).not.toBeNull();

    await sleep(1_500); // more ticks would have ordered again, if they could
    const transfers = await transfersOf(s.sellerId);
    expect(transfers).toEqual([expect.objectContaining({ nmId: s.nmId, chrtId: s.chrtId, srcOfficeId: SRC, dstOfficeId: DST, count: 5 })]);
    const notes = (await notificationsOf(s.userId)).filter((n) => n.kind === "redistribution_success");
    expect(notes).toHaveLength(1);
    expect(notes[0]?.text.startsWith("✅ ПЕРЕРАСПРЕДЕЛЕНИЕ ВЫПОЛНЕНО!")).toBe(true);
    expect(await hasWatcher(s.request.id)).toBe(false);
    expect(await repos.operations.count("redistribution.submitted")).toBeGreaterThanOrEqual(1);
  });

  it("two processors racing on one request order once", async () => {
    const s = await setup({ srcQuota: 10, dstQuota: 10, stock: 50, quantity: 3 });
    // Separate caches (prefixes) so both really read the limits and both try to order.
    const a = createRedistributeProcessor(deps({ keyPrefix: `${prefix}:a` }));
    const b = createRedistributeProcessor(deps({ keyPrefix: `${prefix}:b` }));
    const job = { id: "race", data: { requestId: s.request.id } };
    await Promise.all([a(job), b(job), a(job), b(job)]);
    await Promise.all([a(job), b(job)]);
    expect(await transfersOf(s.sellerId)).toHaveLength(1);
    expect((await repos.redistributions.get(s.request.id))?.status).toBe("DONE");
    expect((await notificationsOf(s.userId)).filter((n) => n.kind === "redistribution_success")).toHaveLength(1);
  });

  it("insufficient stock fails the request with a clear message", async () => {
    const s = await setup({ srcQuota: 10, dstQuota: 10, stock: 2, quantity: 5 });
    await upsertRedistributeWatcher(queues, s.request.id);
    const failed = await waitFor("FAILED", async () => {
      const row = await repos.redistributions.get(s.request.id);
      return row?.status === "FAILED" ? row : null;
    });
    expect(failed.error).toContain("Недостаточно остатка");
    expect(failed.error).toContain("доступно 2 шт.");
    expect(await transfersOf(s.sellerId)).toHaveLength(0);
    // The status is written before the message is queued: wait for the message.
    const notes = await waitFor("failure message", async () => {
      const list = await notificationsOf(s.userId);
      return list.length > 0 ? list : null;
    });
    expect(notes.map((n) => n.kind)).toEqual(["redistribution_failed"]);
    await waitFor("watcher removed", async () => !(await hasWatcher(s.request.id)));
  });

  it("a revoked session fails the request, marks the credential invalid and tells the user", async () => {
    const s = await setup({ srcQuota: 10, dstQuota: 10, stock: 50, quantity: 5 });
    sb.state.sessions.delete(s.session.authorizev3); // the user logged out of the portal
    await upsertRedistributeWatcher(queues, s.request.id);
    const failed = await waitFor("FAILED", async () => {
      const row = await repos.redistributions.get(s.request.id);
      return row?.status === "FAILED" ? row : null;
    });
    expect(failed.error).toContain("сессия недействительна");
    expect((await repos.apiKeys.get(s.credential.id))?.isValid).toBe(false);
    const notes = await waitFor("invalid-key message", async () => {
      const list = await notificationsOf(s.userId);
      return list.length > 0 ? list : null;
    });
    expect(notes.map((n) => n.kind)).toEqual(["invalid_key"]);
    expect(notes[0]?.text).not.toContain(s.session.authorizev3);
    expect(await transfersOf(s.sellerId)).toHaveLength(0);
    await waitFor("watcher removed", async () => !(await hasWatcher(s.request.id)));
  });

  it("an order WB rejects (quota gone meanwhile) goes back to WAITING and is ordered later", async () => {
    const s = await setup({ srcQuota: 10, dstQuota: 10, stock: 50, quantity: 5 });
    let stolen = false;
    const thief: RedistributeProcessorDeps["wb"] = {
      portal: {
        transferLimits: (cred) => wb.portal.transferLimits(cred),
        transferList: (cred, nmIds) => wb.portal.transferList(cred, nmIds),
        transferOrder: async (cred, transfers) => {
          if (!stolen) {
            stolen = true; // somebody else spent the destination quota between our read and our order
            await admin("quotas", { sellerId: s.sellerId, officeId: DST, srcQuota: 0, dstQuota: 0 });
          }
          return await wb.portal.transferOrder(cred, transfers);
        },
      },
    };
    const processor = createRedistributeProcessor(deps({ wb: thief, keyPrefix: `${prefix}:thief` }));
    const job = { id: "t", data: { requestId: s.request.id } };
    await processor(job);
    const back = await repos.redistributions.get(s.request.id);
    expect(back?.status).toBe("WAITING");
    expect(back?.error).toContain("WB отклонил");
    expect(await transfersOf(s.sellerId)).toHaveLength(0);

    await admin("quotas", { sellerId: s.sellerId, officeId: DST, srcQuota: 0, dstQuota: 10 });
    await sleep(1_000); // the cached limits expire
    await processor(job);
    expect((await repos.redistributions.get(s.request.id))?.status).toBe("DONE");
    expect(await transfersOf(s.sellerId)).toHaveLength(1);
  });

  it("a method WB switched off keeps the request waiting and notifies once", async () => {
    const s = await setup({ srcQuota: 10, dstQuota: 10, stock: 50, quantity: 5 });
    await admin("faults", { method: "transfer/AvailableLimits", kind: "disabled" });
    try {
      const processor = createRedistributeProcessor(deps({ keyPrefix: `${prefix}:off` }));
      const job = { id: "d", data: { requestId: s.request.id } };
      for (let i = 0; i < 3; i += 1) {
        await processor(job);
        await sleep(950);
      }
      const row = await repos.redistributions.get(s.request.id);
      expect(row?.status).toBe("WAITING");
      expect(row?.error).toContain("временно отключил");
      const notes = await notificationsOf(s.userId);
      expect(notes.map((n) => n.kind)).toEqual(["source_disabled"]);
      expect(notes[0]?.text).toContain("временно отключил");
      await fetch(`${sb.url}/__sandbox/faults?method=${encodeURIComponent("transfer/AvailableLimits")}`, { method: "DELETE" });
      await processor(job); // WB turned it back on: the reason goes, the order goes through
      expect(await repos.redistributions.get(s.request.id)).toMatchObject({ status: "DONE", error: null });
      expect(await transfersOf(s.sellerId)).toHaveLength(1);
    } finally {
      await fetch(`${sb.url}/__sandbox/faults`, { method: "DELETE" });
    }
  });

  it("a SUBMITTED request without confirmation for too long is failed for a human to check, never re-ordered", async () => {
    const s = await setup({ srcQuota: 10, dstQuota: 10, stock: 50, quantity: 5 });
    expect(await repos.redistributions.transition(s.request.id, ["WAITING"], "SUBMITTED")).toBe(true); // a worker died mid-call
    const job = { id: "s", data: { requestId: s.request.id } };
    await createRedistributeProcessor(deps())(job);
    expect((await repos.redistributions.get(s.request.id))?.status).toBe("SUBMITTED");
    await createRedistributeProcessor(deps({ now: () => Date.now() + 6 * 60_000 }))(job);
    const row = await repos.redistributions.get(s.request.id);
    expect(row?.status).toBe("FAILED");
    expect(row?.error).toContain("Проверьте в кабинете WB");
    expect(await transfersOf(s.sellerId)).toHaveLength(0);
  });

  it("ignores bad payloads and requests that are no longer waiting", async () => {
    const processor = createRedistributeProcessor(deps());
    await expect(processor({ id: "x", data: { requestId: "nope" } })).resolves.toBeUndefined();
    const s = await setup({ srcQuota: 10, dstQuota: 10, stock: 50, quantity: 5 });
    await repos.redistributions.cancelOwned(s.userId, s.request.id);
    await upsertRedistributeWatcher(queues, s.request.id);
    await processor({ id: "c", data: { requestId: s.request.id } });
    expect(await hasWatcher(s.request.id)).toBe(false);
    expect(await transfersOf(s.sellerId)).toHaveLength(0);
  });
});
