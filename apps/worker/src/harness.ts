/**
 * Test support (not shipped): the real worker over a real Postgres (cloned
 * template), a real Redis (unique prefix) and an in-process WB sandbox.
 */
import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { parseConfig, workerSchema, type WorkerConfig } from "@wbslots/config";
import { parseMasterKey } from "@wbslots/crypto";
import { createRepositories, type BookingResult, type Repositories } from "@wbslots/db";
import { addDays, moscowToday, type BoxTypeId } from "@wbslots/domain";
import { silentLogger } from "@wbslots/logger";
import { createQueues, createRedisConnection, upsertMonitor, type NotificationJob, type NotificationKind, type Queues } from "@wbslots/queues";
import { testDatabase, testRedis } from "@wbslots/testkit/vitest";
import { createWbClients, type WbClients } from "@wbslots/wb";
import { startSandbox, type RunningSandbox } from "@wbslots/wb-sandbox";
import { createWorkerApp, type WorkerApp, type WorkerAppOptions } from "./app";
import type { WorkerContext } from "./context";
import { workerKeys } from "./keys";
import { createWorkerMetrics, type WorkerMetrics } from "./metrics";

/** Everything a worker test touches. */
export interface Harness {
  readonly config: WorkerConfig;
  /** The environment a child worker process needs (same DB, Redis prefix, sandbox). */
  readonly env: Record<string, string>;
  readonly repos: Repositories;
  readonly queues: Queues;
  readonly cache: Redis;
  readonly sandbox: RunningSandbox;
  readonly wb: WbClients;
  readonly metrics: WorkerMetrics;
  readonly app: WorkerApp;
  admin<T>(path: string, body: unknown): Promise<T>;
  newSeller(): Promise<string>;
  newUser(trial?: number): Promise<bigint>;
  officialKey(userId: bigint, sellerId: string, name?: string): Promise<{ id: string; token: string }>;
  portalSession(userId: bigint, sellerId: string, name?: string): Promise<{ id: string }>;
  task(userId: bigint, credentialId: string, o?: { warehouseId?: number; boxTypeId?: BoxTypeId; maxCoefficient?: number; days?: [number, number]; goods?: boolean }): Promise<number>;
  /**
   * The usual start of a test: a seller, a user with `trial` free catches, an
   * official key and a portal session of that seller, and one task on the key.
   */
  sellerWithTask(trial?: number): Promise<{ sellerId: string; userId: bigint; key: { id: string; token: string }; taskId: number }>;
  /** A Moscow date `days` from today (inside the sandbox's 14-day window). */
  day(days: number): string;
  openSlot(o: { warehouseId?: number; date: string; boxTypeId?: BoxTypeId; coefficient?: number }): Promise<void>;
  requests(method?: string): Promise<{ at: string; method: string; sellerId: string | null; status: number }[]>;
  bookings(): Promise<{ sellerId: string; warehouseId: number; date: string; preorderId: number; supplyId: number }[]>;
  notifications(userId: bigint, kind?: NotificationKind): Promise<NotificationJob[]>;
  /**
   * Waits until the task's booking is CONFIRMED and its whole tail has run (the
   * success message is queued last: task BOOKED, scheduler removed, counters).
   */
  waitForBooked(taskId: number, userId: bigint, timeoutMs?: number): Promise<BookingResult>;
  /** A worker context over the harness's storage (what the app builds for its handlers), for calling handlers directly. */
  context(): WorkerContext;
  close(): Promise<void>;
}

/** Sleeps. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until `probe` returns a truthy value.
 * @returns that value
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

let nextUser = 10_000n;

/**
 * Starts a sandbox and builds (does not start) the worker app over fresh storage.
 * @returns the harness
 */
