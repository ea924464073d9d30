/**
 * Support for the resilience suites: the real bot and N real worker processes
 * over a fresh Postgres database and Redis (the shared one with a unique prefix,
 * or a private redis-server this file may FLUSHALL, kill and restart), the WB
 * sandbox (in this process, so its state, limits and server are reachable; or,
 * with `sandboxProcess`, as its own child process from its production entry
 * point, so its CPU is not the test driver's) and the recording fake Bot API. Seeds users, credentials and tasks straight through
 * the repositories (the journey suite already proves the conversations).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseMasterKey } from "@wbslots/crypto";
import { createRepositories, type Repositories } from "@wbslots/db";
import { addDays, moscowToday, type BoxTypeId } from "@wbslots/domain";
import { createQueues, createRedisConnection, upsertMonitor, type Queues } from "@wbslots/queues";
import {
  coreEnv,
  createUpdateBuilders,
  freePort,
  redisServerBinary,
  repoRoot,
  randomBotToken,
  startFakeTelegram,
  startProduct,
  startTsProcess,
  waitForHttpStatus,
  waitForRedis,
  type FakeTelegram,
  type ManagedProcess,
  type UpdateBuilders,
} from "@wbslots/testkit";
import { testDatabase, testRedis } from "@wbslots/testkit/vitest";
import { startSandbox, type Booking, type RunningSandbox, type StartSandboxOptions } from "@wbslots/wb-sandbox";

/** True when the larger runs were asked for (`RESILIENCE_SCALE=large`). */
export const LARGE = process.env.RESILIENCE_SCALE === "large";

/**
 * Picks the CI-small or the large value.
 * @returns `large` under RESILIENCE_SCALE=large, else `small`
 */
export function scaled<T>(small: T, large: T): T {
  return LARGE ? large : small;
}

/** Sleeps. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A redis-server this suite owns (same port across restarts). */
export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  pid(): number | undefined;
  /** SIGKILLs exactly our redis-server PID and waits for its exit. */
  kill(): Promise<void>;
  /** Starts a new redis-server on the same port (empty: no persistence). */
  start(): Promise<void>;
}

/**
 * Starts a private redis-server on a free loopback port, without persistence.
 * @returns a handle that can kill and restart it on the same port
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    child = spawn(redisServerBinary(), ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"], { stdio: "ignore" });
    await waitForRedis(url, 15_000);
  };
  await start();
  return {
    url,
    port,
    pid: () => child?.pid,
    start,
    kill: async () => {
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        current.once("exit", () => resolve());
        current.kill("SIGKILL");
      });
    },
  };
}

/** Options of {@link startResilienceStack}. */
export interface ResilienceStackOptions {
  readonly workers?: number;
  /** Use this Redis (e.g. a {@link PrivateRedis}) instead of the shared one. */
  readonly redisUrl?: string;
  readonly sandbox?: Omit<StartSandboxOptions, "port">;
  /** Extra environment for every process. */
  readonly env?: Record<string, string>;
  /** Extra environment for worker processes only. */
  readonly workerEnv?: Record<string, string>;
  /** Default user trial catches for {@link ResilienceStack.newUser}. */
  readonly trial?: number;
  /**
   * Run the WB sandbox as a child process (`apps/wb-sandbox/src/main.ts`, the
   * production entry) instead of in this process. Then `sandbox` throws: use
   * the HTTP helpers (`warehouseIds`, `setSlot`, `wbBookings`). Not combinable
   * with `sandbox` options (live limits need the in-process object).
   */
  readonly sandboxProcess?: boolean;
}

/** A slot cell to open or close. */
export interface SlotCell {
  warehouseId?: number;
  date: string;
  boxTypeId?: BoxTypeId;
  coefficient?: number;
}

