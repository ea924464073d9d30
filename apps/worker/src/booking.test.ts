import { afterEach, describe, expect, it } from "vitest";
import { BOOKING_SUCCESS_TITLE } from "@wbslots/domain";
import { monitorSchedulerId } from "@wbslots/queues";
import { startHarness, waitFor, type Harness } from "./harness";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("booking", () => {
  it("catches a matching slot: one WB booking, one CONFIRMED row, one catch, one success message", async () => {
    h = await startHarness();
    const sellerId = await h.newSeller();
    const userId = await h.newUser(2);
    const key = await h.officialKey(userId, sellerId);
    await h.portalSession(userId, sellerId);
    const taskId = await h.task(userId, key.id);
    const date = h.day(3);
    await h.openSlot({ date, coefficient: 0 });
    await h.app.start();

    const booking = await waitFor("a confirmed booking", async () => {
      const row = await h!.repos.bookings.byTask(taskId);
      return row?.status === "CONFIRMED" ? row : null;
    });
    const wbBookings = (await h.bookings()).filter((b) => b.sellerId === sellerId);
    expect(wbBookings).toHaveLength(1);
    expect(wbBookings[0]).toMatchObject({ warehouseId: 507, date });
    expect(booking.wbBookingId).toBe(String(wbBookings[0]?.supplyId));
    expect(await h.repos.users.catches(userId)).toEqual({ trial: 1, paid: 0 });
    const task = await h.repos.tasks.get(taskId);
    expect(task?.status).toBe("BOOKED");
    expect((await h.queues.monitor.getJobSchedulers()).map((s) => s.key)).not.toContain(monitorSchedulerId(taskId));
    const success = await waitFor("the success message", async () => {
      const list = await h!.notifications(userId, "booking_success");
      return list.length > 0 ? list : null;
    });
    expect(success).toHaveLength(1);
    expect(success[0]?.text.split("\n")[0]).toBe(BOOKING_SUCCESS_TITLE);
    expect(await h.repos.operations.count("booking.confirmed")).toBe(1);
    const metrics = await h.metrics.registry.metrics();
    expect(metrics).toMatch(/worker_bookings_total\{outcome="confirmed"\} 1/);
    expect(metrics).toMatch(/worker_catch_latency_seconds_count 1/);
  });

  it("captcha on plan/add: task NEEDS_ACTION and still watched, catch given back, one needs_action message, no booking", async () => {
    h = await startHarness();
    const sellerId = await h.newSeller();
    const userId = await h.newUser(2);
    const key = await h.officialKey(userId, sellerId);
    await h.portalSession(userId, sellerId);
    const taskId = await h.task(userId, key.id);
    await h.openSlot({ date: h.day(2), coefficient: 1 });
    await h.admin("faults", { method: "plan/add", kind: "captcha" });
    await h.app.start();

    const task = await waitFor("NEEDS_ACTION", async () => {
      const row = await h!.repos.tasks.get(taskId);
      return row?.status === "NEEDS_ACTION" ? row : null;
    });
    expect(task.statusReason).toBe("captcha");
    const messages = await waitFor("the needs_action message", async () => {
      const list = await h!.notifications(userId, "needs_action");
      return list.length > 0 ? list : null;
    });
    // Several more monitor ticks: the same slot is not tried (nor told) again.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await h.notifications(userId, "needs_action")).toHaveLength(1);
    expect(messages[0]?.text).toContain("/supplies-management/all-supplies");
    expect(messages[0]?.buttons?.[0]?.[0]).toMatchObject({ url: `${h.sandbox.url}/supplies-management/all-supplies` });
    expect(await h.bookings()).toHaveLength(0);
    expect((await h.repos.bookings.byTask(taskId))?.status).toBe("FAILED");
    expect(await h.repos.users.catches(userId)).toEqual({ trial: 2, paid: 0 });
    expect((await h.queues.monitor.getJobSchedulers()).map((s) => s.key)).toContain(monitorSchedulerId(taskId));
    expect((await h.requests("plan/add")).length).toBe(1);
  });

  it("without a portal session: NEEDS_ACTION with a one-tap portal link, catch given back", async () => {
    h = await startHarness();
    const sellerId = await h.newSeller();
    const userId = await h.newUser(1);
    const key = await h.officialKey(userId, sellerId);
    const taskId = await h.task(userId, key.id);
    await h.openSlot({ date: h.day(4), coefficient: 0 });
    await h.app.start();
    await waitFor("NEEDS_ACTION", async () => (await h!.repos.tasks.get(taskId))?.statusReason === "no_portal_session");
    const [message] = await waitFor("the message", async () => {
      const list = await h!.notifications(userId, "needs_action");
      return list.length > 0 ? list : null;
    });
    expect(message?.text).toContain("/keys");
    expect(await h.repos.users.catches(userId)).toEqual({ trial: 1, paid: 0 });
    expect(await h.bookings()).toHaveLength(0);
  });

  it("no catches left: the user's tasks pause and the trial-over offer is sent", async () => {
    h = await startHarness();
    const sellerId = await h.newSeller();
    const userId = await h.newUser(0);
    const key = await h.officialKey(userId, sellerId);
    await h.portalSession(userId, sellerId);
    const taskId = await h.task(userId, key.id);
    await h.openSlot({ date: h.day(4), coefficient: 0 });
    await h.app.start();
    await waitFor("PAUSED", async () => (await h!.repos.tasks.get(taskId))?.status === "PAUSED");
    const [message] = await waitFor("trial_over", async () => {
      const list = await h!.notifications(userId, "trial_over");
      return list.length > 0 ? list : null;
    });
    expect(message?.text).toContain("⭐");
    expect(await h.bookings()).toHaveLength(0);
    expect((await h.queues.monitor.getJobSchedulers()).map((s) => s.key)).not.toContain(monitorSchedulerId(taskId));
  });
});
