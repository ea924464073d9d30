import { afterEach, describe, expect, it } from "vitest";
import { BOOKING_SUCCESS_TITLE } from "@wbslots/domain";
import { bookJobId, monitorSchedulerId, redistributeSchedulerId, removeMonitor, upsertMonitor, upsertRedistributeWatcher } from "@wbslots/queues";
import { startHarness, waitFor, type Harness } from "./harness";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const keysOf = async (harness: Harness, queue: "monitor" | "redistribute"): Promise<string[]> =>
  (await harness.queues[queue].getJobSchedulers()).map((s) => s.key).sort();

describe("maintenance", () => {
  it("reconcile restores lost monitor schedulers and removes stray ones (tasks and redistribution requests)", async () => {
    h = await startHarness({ reconcileOnStart: false });
    const sellerId = await h.newSeller();
    const userId = await h.newUser(2);
    const key = await h.officialKey(userId, sellerId);
    const watched = [await h.task(userId, key.id), await h.task(userId, key.id), await h.task(userId, key.id)];
    const paused = await h.task(userId, key.id);
    await h.repos.tasks.setStatus(paused, "PAUSED");
    await h.repos.tasks.setStatus(watched[2]!, "NEEDS_ACTION", "captcha");
    // Redis lost two schedulers; a paused task and a deleted one still have one.
    await removeMonitor(h.queues, watched[0]!);
    await removeMonitor(h.queues, watched[1]!);
    await upsertMonitor(h.queues, 999_999);
    const request = await h.repos.redistributions.create({ userId, credentialId: null, nmId: 1n, chrtId: null, srcOfficeId: 507, dstOfficeId: 686, quantity: 1 });
    await upsertRedistributeWatcher(h.queues, 888_888);

    const result = await h.app.maintenance.reconcile();
    expect(result).toEqual({ monitorsAdded: 2, monitorsRemoved: 2, watchersAdded: 1, watchersRemoved: 1 });
    expect(await keysOf(h, "monitor")).toEqual(watched.map(monitorSchedulerId).sort());
    expect(await keysOf(h, "redistribute")).toEqual([redistributeSchedulerId(request.id)]);
    expect(await h.app.maintenance.reconcile()).toEqual({ monitorsAdded: 0, monitorsRemoved: 0, watchersAdded: 0, watchersRemoved: 0 });
    // Only one of N workers starting together reconciles.
    const [a, b] = await Promise.all([h.app.maintenance.reconcileOnce(), h.app.maintenance.reconcileOnce()]);
    expect([a, b].filter((r) => r === null)).toHaveLength(1);
  });

  it("expire stops tasks whose dates have passed and tells the user", async () => {
    h = await startHarness({ reconcileOnStart: false });
    const sellerId = await h.newSeller();
    const userId = await h.newUser(2);
    const key = await h.officialKey(userId, sellerId);
    const old = await h.task(userId, key.id, { days: [-5, -1] });
    const alive = await h.task(userId, key.id, { days: [0, 3] });
    expect(await h.app.maintenance.expire()).toBe(1);
    expect((await h.repos.tasks.get(old))?.status).toBe("EXPIRED");
    expect((await h.repos.tasks.get(alive))?.status).toBe("ACTIVE");
    expect(await keysOf(h, "monitor")).toEqual([monitorSchedulerId(alive)]);
    expect(await h.notifications(userId, "task_expired")).toHaveLength(1);
  });

  it("sweep-bookings resumes a PENDING booking a dead worker left behind", async () => {
    h = await startHarness({ reconcileOnStart: false });
    const { userId, taskId } = await h.sellerWithTask(2);
    await removeMonitor(h.queues, taskId);
    const date = h.day(5);
    await h.openSlot({ date, coefficient: 0 });
    const reserved = await h.repos.bookings.reserve(taskId, userId, { date, warehouseId: 507, coefficient: 0 });
    if (reserved.kind !== "reserved") throw new Error("expected a reservation");
    await h.repos.prisma.bookingResult.update({ where: { id: reserved.booking.id }, data: { updatedAt: new Date(Date.now() - 120_000) } });
    expect(await h.app.maintenance.sweepBookings()).toBe(1);
    expect(await h.queues.book.getJob(bookJobId(taskId))).toBeTruthy();
    await h.app.start();
    await waitFor("confirmed", async () => (await h!.repos.bookings.byTask(taskId))?.status === "CONFIRMED");
    expect(await h.repos.users.catches(userId)).toEqual({ trial: 1, paid: 0 });
    const [message] = await waitFor("success", async () => {
      const list = await h!.notifications(userId, "booking_success");
      return list.length > 0 ? list : null;
    });
    expect(message?.text.startsWith(BOOKING_SUCCESS_TITLE)).toBe(true);
  });
});
