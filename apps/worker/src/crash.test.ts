import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { repoRoot } from "@wbslots/testkit";
import { startHarness, sleep, waitFor, type Harness } from "./harness";

let h: Harness | undefined;
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  children.length = 0;
  await h?.close();
  h = undefined;
});

/** Starts `node --import tsx apps/worker/src/main.ts` against the harness's storage and sandbox. */
function startChild(harness: Harness): { child: ChildProcess; output: () => string } {
  let output = "";
  const child = spawn(process.execPath, ["--import", "tsx", path.join("apps", "worker", "src", "main.ts")], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...harness.env, LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  children.push(child);
  return { child, output: () => output };
}

describe("crash safety", () => {
  it("SIGKILL in the middle of plan/add, then a new worker: exactly one WB booking, one CONFIRMED row, one catch", async () => {
    h = await startHarness();
    const { userId, taskId } = await h.sellerWithTask(2);
    await h.openSlot({ date: h.day(3), coefficient: 0 });
    await h.admin("faults", { method: "plan/add", kind: "latency", value: 3000 });

    const first = startChild(h);
    await waitFor("the booking to reach plan/add", async () => (await h!.repos.bookings.byTask(taskId))?.step === "PREORDER_CREATED", 25_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${first.output()}`);
    });
    await sleep(300);
    first.child.kill("SIGKILL");
    await new Promise((resolve) => first.child.once("exit", resolve));
    // WB finishes the booking the dead worker asked for; we never heard the answer.
    await waitFor("WB to book", async () => (await h!.bookings()).length === 1, 6_000);
    expect((await h.repos.bookings.byTask(taskId))?.status).toBe("PENDING");

    await fetch(`${h.sandbox.url}/__sandbox/faults`, { method: "DELETE" });
    const second = startChild(h);
    const booking = await h.waitForBooked(taskId, userId, 40_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${second.output()}`);
    });

    const wbBookings = await h.bookings();
    expect(wbBookings).toHaveLength(1);
    expect(booking.wbBookingId).toBe(String(wbBookings[0]?.supplyId));
    expect(await h.repos.users.catches(userId)).toEqual({ trial: 1, paid: 0 });
    expect(await h.repos.prisma.bookingResult.count()).toBe(1);
    expect((await h.repos.tasks.get(taskId))?.status).toBe("BOOKED");
    await waitFor("one success message", async () => (await h!.notifications(userId, "booking_success")).length === 1);

    // Graceful shutdown: SIGTERM → finish in flight, close connections, exit 0.
    second.child.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => second.child.once("exit", (c) => resolve(c)));
    expect(code).toBe(0);
  }, 90_000);
});
