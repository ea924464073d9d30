/**
 * Crash mid-booking: the only worker is SIGKILLed at each step of a booking,
 * then a new worker is started and must finish it. A sandbox fault on the next
 * WB method holds the worker at the step; the kill happens once
 * booking_results.step shows it.
 *
 * | step            | hold                              | killed when                        |
 * | after reserve   | `draft/create` latency            | step = RESERVED                    |
 * | after draft     | `supply/create` latency           | step = DRAFT_CREATED               |
 * | after preorder  | `plan/add` timeout (never books)  | step = PREORDER_CREATED            |
 * | after plan/add  | `plan/add` latency (books later)  | step = PREORDER_CREATED, in flight; WB books after the kill, before any DB write |
 *
 * For every task: exactly one booking at WB (no double, none lost: the slot
 * stays open, so the task must end BOOKED), one CONFIRMED row, the trial
 * counter moved exactly once, one «🎉» message.
 *
 * CI: each step once with 1 task. Large (RESILIENCE_SCALE=large): each step 3
 * rounds × 4 tasks.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ManagedProcess } from "@wbslots/testkit";
import { scaled, sleep, startResilienceStack, until, wbBookingsBySeller, type ResilienceStack } from "./support";

const ROUNDS = scaled(1, 3);
const TASKS_PER_ROUND = scaled(1, 4);
const TRIAL = 2;

let stack: ResilienceStack;
let worker: ManagedProcess;
let warehousePool: number[] = [];
const summary: Record<string, number> = {};

beforeAll(async () => {
  stack = await startResilienceStack({ workers: 1, env: { LOG_LEVEL: "warn" } });
  worker = stack.workers[0] as ManagedProcess;
  warehousePool = [...stack.sandbox.state.warehouses.keys()];
}, 120_000);

afterAll(async () => {
  console.info(`crash-booking: ${JSON.stringify(summary)}`);
  await stack?.stop();
});

afterEach(({ task }) => {
  if (task.result?.state === "fail") console.error(stack.logs().slice(-8000));
});

interface Scenario {
  readonly name: string;
  readonly fault: { method: string; kind: "latency" | "timeout"; value: number };
  readonly step: "RESERVED" | "DRAFT_CREATED" | "PREORDER_CREATED";
  /** After the kill: WB books the in-flight plan/add although nobody hears the answer. */
  readonly wbBooksAfterKill?: boolean;
}

const scenarios: Scenario[] = [
  { name: "after reserve", fault: { method: "draft/create", kind: "latency", value: 5000 }, step: "RESERVED" },
  { name: "after draft", fault: { method: "supply/create", kind: "latency", value: 5000 }, step: "DRAFT_CREATED" },
  { name: "after preorder", fault: { method: "plan/add", kind: "timeout", value: 6000 }, step: "PREORDER_CREATED" },
  { name: "after plan/add, before the DB write", fault: { method: "plan/add", kind: "latency", value: 2500 }, step: "PREORDER_CREATED", wbBooksAfterKill: true },
];

async function newTask(): Promise<{ taskId: number; userId: bigint; sellerId: string; warehouseId: number }> {
  const warehouseId = warehousePool.shift();
  if (warehouseId === undefined) throw new Error("out of warehouses");
  const userId = await stack.newUser(TRIAL);
  const sellerId = await stack.newSeller();
  const session = await stack.portalSession(userId, sellerId);
  const taskId = await stack.task(userId, session.id, { warehouseId, days: [2, 5] });
  return { taskId, userId, sellerId, warehouseId };
}

describe("SIGKILL at each booking step, then a new worker", () => {
  for (const scenario of scenarios) {
    it(`${scenario.name}: one WB booking, one CONFIRMED row, one charge, one message`, async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        await stack.sandbox.app.inject({ method: "POST", url: "/__sandbox/faults", payload: scenario.fault });
        const batch: Awaited<ReturnType<typeof newTask>>[] = [];
        for (let i = 0; i < TASKS_PER_ROUND; i += 1) batch.push(await newTask());
        for (const t of batch) stack.openSlot({ warehouseId: t.warehouseId, date: stack.day(3), coefficient: 0 });

        await until(
          `every booking of the round at ${scenario.step}`,
          async () => {
            const rows = await stack.repos.prisma.bookingResult.findMany({ where: { taskId: { in: batch.map((t) => t.taskId) } } });
            return rows.length === batch.length && rows.every((r) => r.step === scenario.step && r.status === "PENDING");
          },
          45_000,
          25,
        );
        if (scenario.wbBooksAfterKill) await sleep(300);
        await worker.stop("SIGKILL");
        if (scenario.wbBooksAfterKill) {
          await until("WB to finish the dead worker's plan/add", () => batch.every((t) => wbBookingsBySeller(stack.sandbox).get(t.sellerId) === 1), 10_000);
          for (const t of batch) expect((await stack.repos.bookings.byTask(t.taskId))?.status).toBe("PENDING");
        } else {
          // A few extra seconds: the held request must not finish behind our back.
          await sleep(scenario.fault.kind === "timeout" ? scenario.fault.value : 500);
        }
        await stack.sandbox.app.inject({ method: "DELETE", url: "/__sandbox/faults" });
        worker = await stack.startWorker();

        for (const t of batch) {
          await until(`task ${t.taskId} CONFIRMED by the new worker`, async () => (await stack.repos.bookings.byTask(t.taskId))?.status === "CONFIRMED", 100_000, 250);
          await until(`task ${t.taskId} one success message`, () => stack.telegram.sentTo(t.userId).some((c) => String(c.payload.text).startsWith("🎉")), 20_000);
        }
        // Let anything still in flight land before counting.
        await sleep(1500);
        const wb = wbBookingsBySeller(stack.sandbox);
        for (const t of batch) {
          expect(wb.get(t.sellerId), `WB bookings of task ${t.taskId}`).toBe(1);
          const rows = await stack.repos.prisma.bookingResult.findMany({ where: { taskId: t.taskId } });
          expect(rows.map((r) => r.status)).toEqual(["CONFIRMED"]);
          const wbBooking = stack.sandbox.state.bookings.find((b) => b.sellerId === t.sellerId);
          expect(rows[0]?.wbBookingId).toBe(String(wbBooking?.supplyId));
          expect(await stack.repos.users.catches(t.userId), `charge of task ${t.taskId}`).toEqual({ trial: TRIAL - 1, paid: 0 });
          expect((await stack.repos.tasks.get(t.taskId))?.status).toBe("BOOKED");
          expect(stack.telegram.sentTo(t.userId).filter((c) => String(c.payload.text).startsWith("🎉"))).toHaveLength(1);
        }
        summary[scenario.name] = (summary[scenario.name] ?? 0) + batch.length;
      }
    }, scaled(180_000, 900_000));
  }
});
