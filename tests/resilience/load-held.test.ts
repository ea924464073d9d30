/**
 * Load held: many active tasks for a while, a steady stream of webhook updates,
 * slots opening over time, and one worker SIGKILLed and replaced midway.
 * Holds: no stuck task (every active task checked recently at the end, one
 * monitor scheduler per active task), no lost or doubled notification (every
 * booking → exactly one «🎉» message), every webhook update answered 200, and
 * worker memory flat (VmRSS sampled at start / middle / end; the assertion is a
 * generous `end < 2 × middle`; the numbers go to docs/resilience.md).
 *
 * CI: 100 tasks, 60 s, 8 bookings. Large (RESILIENCE_SCALE=large): 1,000 tasks,
 * 5 minutes, 40 bookings.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ManagedProcess } from "@wbslots/testkit";
import { rssMb, scaled, sleep, startResilienceStack, until, wbBookingsBySeller, type ResilienceStack } from "./support";

const TASKS = scaled(100, 1000);
const DURATION_MS = scaled(60_000, 300_000);
const BOOKINGS = scaled(8, 40);
/** Sellers share tasks: every seller costs a portal report every 2 s from the in-process sandbox. */
const TASKS_PER_SELLER = scaled(10, 50);
const WEBHOOK_EVERY_MS = 300;

let stack: ResilienceStack;
const bookingTasks: { taskId: number; userId: bigint; sellerId: string; warehouseId: number }[] = [];
const report: Record<string, unknown> = { tasks: TASKS, durationMs: DURATION_MS, bookings: BOOKINGS };

beforeAll(async () => {
  // Seed before the workers start (they reconcile at start): seeding 1,000 tasks under full load is slow.
  stack = await startResilienceStack({ workers: 0, env: { LOG_LEVEL: "warn" } });
  const warehouses = [...stack.sandbox.state.warehouses.keys()];
  const shared = warehouses.slice(BOOKINGS);
  for (let i = 0; i < BOOKINGS; i += 1) {
    const userId = await stack.newUser(3);
    const sellerId = await stack.newSeller();
    const session = await stack.portalSession(userId, sellerId);
    const warehouseId = warehouses[i] ?? 507;
    bookingTasks.push({ taskId: await stack.task(userId, session.id, { warehouseId, days: [2, 8] }), userId, sellerId, warehouseId });
  }
  // The watching-only tasks: TASKS_PER_SELLER per seller, sellers created in parallel batches.
  const others = TASKS - BOOKINGS;
  const sellers = Math.ceil(others / TASKS_PER_SELLER);
  for (let first = 0; first < sellers; first += 4) {
    await Promise.all(
      Array.from({ length: Math.min(4, sellers - first) }, async (_, j) => {
        const s = first + j;
        const userId = await stack.newUser(3);
        const session = await stack.portalSession(userId, await stack.newSeller());
        for (let k = 0; k < TASKS_PER_SELLER && s * TASKS_PER_SELLER + k < others; k += 1) {
          const i = s * TASKS_PER_SELLER + k;
          await stack.task(userId, session.id, { warehouseId: shared[i % shared.length] ?? 507, days: [2, 8] });
        }
      }),
    );
  }
  await stack.startWorker();
  await stack.startWorker();
}, scaled(300_000, 1_200_000));

afterAll(async () => {
  console.info(`load-held: ${JSON.stringify(report)}`);
  await stack?.stop();
});

afterEach(({ task }) => {
  if (task.result?.state === "fail") console.error(stack.logs().slice(-8000));
});

