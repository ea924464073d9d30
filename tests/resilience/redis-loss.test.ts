/**
 * Redis loss: the product keeps users' data in Postgres and rebuilds everything
 * Redis held. Under load (active tasks, two workers, the bot), the private
 * redis-server is (1) FLUSHALLed, then (2) SIGKILLed and restarted empty on the
 * same port. After each: every active task's monitor scheduler comes back and
 * fires again (lastCheckedAt advances), a slot opened afterwards is booked
 * exactly once, Postgres rows are intact, no booking is duplicated, every
 * process is alive and the bot is ready again.
 *
 * CI: 12 tasks, self-heal tick 3 s (WORKER_SELF_HEAL_MS). Large
 * (RESILIENCE_SCALE=large): 150 tasks, the production tick (60 s).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { LARGE, scaled, sleep, startPrivateRedis, startResilienceStack, until, wbBookingsBySeller, type PrivateRedis, type ResilienceStack } from "./support";

let redis: PrivateRedis;
let stack: ResilienceStack;
const tasks: { taskId: number; userId: bigint; sellerId: string; warehouseId: number }[] = [];
const TASKS = scaled(12, 150);
/** The rebuild must happen within one self-heal tick plus slack (≤ 70 s in production). */
const REBUILD_DEADLINE_MS = LARGE ? 75_000 : 30_000;

beforeAll(async () => {
  redis = await startPrivateRedis();
  // Seed before the workers start (they reconcile at start).
  stack = await startResilienceStack({
    workers: 0,
    redisUrl: redis.url,
    workerEnv: LARGE ? {} : { WORKER_SELF_HEAL_MS: "3000" },
    env: { LOG_LEVEL: "warn" },
  });
  const warehouses = [...stack.sandbox.state.warehouses.keys()].slice(0, TASKS);
  for (let i = 0; i < TASKS; i += 1) {
    const userId = await stack.newUser(2);
    const sellerId = await stack.newSeller(`Продавец ${i}`);
    const session = await stack.portalSession(userId, sellerId);
    const warehouseId = warehouses[i] ?? 507;
    tasks.push({ taskId: await stack.task(userId, session.id, { warehouseId, days: [2, 6] }), userId, sellerId, warehouseId });
  }
  await stack.startWorker();
  await stack.startWorker();
}, scaled(180_000, 900_000));

afterAll(async () => {
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

/** Waits until every ACTIVE task's scheduler exists and has fired after `since`. */
async function waitForMonitorsBack(since: Date): Promise<void> {
  const active = await stack.repos.prisma.monitoringTask.count({ where: { status: "ACTIVE" } });
  await until(`${active} monitor schedulers rebuilt`, async () => (await monitorSchedulerCount()) >= active, REBUILD_DEADLINE_MS, 250);
  await until(
    "every active task checked again after the loss",
    async () => (await stack.repos.prisma.monitoringTask.count({ where: { status: "ACTIVE", OR: [{ lastCheckedAt: null }, { lastCheckedAt: { lt: since } }] } })) === 0,
    REBUILD_DEADLINE_MS,
    500,
  );
}

/** Opens the probe task's own cell and expects exactly one WB booking and one CONFIRMED row. */
async function probeBooking(index: number): Promise<void> {
  const probe = tasks[index];
  if (!probe) throw new Error("no probe task");
  stack.openSlot({ warehouseId: probe.warehouseId, date: stack.day(3), coefficient: 0 });
  await until("the probe slot booked", async () => (await stack.repos.bookings.byTask(probe.taskId))?.status === "CONFIRMED", 40_000, 200);
  expect(wbBookingsBySeller(stack.sandbox).get(probe.sellerId)).toBe(1);
  expect(await stack.repos.users.catches(probe.userId)).toEqual({ trial: 1, paid: 0 });
  await until("one success message", () => stack.telegram.sentTo(probe.userId).filter((c) => String(c.payload.text).startsWith("🎉")).length === 1, 20_000);
}

function expectNoDuplicates(): void {
  for (const [sellerId, count] of wbBookingsBySeller(stack.sandbox)) expect(count, `WB bookings of seller ${sellerId}`).toBe(1);
}

describe("Redis loss", () => {
  it("monitors run before the loss", async () => {
    await waitForMonitorsBack(new Date());
  }, 60_000);

  it("FLUSHALL: schedulers rebuilt from Postgres, a later slot booked once, no data lost", async () => {
    const before = await postgresSnapshot();
    await stack.redis.flushall();
    const lostAt = new Date();
    expect(await monitorSchedulerCount()).toBe(0);
    await waitForMonitorsBack(lostAt);
    await probeBooking(0);
    expectNoDuplicates();
    // Only the probe's task changed state (BOOKED); every row is still there.
    expect(await postgresSnapshot()).toBe(before);
    expect(stack.liveWorkers()).toHaveLength(2);
  }, 120_000);

  it("redis-server killed and restarted empty on the same port: processes reconnect, schedulers rebuilt, no data lost", async () => {
    const before = await postgresSnapshot();
    await redis.kill();
    await sleep(3000);
    await redis.start();
    const restartedAt = new Date();
    await until("the bot ready again", async () => (await fetch(`${stack.botUrl}/readyz`)).status === 200, 30_000, 250);
    await waitForMonitorsBack(restartedAt);
    await probeBooking(1);
    expectNoDuplicates();
    expect(await postgresSnapshot()).toBe(before);
    expect(stack.liveWorkers()).toHaveLength(2);
    expect(stack.bot.child.exitCode).toBeNull();
    // The first probe stays booked once; the rest keep watching.
    const statuses = await stack.repos.prisma.monitoringTask.groupBy({ by: ["status"], _count: true });
    expect(Object.fromEntries(statuses.map((s) => [s.status, s._count]))).toEqual({ BOOKED: 2, ACTIVE: TASKS - 2 });
  }, 150_000);
});
