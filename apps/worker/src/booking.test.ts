import { afterEach, describe, expect, it } from "vitest";
import { BOOKING_SUCCESS_TITLE } from "@wbslots/domain";
import { enqueueBook, monitorSchedulerId } from "@wbslots/queues";
import { startHarness, waitFor, type Harness } from "./harness";
import { portalCredentialFor, prepareTask } from "./prepare";


/** Portal calls that create or book something (reads are left out). */
const PORTAL_WRITES = new Set(["draft/create", "draft/UpdateDraftGoods", "supply/create", "plan/add"]);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("booking", () => {
  it("catches a matching slot: one WB booking, one CONFIRMED row, one catch, one success message", async () => {
    h = await startHarness();
    const { sellerId, userId, taskId } = await h.sellerWithTask(2);
    const date = h.day(3);
    await h.openSlot({ date, coefficient: 0 });
    await h.app.start();

    const booking = await h.waitForBooked(taskId, userId);
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
    const { userId, taskId } = await h.sellerWithTask(2);
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
    const { userId, taskId } = await h.sellerWithTask(0);
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

  it("a prepared task books with ONE portal call after the slot opens (plan/add on the prepared preorder)", async () => {
    h = await startHarness();
    const { sellerId, userId, taskId } = await h.sellerWithTask(2);
    expect(await prepareTask(h.context(), taskId)).toBe("prepared");
    const preorderId = (await h.repos.tasks.get(taskId))?.preparedPreorderId;
    expect(preorderId).toBeTruthy();

    const openedAt = Date.now();
    const date = h.day(3);
    await h.openSlot({ date, coefficient: 0 });
    await h.app.start();
    const booking = await h.waitForBooked(taskId, userId);
    const after = (await h.requests()).filter((r) => Date.parse(r.at) >= openedAt && r.sellerId === sellerId);
    expect(after.map((r) => r.method).filter((m) => PORTAL_WRITES.has(m))).toEqual(["plan/add"]);
    expect(booking).toMatchObject({ step: "PLANNED", preorderId });
    const wbBookings = await h.bookings();
    expect(wbBookings).toHaveLength(1);
    expect(wbBookings[0]).toMatchObject({ sellerId, warehouseId: 507, date, preorderId: Number(preorderId) });
    expect(booking.wbBookingId).toBe(String(wbBookings[0]?.supplyId));
    expect(await h.repos.users.catches(userId)).toEqual({ trial: 1, paid: 0 });
    // WB consumed the preorder: the task (BOOKED) no longer holds it.
    expect(await h.repos.tasks.get(taskId)).toMatchObject({ status: "BOOKED", preparedPreorderId: null, preparedDraftId: null });
    await waitFor("one success message", async () => (await h!.notifications(userId, "booking_success")).length === 1);
  });

  it("a slot lost on the prepared preorder keeps it: the next slot is booked with plan/add only", async () => {
    h = await startHarness();
    const { sellerId, userId, taskId } = await h.sellerWithTask(2);
    expect(await prepareTask(h.context(), taskId)).toBe("prepared");
    const preorderId = (await h.repos.tasks.get(taskId))?.preparedPreorderId;
    // A match for a cell that closed before plan/add arrived (someone else took it).
    await enqueueBook(h.queues, { taskId, slot: { warehouseId: 507, date: h.day(3), boxTypeId: 2, coefficient: 0, seenAt: Date.now(), source: "official" } });
    await h.app.start();
    const lost = await waitFor("the lost booking", async () => {
      const row = await h!.repos.bookings.byTask(taskId);
      return row?.status === "FAILED" ? row : null;
    });
    expect(lost).toMatchObject({ error: "slot_closed", preorderId });
    expect((await h.repos.tasks.get(taskId))?.preparedPreorderId).toBe(preorderId);
    expect(await h.repos.users.catches(userId)).toEqual({ trial: 2, paid: 0 });

    const openedAt = Date.now();
    await h.openSlot({ date: h.day(5), coefficient: 0 });
    // The official coefficients are re-read every 10 s (personal token).
    const booking = await h.waitForBooked(taskId, userId, 25_000);
    expect(booking.preorderId).toBe(preorderId);
    const after = (await h.requests()).filter((r) => Date.parse(r.at) >= openedAt && r.sellerId === sellerId);
    expect(after.map((r) => r.method).filter((m) => PORTAL_WRITES.has(m))).toEqual(["plan/add"]);
    expect(await h.repos.users.catches(userId)).toEqual({ trial: 1, paid: 0 });
    expect(await h.bookings()).toHaveLength(1);
    expect(await h.requests("supply/create")).toHaveLength(1);
  }, 60_000);

  it("crash after plan/add on a prepared preorder, before the DB write: the retry confirms exactly one booking and one charge", async () => {
    h = await startHarness();
    const { userId, taskId } = await h.sellerWithTask(2);
    const ctx = h.context();
    expect(await prepareTask(ctx, taskId)).toBe("prepared");
    const task = await h.repos.tasks.get(taskId);
    if (!task?.preparedPreorderId) throw new Error("not prepared");
    const date = h.day(3);
    await h.openSlot({ date, coefficient: 0 });
    // What the dead worker did: reserve (at PREORDER_CREATED) and plan/add; the answer was lost.
    const reserved = await h.repos.bookings.reserve(taskId, userId, { date, warehouseId: 507, coefficient: 0 }, { draftId: task.preparedDraftId, preorderId: task.preparedPreorderId });
    expect(reserved).toMatchObject({ kind: "reserved", booking: { step: "PREORDER_CREATED", preorderId: task.preparedPreorderId } });
    const cred = await portalCredentialFor(ctx, task);
    if (!cred) throw new Error("no portal credential");
    const { supplyId } = await h.wb.portal.planAdd(cred.portal, { preorderId: Number(task.preparedPreorderId), deliveryDate: `${date}T00:00:00Z`, warehouseId: 507 });
    // The retry (BullMQ stalled-job recovery or the sweeper) runs the same book job again.
    await enqueueBook(h.queues, { taskId, slot: { warehouseId: 507, date, boxTypeId: 2, coefficient: 0, seenAt: Date.now(), source: "official" } });
    await h.app.start();
    const booking = await h.waitForBooked(taskId, userId);
    expect(booking.wbBookingId).toBe(String(supplyId));
    expect(await h.bookings()).toHaveLength(1);
    expect(await h.repos.prisma.bookingResult.count()).toBe(1);
    expect(await h.repos.users.catches(userId)).toEqual({ trial: 1, paid: 0 });
    expect(await h.requests("supply/create")).toHaveLength(1);
    expect(await h.repos.tasks.get(taskId)).toMatchObject({ status: "BOOKED", preparedPreorderId: null });
  });

  it("WB rejects the prepared preorder: the catch is given back and the slot is booked the full way", async () => {
    h = await startHarness();
    const { sellerId, userId, taskId } = await h.sellerWithTask(2);
    // A preorder WB does not know (deleted in the portal, or another account's).
    expect(await h.repos.tasks.setPrepared(taskId, { draftId: "gone", preorderId: "987654321" })).toBe(true);
    await h.openSlot({ date: h.day(3), coefficient: 0 });
    await h.app.start();
    const booking = await h.waitForBooked(taskId, userId);
    expect(booking.preorderId).not.toBe("987654321");
    expect((await h.bookings()).filter((b) => b.sellerId === sellerId)).toHaveLength(1);
    expect(await h.repos.users.catches(userId)).toEqual({ trial: 1, paid: 0 });
    expect(await h.repos.operations.count("booking.failed")).toBe(1);
    expect((await h.repos.tasks.get(taskId))?.preparedPreorderId).toBeNull();
  });

  it("a match from a stale task cache outside the task's fresh date range is not booked", async () => {
    h = await startHarness();
    const sellerId = await h.newSeller();
    const userId = await h.newUser(2);
    const key = await h.officialKey(userId, sellerId);
    await h.portalSession(userId, sellerId);
    const taskId = await h.task(userId, key.id, { days: [1, 10] });
    const stale = h.day(2);
    await h.openSlot({ date: stale, coefficient: 0 });
    // The user moved the dates; a monitor holding the old row still matched day 2.
    await h.repos.tasks.updateDatesOwned(userId, taskId, h.day(5), h.day(10));
    await enqueueBook(h.queues, { taskId, slot: { warehouseId: 507, date: stale, boxTypeId: 2, coefficient: 0, seenAt: Date.now(), source: "official" } });
    await h.app.start();
    await waitFor("the book job to be dropped", async () => /worker_bookings_total\{outcome="stale_match"\} 1/.test(await h!.metrics.registry.metrics()));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await h.repos.bookings.byTask(taskId)).toBeNull();
    expect(await h.bookings()).toHaveLength(0);
    expect(await h.requests("plan/add")).toHaveLength(0);
    expect(await h.repos.users.catches(userId)).toEqual({ trial: 2, paid: 0 });
    expect((await h.repos.tasks.get(taskId))?.status).toBe("ACTIVE");
  });

  it("a burst of 7 slots for one seller (WB's write budget: 5, then 1 per 6 s): every one booked, none given up, 0 × 429", async () => {
    h = await startHarness();
    const sellerId = await h.newSeller();
    const userId = await h.newUser(10);
    const key = await h.officialKey(userId, sellerId);
    await h.portalSession(userId, sellerId);
    const tasks: number[] = [];
    for (let i = 1; i <= 7; i += 1) {
      tasks.push(await h.task(userId, key.id, { days: [i, i] }));
      await h.openSlot({ date: h.day(i), coefficient: 0 });
    }
    await h.app.start();

    // Bookings 6 and 7 wait ~6 and ~12 s for draft/create, supply/create and plan/add tokens:
    // longer than the job's own retries (0.5 + 1 + 2 + 4 s) would wait.
    for (const id of tasks) await h.waitForBooked(id, userId, 60_000);
    expect((await h.bookings()).filter((b) => b.sellerId === sellerId)).toHaveLength(7);
    const writes = (await h.requests()).filter((r) => PORTAL_WRITES.has(r.method));
    expect(writes.filter((r) => r.status === 429)).toHaveLength(0);
    const metrics = await h.metrics.registry.metrics();
    expect(metrics).toMatch(/worker_bookings_total\{outcome="confirmed"\} 7/);
    expect(metrics).toMatch(/worker_bookings_total\{outcome="rate_wait"\} [1-9]/);
    expect(metrics).not.toMatch(/outcome="gave_up"/);
    expect(await h.repos.users.catches(userId)).toEqual({ trial: 3, paid: 0 });
  }, 120_000);
});
