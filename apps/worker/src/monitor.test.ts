import { afterEach, describe, expect, it } from "vitest";
import { refreshIntervalMs } from "@wbslots/wb";
import { startHarness, sleep, waitFor, type Harness } from "./harness";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("monitor", () => {
  it("50 tasks on one credential for ~12 s read WB coefficients once per refresh period, not 50 times a second", async () => {
    h = await startHarness({ checksFlushMs: 1000 });
    const sellerId = await h.newSeller();
    const userId = await h.newUser(2);
    const key = await h.officialKey(userId, sellerId);
    const ids: number[] = [];
    // Nothing bookable (max x0, no open slot): the tasks just watch.
    for (let i = 0; i < 50; i += 1) ids.push(await h.task(userId, key.id, { maxCoefficient: 0, warehouseId: 507 + (i % 3) }));
    const started = Date.now();
    await h.app.start();
    await sleep(12_000);
    const elapsed = Date.now() - started;
    const period = refreshIntervalMs("official", "personal");
    const reads = (await h.requests("coefficients")).filter((r) => r.sellerId === sellerId);
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(reads.length).toBeLessThanOrEqual(Math.ceil(elapsed / period) + 1);
    expect(reads.every((r) => r.status === 200)).toBe(true);
    // Every task was checked about once a second, and the checks reached Postgres in batches.
    const text = await h.metrics.registry.metrics();
    const checks = Number(/worker_monitor_checks_total\{result="no_match"\} (\d+)/.exec(text)?.[1] ?? 0);
    expect(checks).toBeGreaterThan(50 * 8);
    expect(text).toMatch(new RegExp(`wb_reads_total\\{credential="${key.id}",source="official"\\} ${reads.length}`));
    await h.app.checks.flush();
    const task = await h.repos.tasks.get(ids[0]!);
    expect(task?.refreshIntervalMs).toBe(period);
    expect(task?.lastCheckedAt).not.toBeNull();
    expect(task?.lastSnapshotAgeMs).toBeLessThanOrEqual(period + 1000);
  });

  it("a disabled coefficients method is 'source unavailable': one message, key stays valid, fallback to the portal, recovery by the probe", async () => {
    h = await startHarness();
    const sellerId = await h.newSeller();
    const userId = await h.newUser(2);
    const key = await h.officialKey(userId, sellerId);
    const taskId = await h.task(userId, key.id, { maxCoefficient: 0 });
    // A second user of another seller has no portal session: their task waits.
    const otherSeller = await h.newSeller();
    const otherUser = await h.newUser(2);
    const otherKey = await h.officialKey(otherUser, otherSeller);
    const otherTask = await h.task(otherUser, otherKey.id, { maxCoefficient: 0 });
    await h.admin("faults", { method: "coefficients", kind: "disabled" });
    await h.app.start();

    await waitFor("the waiting reason", async () => (await h!.repos.tasks.get(otherTask))?.statusReason === "source_disabled");
    await sleep(2500);
    const told = await h.notifications(otherUser, "source_disabled");
    expect(told).toHaveLength(1);
    expect(told[0]?.text).toContain("Ваш ключ в порядке");
    const waiting = await h.repos.tasks.get(otherTask);
    expect(waiting?.status).toBe("ACTIVE");
    expect((await h.repos.apiKeys.get(otherKey.id))?.isValid).toBe(true);
    expect(await h.notifications(otherUser, "invalid_key")).toHaveLength(0);
    expect(await h.repos.operations.count("source.disabled")).toBeGreaterThanOrEqual(1);

    // The first user adds a portal session: their task falls back to the portal report and books.
    await h.portalSession(userId, sellerId);
    await h.openSlot({ date: h.day(2), coefficient: 0 });
    await waitFor("a booking through the portal source", async () => (await h!.repos.bookings.byTask(taskId))?.status === "CONFIRMED", 15_000);
    expect((await h.requests("acceptanceCoefficientsReport")).filter((r) => r.sellerId === sellerId).length).toBeGreaterThan(0);

    // WB turns the method back on: the probe clears the outage and says so once.
    await fetch(`${h.sandbox.url}/__sandbox/faults`, { method: "DELETE" });
    expect(await h.app.maintenance.probeSources()).toBe(2);
    const restored = await h.notifications(otherUser, "source_restored");
    expect(restored).toHaveLength(1);
    expect(await h.app.maintenance.probeSources()).toBe(0);
    await waitFor("the reason cleared", async () => (await h!.repos.tasks.get(otherTask))?.statusReason === null);
    expect(await h.notifications(otherUser, "source_disabled")).toHaveLength(1);
  });
});