describe("load held", () => {
  it("no stuck task, no lost notification, memory flat, through a worker SIGKILL", async () => {
    await until("the workers checking", async () => (await stack.repos.prisma.monitoringTask.count({ where: { lastCheckedAt: { not: null } } })) > 0, 60_000, 500);
    const started = Date.now();
    const survivor = stack.workers[1] as ManagedProcess;
    const victim = stack.workers[0] as ManagedProcess;
    await sleep(5000);
    const rss: Record<string, (number | null)[]> = { survivor: [rssMb(survivor.pid)], bot: [rssMb(stack.bot.pid)] };

    // A steady stream of updates from a few people.
    const statuses: Record<string, number> = {};
    let streaming = true;
    const stream = (async () => {
      const people = [7_300_001, 7_300_002, 7_300_003, 7_300_004, 7_300_005];
      for (let i = 0; streaming && i < 100_000; i += 1) {
        const id = people[i % people.length] ?? 1;
        const update = i % 3 === 0 ? stack.updates.commandUpdate(id, i % 2 ? "tasks" : "start") : i % 3 === 1 ? stack.updates.callbackUpdate(id, "menu:main") : stack.updates.textUpdate(id, `сообщение ${i}`);
        const status = await stack.send(update).catch(() => 0);
        statuses[status] = (statuses[status] ?? 0) + 1;
        await sleep(WEBHOOK_EVERY_MS);
      }
    })();

    let replacement: ManagedProcess | undefined;
    let opened = 0;
    for (let i = 0; Date.now() - started < DURATION_MS && i < 100_000; i += 1) {
      const elapsed = Date.now() - started;
      if (opened < BOOKINGS && elapsed > (opened * DURATION_MS * 0.8) / BOOKINGS) {
        const t = bookingTasks[opened];
        if (t) stack.openSlot({ warehouseId: t.warehouseId, date: stack.day(4), coefficient: 0 });
        opened += 1;
      }
      if (!replacement && elapsed > DURATION_MS / 2) {
        rss.survivor?.push(rssMb(survivor.pid));
        rss.bot?.push(rssMb(stack.bot.pid));
        await victim.stop("SIGKILL");
        replacement = await stack.startWorker();
      }
      await sleep(500);
    }
    streaming = false;
    await stream;
    rss.survivor?.push(rssMb(survivor.pid));
    rss.bot?.push(rssMb(stack.bot.pid));
    rss.replacement = [replacement ? rssMb(replacement.pid) : null];
    report.rssMb = rss;
    report.webhookStatuses = statuses;

    // Every booking → confirmed once at WB and in Postgres, one success message.
    for (const t of bookingTasks) {
      await until(`task ${t.taskId} booked`, async () => (await stack.repos.bookings.byTask(t.taskId))?.status === "CONFIRMED", 90_000, 500);
      await until(`task ${t.taskId} message`, () => stack.telegram.sentTo(t.userId).some((c) => String(c.payload.text).startsWith("🎉")), 30_000, 250);
    }
    await sleep(2000);
    const wb = wbBookingsBySeller(stack.sandbox);
    for (const t of bookingTasks) {
      expect(wb.get(t.sellerId), `WB bookings of task ${t.taskId}`).toBe(1);
      expect(stack.telegram.sentTo(t.userId).filter((c) => String(c.payload.text).startsWith("🎉")), `messages of task ${t.taskId}`).toHaveLength(1);
    }
    expect([...wb.values()].reduce((a, b) => a + b, 0)).toBe(BOOKINGS);

    // No stuck task: every watched task has its scheduler and was checked in the last seconds.
    const active = await stack.repos.prisma.monitoringTask.findMany({ where: { status: "ACTIVE" }, select: { id: true, lastCheckedAt: true } });
    expect(active).toHaveLength(TASKS - BOOKINGS);
    const schedulers = await stack.queues.monitor.getJobSchedulers(0, -1, true);
    expect(schedulers.length).toBe(active.length);
    const checkedSince = Date.now();
    await until(
      "every active task checked again",
      async () => (await stack.repos.prisma.monitoringTask.count({ where: { status: "ACTIVE", OR: [{ lastCheckedAt: null }, { lastCheckedAt: { lt: new Date(checkedSince) } }] } })) === 0,
      30_000,
      500,
    );
    report.lastCheckedSpreadMs = Date.now() - checkedSince;

    // Every update answered.
    expect(Object.keys(statuses)).toEqual(["200"]);
    // Memory flat (generous bound; numbers reported).
    const [, middle, end] = rss.survivor ?? [];
    expect(middle).toBeTypeOf("number");
    expect(end ?? Infinity).toBeLessThan(2 * (middle ?? 0));
    expect(stack.liveWorkers()).toHaveLength(2);
  }, scaled(300_000, 1_200_000));
});
