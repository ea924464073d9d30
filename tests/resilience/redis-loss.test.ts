/**
 * Redis loss: the product keeps users' data in Postgres and rebuilds everything
 * Redis held. Under load (active tasks, two workers, the bot), the private
 * redis-server is (1) FLUSHALLed, then (2) SIGKILLed and restarted empty on the
 * same port. After each: every active task's monitor scheduler comes back and
 * fires again (lastCheckedAt advances), a slot opened afterwards is booked
 * exactly once, Postgres rows are intact, no booking is duplicated, every
 * process is alive and the bot is ready again.
 *
 * At the large size the WB sandbox runs as its own child process: every seller
 * costs a portal report (~7,000 rows) every 1.1 s, which starved the test
 * driver's event loop (and its Postgres pool) when the sandbox shared it.
 *
 * CI: 12 tasks, self-heal tick 3 s (WORKER_SELF_HEAL_MS). Large
 * (RESILIENCE_SCALE=large): 150 tasks, the production tick (15 s). The two
 * probe tasks have a seller each; the others share sellers, 5 (CI) or 10
 * (large) to a seller: what is under test is the number of schedulers to
 * rebuild, not how many portal reports a 2-core box can serve and parse per
 * second (at one seller per task the in-process sandbox starved the test
 * driver's event loop on a slower CI machine until its Postgres connect timed out).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LARGE, scaled, sleep, startPrivateRedis, startResilienceStack, until, type PrivateRedis, type ResilienceStack } from "./support";

let redis: PrivateRedis;
let stack: ResilienceStack;
const tasks: { taskId: number; userId: bigint; sellerId: string; warehouseId: number }[] = [];
const TASKS = scaled(12, 150);
/** The two probe tasks (0 and 1) always have a seller of their own. */
const PROBES = 2;
const TASKS_PER_SELLER = scaled(5, 10);
/** The rebuild must happen within one self-heal tick plus slack (≤ 70 s in production). */
const REBUILD_DEADLINE_MS = LARGE ? 75_000 : 30_000;
const numbers: Record<string, unknown> = { tasks: TASKS };
/** Probe tasks booked so far (each test asserts on its own probe; the totals follow from these). */
const bookedProbes = new Set<number>();

beforeAll(async () => {
  redis = await startPrivateRedis();
  // Seed before the workers start (they reconcile at start).
  stack = await startResilienceStack({
    workers: 0,
    redisUrl: redis.url,
    workerEnv: LARGE ? {} : { WORKER_SELF_HEAL_MS: "3000" },
    env: { LOG_LEVEL: "warn" },
    // Large: the sandbox in its own process (150 tasks' reports starved the test driver). CI: in this process,
    // as it always passed; the child sandbox at CI size timed out report reads right after the FLUSHALL when run
    // beside load-held in the folder run.
    sandboxProcess: LARGE,
  });
  const warehouses = stack.warehouseIds().slice(0, TASKS);
  let seller: { userId: bigint; sellerId: string; credentialId: string } | undefined;
  for (let i = 0; i < TASKS; i += 1) {
    if (!seller || i < PROBES || (i - PROBES) % TASKS_PER_SELLER === 0) {
      const userId = await stack.newUser(2);
      const sellerId = await stack.newSeller(`Продавец ${i}`);
      seller = { userId, sellerId, credentialId: (await stack.portalSession(userId, sellerId)).id };
    }
    const warehouseId = warehouses[i] ?? 507;
    tasks.push({ taskId: await stack.task(seller.userId, seller.credentialId, { warehouseId, days: [2, 6] }), userId: seller.userId, sellerId: seller.sellerId, warehouseId });
  }
  numbers.sellers = new Set(tasks.map((t) => t.sellerId)).size;
  await stack.startWorker();
  await stack.startWorker();
}, scaled(180_000, 900_000));

afterAll(async () => {
  console.info(`redis-loss: ${JSON.stringify(numbers)}`);
  await stack?.stop();
  await redis?.kill();
});

afterEach(({ task }) => {
  if (task.result?.state === "fail") console.error(stack.logs().slice(-6000));
});