/** A running stack plus seeding helpers. */
export interface ResilienceStack {
  readonly botUrl: string;
  /** The in-process sandbox; throws when it runs as a child process (`sandboxProcess`). */
  readonly sandbox: RunningSandbox;
  readonly sandboxUrl: string;
  /** The sandbox child process (`sandboxProcess`), else undefined. */
  readonly sandboxChild: ManagedProcess | undefined;
  readonly telegram: FakeTelegram;
  readonly updates: UpdateBuilders;
  readonly env: Record<string, string>;
  readonly webhookSecret: string;
  readonly bot: ManagedProcess;
  readonly workers: ManagedProcess[];
  readonly repos: Repositories;
  readonly queues: Queues;
  /** Our own Redis connection (for inspection). */
  readonly redis: ReturnType<typeof createRedisConnection>;
  readonly prefix: string;
  readonly databaseUrl: string;
  readonly logDir: string;
  /** POSTs an update to the webhook with the right secret. @returns the HTTP status */
  send(update: Record<string, unknown>): Promise<number>;
  startWorker(): Promise<ManagedProcess>;
  /** Workers still running. */
  liveWorkers(): ManagedProcess[];
  /** Every log line every process wrote so far (live and dead processes). */
  logs(): string;
  newSeller(name?: string): Promise<string>;
  newUser(trial?: number): Promise<bigint>;
  officialKey(userId: bigint, sellerId: string, name?: string): Promise<{ id: string; token: string }>;
  portalSession(userId: bigint, sellerId: string, name?: string): Promise<{ id: string; authorizev3: string; supplierId: string }>;
  /** Creates an ACTIVE task and its monitor scheduler. @returns the task id */
  task(userId: bigint, credentialId: string, o?: { warehouseId?: number; warehouseName?: string; boxTypeId?: BoxTypeId; days?: [number, number]; maxCoefficient?: number }): Promise<number>;
  /** A Moscow date `days` from today. */
  day(days: number): string;
  /** Opens a cell on the in-process sandbox (synchronous). */
  openSlot(o: SlotCell): void;
  closeSlot(o: Omit<SlotCell, "coefficient">): void;
  /** Opens a cell, in-process or in the child sandbox (admin API). */
  setSlot(o: SlotCell): Promise<void>;
  /** The warehouse ids the sandbox serves, in catalog order. */
  warehouseIds(): number[];
  /** Bookings WB (the sandbox) made, in-process or in the child. @returns sellerId → count */
  wbBookings(): Promise<Map<string, number>>;
  /** Every booking WB (the sandbox) made, in-process or in the child. */
  wbBookingList(): Promise<Booking[]>;
  stop(): Promise<void>;
}

let userSeq = 0;

/**
 * Starts the stack and waits until the bot's /readyz answers 200.
 * @returns the stack; call stop() in afterAll
 */
export async function startResilienceStack(options: ResilienceStackOptions = {}): Promise<ResilienceStack> {
  const db = await testDatabase();
  const shared = testRedis();
  const redisUrl = options.redisUrl ?? shared.url;
  const prefix = shared.prefix;
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "wbslots-resilience-"));
  if (options.sandboxProcess && options.sandbox) throw new Error("sandbox options need the in-process sandbox");
  const { inProcess, child: sandboxChild, url: sandboxUrl } = options.sandboxProcess ? await startSandboxChild(logDir) : await startSandbox({ port: 0, ...options.sandbox }).then((s) => ({ inProcess: s, child: undefined, url: s.url }));
  const inProcessSandbox = (): RunningSandbox => {
    if (!inProcess) throw new Error("the WB sandbox runs as a child process here: use sandboxUrl / setSlot / wbBookings");
    return inProcess;
  };
  const token = randomBotToken();
  const telegram = await startFakeTelegram({ token });
  const env: Record<string, string> = { ...coreEnv({ databaseUrl: db.url, redisUrl, prefix, sandboxUrl }), ...options.env };
  const product = await startProduct({
    env,
    telegram: { token, fake: telegram },
    logDir,
    workers: options.workers ?? 2,
    ...(options.workerEnv ? { workerEnv: options.workerEnv } : {}),
  }).catch(async (error: unknown) => {
    await telegram.close();
    if (inProcess) await inProcess.close();
    await sandboxChild?.stop("SIGTERM", 10_000);
    throw error;
  });
  const { bot, workers, botUrl, webhookSecret, botEnv } = product;
  // The observer waits patiently for a connection: the box is saturated by the processes under test on purpose.
  const repos = createRepositories({ databaseUrl: db.url, masterKey: parseMasterKey(env.ENCRYPTION_KEY ?? ""), connectionTimeoutMs: 60_000 });
  const redis = createRedisConnection(redisUrl, "worker");
  const queues = createQueues(redis, prefix);
  const day = (days: number): string => addDays(moscowToday(new Date()), days);
  const admin = async <T>(route: string, body: unknown): Promise<T> => {
    const res = await fetch(`${sandboxUrl}/__sandbox/${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`sandbox ${route}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const bookingList = async (): Promise<Booking[]> => {
    if (inProcess) return [...inProcess.state.bookings];
    const res = await fetch(`${sandboxUrl}/__sandbox/bookings`);
    if (!res.ok) throw new Error(`sandbox bookings: ${res.status}`);
    return (await res.json()) as Booking[];
  };
  const all = (): ManagedProcess[] => [bot, ...workers, ...(sandboxChild ? [sandboxChild] : [])];
  const catalogIds = inProcess ? [...inProcess.state.warehouses.keys()] : readCatalogIds();

  return {
    botUrl,
    get sandbox() {
      return inProcessSandbox();
    },
    sandboxUrl,
    sandboxChild,
    telegram,
    updates: createUpdateBuilders(),
    env: botEnv,
    webhookSecret,
    bot,
    workers,
    repos,
    queues,
    redis,
    prefix,
    databaseUrl: db.url,
    logDir,
    send: product.send,
    startWorker: product.startWorker,
    liveWorkers: () => workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null),
    logs: () => all().map((p) => p.output()).join("\n"),
    newSeller: async (name = "ООО Тест") => (await admin<{ sellerId: string }>("sellers", { name })).sellerId,
    newUser: async (trial = options.trial ?? 2) => {
      userSeq += 1;
      const id = BigInt(8_000_000_000 + process.pid * 1000 + userSeq);
      await repos.users.register({ id, username: `u${id}` }, trial);
      return id;
    },
    officialKey: async (userId, sellerId, name = "Ключ") => {
      const { token: wbToken } = await admin<{ token: string }>("tokens", { sellerId, type: "personal" });
      const view = await repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name, secret: wbToken, tokenType: "personal", sellerId });
      return { id: view.id, token: wbToken };
    },
    portalSession: async (userId, sellerId, name = "Кабинет") => {
      const session = await admin<{ authorizev3: string; supplierId: string }>("sessions", { sellerId });
      const view = await repos.apiKeys.create({ userId, kind: "PORTAL_SESSION", name, secret: JSON.stringify(session), supplierId: session.supplierId });
      return { id: view.id, ...session };
    },
    task: async (userId, credentialId, o = {}) => {
      const [from, to] = o.days ?? [1, 10];
      const created = await repos.tasks.create({
        userId,
        credentialId,
        warehouseId: o.warehouseId ?? 507,
        warehouseName: o.warehouseName ?? "Коледино",
        dateFrom: day(from),
        dateTo: day(to),
        boxTypeId: o.boxTypeId ?? 2,
        maxCoefficient: o.maxCoefficient ?? 1,
        goods: [{ barcode: "2000000000011", quantity: 10 }],
      });
      await upsertMonitor(queues, created.id);
      return created.id;
    },
    day,
    openSlot: (o) => {
      inProcessSandbox().state.setCell(o.warehouseId ?? 507, o.date, o.boxTypeId ?? 2, o.coefficient ?? 0, true);
    },
    closeSlot: (o) => {
      inProcessSandbox().state.setCell(o.warehouseId ?? 507, o.date, o.boxTypeId ?? 2, -1, false);
    },
    setSlot: async (o) => {
      if (inProcess) {
        inProcess.state.setCell(o.warehouseId ?? 507, o.date, o.boxTypeId ?? 2, o.coefficient ?? 0, true);
        return;
      }
      await admin("slots", { warehouseId: o.warehouseId ?? 507, date: o.date, boxTypeId: o.boxTypeId ?? 2, coefficient: o.coefficient ?? 0, allowUnload: true });
    },
    warehouseIds: () => [...catalogIds],
    wbBookings: async () => countBySeller(await bookingList()),
    wbBookingList: bookingList,
    stop: async () => {
      await product.stop();
      await queues.close().catch(() => undefined);
      redis.disconnect();
      await repos.close();
      await telegram.close();
      if (inProcess) await inProcess.close();
      await sandboxChild?.stop("SIGTERM", 10_000);
      await db.drop();
    },
  };
}