export async function startHarness(options: WorkerAppOptions = {}): Promise<Harness> {
  const db = await testDatabase();
  const redis = testRedis();
  const sandbox = await startSandbox({ port: 0 });
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    ENCRYPTION_KEY: randomBytes(32).toString("base64"),
    WB_COMMON_API_URL: sandbox.url,
    WB_SUPPLIES_API_URL: sandbox.url,
    WB_SELLER_SUPPLY_URL: sandbox.url,
    WB_SELLER_URL: sandbox.url,
    QUEUE_PREFIX: redis.prefix,
    LOG_LEVEL: "silent",
  };
  const config = parseConfig(workerSchema, env);
  const logger = silentLogger();
  const repos = createRepositories({ databaseUrl: config.DATABASE_URL, masterKey: parseMasterKey(config.ENCRYPTION_KEY) });
  const bullmq = createRedisConnection(config.REDIS_URL, "worker");
  const cache = createRedisConnection(config.REDIS_URL, "worker");
  const queues = createQueues(bullmq, config.QUEUE_PREFIX);
  const metrics = createWorkerMetrics();
  const wb = createWbClients({
    logger,
    redis: cache,
    keyPrefix: config.QUEUE_PREFIX,
    urls: { common: sandbox.url, supplies: sandbox.url, sellerSupply: sandbox.url, seller: sandbox.url },
    metrics: { onRequest: (event) => metrics.onWbRequest(event) },
  });
  const app = createWorkerApp({ config, logger, repos, redis: { bullmq, cache }, wb, queues, metrics, options });

  const admin = async <T>(path: string, body: unknown): Promise<T> => {
    const res = await fetch(`${sandbox.url}/__sandbox/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`sandbox ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const notifications = async (userId: bigint, kind?: NotificationKind): Promise<NotificationJob[]> => {
    const jobs = await queues.notifications.getJobs(["waiting", "delayed", "active", "completed", "failed", "prioritized"]);
    return jobs.filter((j) => j && j.data.userId === userId.toString() && (!kind || j.data.kind === kind)).map((j) => j.data);
  };
  const day = (days: number): string => addDays(moscowToday(new Date()), days);

  const harness: Harness = {
    config,
    env,
    repos,
    queues,
    cache,
    sandbox,
    wb,
    metrics,
    app,
    admin,
    day,
    async newSeller() {
      return (await admin<{ sellerId: string }>("sellers", { name: "Seller" })).sellerId;
    },
    async newUser(trial = 2) {
      nextUser += 1n;
      await repos.users.register({ id: nextUser, username: `u${nextUser}` }, trial);
      return nextUser;
    },
    async officialKey(userId, sellerId, name = "Ключ") {
      const { token } = await admin<{ token: string }>("tokens", { sellerId, type: "personal" });
      const view = await repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name, secret: token, tokenType: "personal", sellerId });
      return { id: view.id, token };
    },
    async portalSession(userId, sellerId, name = "Кабинет") {
      const session = await admin<{ authorizev3: string; supplierId: string }>("sessions", { sellerId });
      const view = await repos.apiKeys.create({ userId, kind: "PORTAL_SESSION", name, secret: JSON.stringify(session), supplierId: session.supplierId });
      return { id: view.id };
    },
    async task(userId, credentialId, o = {}) {
      const [from, to] = o.days ?? [1, 10];
      const task = await repos.tasks.create({
        userId,
        credentialId,
        warehouseId: o.warehouseId ?? 507,
        warehouseName: "Коледино",
        dateFrom: day(from),
        dateTo: day(to),
        boxTypeId: o.boxTypeId ?? 2,
        maxCoefficient: o.maxCoefficient ?? 1,
        goods: o.goods === false ? null : [{ barcode: "2000000000011", quantity: 10 }],
      });
      await upsertMonitor(queues, task.id);
      return task.id;
    },
    async openSlot(o) {
      await admin("slots", { warehouseId: o.warehouseId ?? 507, date: o.date, boxTypeId: o.boxTypeId ?? 2, coefficient: o.coefficient ?? 0, allowUnload: true });
    },
    async requests(method) {
      const all = (await (await fetch(`${sandbox.url}/__sandbox/requests`)).json()) as { at: string; method: string; sellerId: string | null; status: number }[];
      return method ? all.filter((r) => r.method === method) : all;
    },
    async bookings() {
      return (await (await fetch(`${sandbox.url}/__sandbox/bookings`)).json()) as { sellerId: string; warehouseId: number; date: string; preorderId: number; supplyId: number }[];
    },
    notifications,
    async sellerWithTask(trial = 2) {
      const sellerId = await harness.newSeller();
      const userId = await harness.newUser(trial);
      const key = await harness.officialKey(userId, sellerId);
      await harness.portalSession(userId, sellerId);
      const taskId = await harness.task(userId, key.id);
      return { sellerId, userId, key, taskId };
    },
    context: () => ({
      config,
      logger: silentLogger(),
      repos,
      redis: cache,
      wb,
      queues,
      metrics,
      keys: workerKeys(config.QUEUE_PREFIX),
      now: Date.now,
    }),
    async waitForBooked(taskId, userId, timeoutMs = 10_000) {
      return await waitFor(
        `task ${taskId} booked`,
        async () => {
          const row = await repos.bookings.byTask(taskId);
          if (row?.status !== "CONFIRMED") return null;
          const messages = await notifications(userId, "booking_success");
          return messages.some((m) => m.text.includes(row.wbBookingId ?? "\u0000")) ? row : null;
        },
        timeoutMs,
      );
    },
    async close() {
      await app.close();
      await queues.close();
      await wb.close();
      await repos.close();
      bullmq.disconnect();
      cache.disconnect();
      await sandbox.close();
      await db.drop();
    },
  };
  return harness;
}