/** Every row the product keeps about users, as a comparable snapshot. */
async function postgresSnapshot(): Promise<string> {
  const p = stack.repos.prisma;
  const [users, keys, monitoring] = await Promise.all([
    p.user.findMany({ orderBy: { id: "asc" }, select: { id: true, isActive: true } }),
    p.apiKey.findMany({ orderBy: { id: "asc" }, select: { id: true, encryptedKey: true, isValid: true } }),
    p.monitoringTask.findMany({ orderBy: { id: "asc" }, select: { id: true, userId: true, warehouseId: true, dateFrom: true, dateTo: true } }),
  ]);
  return JSON.stringify({ users, keys, monitoring }, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

async function monitorSchedulerCount(): Promise<number> {
  return (await stack.queues.monitor.getJobSchedulers(0, -1, true)).length;
}

/** Waits until every ACTIVE task's scheduler exists and has fired after `since`. @returns ms from `since` to schedulers back / all checked */
async function waitForMonitorsBack(since: Date): Promise<{ schedulersMs: number; checkedMs: number }> {
  const active = await stack.repos.prisma.monitoringTask.count({ where: { status: "ACTIVE" } });
  await until(`${active} monitor schedulers rebuilt`, async () => (await monitorSchedulerCount()) >= active, REBUILD_DEADLINE_MS, 250);
  const schedulersMs = Date.now() - since.getTime();
  await until(
    "every active task checked again after the loss",
    async () => (await stack.repos.prisma.monitoringTask.count({ where: { status: "ACTIVE", OR: [{ lastCheckedAt: null }, { lastCheckedAt: { lt: since } }] } })) === 0,
    REBUILD_DEADLINE_MS,
    500,
  );
  return { schedulersMs, checkedMs: Date.now() - since.getTime() };
}

/**
 * Opens the probe task's own cell and expects exactly one WB booking and one CONFIRMED row.
 * @returns ms from opening the cell to the CONFIRMED row and to the «🎉» message
 */
async function probeBooking(index: number): Promise<{ openToConfirmedMs: number; openToMessageMs: number }> {
  const probe = tasks[index];
  if (!probe) throw new Error("no probe task");
  await stack.setSlot({ warehouseId: probe.warehouseId, date: stack.day(3), coefficient: 0 });
  const opened = Date.now();
  await until("the probe slot booked", async () => (await stack.repos.bookings.byTask(probe.taskId))?.status === "CONFIRMED", 40_000, 200);
  const openToConfirmedMs = Date.now() - opened;
  bookedProbes.add(probe.taskId);
  expect((await stack.wbBookings()).get(probe.sellerId)).toBe(1);
  expect(await stack.repos.users.catches(probe.userId)).toEqual({ trial: 1, paid: 0 });
  await until("one success message", () => stack.telegram.sentTo(probe.userId).filter((c) => String(c.payload.text).startsWith("🎉")).length === 1, 20_000);
  return { openToConfirmedMs, openToMessageMs: Date.now() - opened };
}

async function expectNoDuplicates(): Promise<void> {
  for (const [sellerId, count] of await stack.wbBookings()) expect(count, `WB bookings of seller ${sellerId}`).toBe(1);
}

describe("Redis loss", () => {
  it("monitors run before the loss", async () => {
    numbers.firstChecks = await waitForMonitorsBack(new Date());
  }, scaled(60_000, 120_000));

  it("FLUSHALL: schedulers rebuilt from Postgres, a later slot booked once, no data lost", async () => {
    const before = await postgresSnapshot();
    // A sentinel proves the FLUSHALL happened: the schedulers themselves may already be back when we look
    // (a worker's self-heal tick can land right after it).
    const sentinel = `${stack.prefix}:resilience-sentinel`;
    await stack.redis.set(sentinel, "1");
    await stack.redis.flushall();
    const lostAt = new Date();
    expect(await stack.redis.exists(sentinel)).toBe(0);
    numbers.flushall = await waitForMonitorsBack(lostAt);
    const probe0 = await probeBooking(0);
    numbers.flushall = { ...(numbers.flushall as object), ...probe0, lossToProbeMessageMs: Date.now() - lostAt.getTime() };
    await expectNoDuplicates();
    // Only the probe's task changed state (BOOKED); every row is still there.
    expect(await postgresSnapshot()).toBe(before);
    expect(stack.liveWorkers()).toHaveLength(2);
  }, scaled(120_000, 300_000));

  it("redis-server killed and restarted empty on the same port: processes reconnect, schedulers rebuilt, no data lost", async () => {
    const before = await postgresSnapshot();
    await redis.kill();
    await sleep(3000);
    await redis.start();
    const restartedAt = new Date();
    await until("the bot ready again", async () => (await fetch(`${stack.botUrl}/readyz`)).status === 200, 30_000, 250);
    numbers.restart = await waitForMonitorsBack(restartedAt);
    const probe1 = await probeBooking(1);
    numbers.restart = { ...(numbers.restart as object), ...probe1, lossToProbeMessageMs: Date.now() - restartedAt.getTime() };
    await expectNoDuplicates();
    expect(await postgresSnapshot()).toBe(before);
    expect(stack.liveWorkers()).toHaveLength(2);
    expect(stack.bot.child.exitCode).toBeNull();
    // The probes stay booked once; the rest keep watching.
    const statuses = await stack.repos.prisma.monitoringTask.groupBy({ by: ["status"], _count: true });
    numbers.statuses = Object.fromEntries(statuses.map((s) => [s.status, s._count]));
    expect(numbers.statuses).toEqual({ BOOKED: bookedProbes.size, ACTIVE: TASKS - bookedProbes.size });
    const booked = await stack.repos.prisma.monitoringTask.findMany({ where: { status: "BOOKED" }, select: { id: true } });
    expect(booked.map((t) => t.id).sort((a, b) => a - b)).toEqual([...bookedProbes].sort((a, b) => a - b));
  }, scaled(150_000, 300_000));
});