/**
 * Resident memory of a process from /proc/<pid>/status (VmRSS).
 * @returns megabytes, or null when the process is gone
 */
export function rssMb(pid: number): number | null {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return match ? Math.round(Number(match[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/**
 * Polls until `probe` returns a truthy value; bounded.
 * @returns that value
 * @throws Error naming `what` after `timeoutMs`
 */
export async function until<T>(what: string, probe: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await sleep(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
}

/**
 * Bookings the sandbox made, grouped by seller.
 * @returns sellerId → count
 */
export function wbBookingsBySeller(sandbox: RunningSandbox): Map<string, number> {
  return countBySeller(sandbox.state.bookings);
}

function countBySeller(bookings: readonly Pick<Booking, "sellerId">[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const b of bookings) counts.set(b.sellerId, (counts.get(b.sellerId) ?? 0) + 1);
  return counts;
}

/** The warehouse ids of the catalog the sandbox serves (its data file), in order. */
function readCatalogIds(): number[] {
  const file = path.join(repoRoot, "apps/wb-sandbox/src/data/warehouses.json");
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { id: number }[]).map((w) => w.id);
}

/**
 * Starts the WB sandbox from its production entry point as a child process on
 * a free loopback port (no random slot script, `warn` logs) and waits for its
 * health route.
 * @returns its URL and the managed child
 */
async function startSandboxChild(logDir: string): Promise<{ inProcess: undefined; child: ManagedProcess; url: string }> {
  const port = await freePort();
  const child = startTsProcess("wb-sandbox", "apps/wb-sandbox/src/main.ts", { WB_SANDBOX_PORT: String(port), WB_SANDBOX_HOST: "127.0.0.1", LOG_LEVEL: "warn" }, path.join(logDir, "wb-sandbox.log"));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForHttpStatus(`${url}/__sandbox/health`, 60_000);
  } catch (error) {
    await child.stop("SIGKILL");
    throw new Error(`${String(error)}\n--- wb-sandbox output ---\n${child.output().slice(-4000)}`);
  }
  return { inProcess: undefined, child, url };
}
