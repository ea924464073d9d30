import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testRedis } from "@wbslots/testkit/vitest";
import {
  createQueues,
  createRedisConnection,
  enqueueBook,
  enqueueNotification,
  monitorJobSchema,
  notificationJobSchema,
  parseSchedulerId,
  removeMonitor,
  upsertMaintenance,
  upsertMonitor,
  type Queues,
} from "./index";

let queues: Queues;
let connection: ReturnType<typeof createRedisConnection>;

beforeAll(() => {
  const redis = testRedis();
  connection = createRedisConnection(redis.url, "worker");
  queues = createQueues(connection, redis.prefix);
});

afterAll(async () => {
  await queues.close();
  connection.disconnect();
});

describe("queues", () => {
  it("upserting a monitor twice leaves one scheduler; removing is idempotent", async () => {
    await upsertMonitor(queues, 7);
    await upsertMonitor(queues, 7);
    await upsertMonitor(queues, 8);
    const schedulers = await queues.monitor.getJobSchedulers();
    expect(schedulers.map((s) => s.key).sort()).toEqual(["monitor:7", "monitor:8"]);
    expect(schedulers.find((s) => s.key === "monitor:7")?.every).toBe(1000);
    await removeMonitor(queues, 7);
    await removeMonitor(queues, 7);
    expect((await queues.monitor.getJobSchedulers()).map((s) => s.key)).toEqual(["monitor:8"]);
  });

  it("book jobs for one task collapse into one", async () => {
    const slot = { warehouseId: 507, date: "2026-12-01", boxTypeId: 2 as const, coefficient: 0, seenAt: Date.now(), source: "official" as const };
    await Promise.all(Array.from({ length: 5 }, () => enqueueBook(queues, { taskId: 99, slot })));
    expect(await queues.book.getJobCounts("waiting", "delayed", "active")).toMatchObject({ waiting: 1 });
    expect((await queues.book.getJob("book-99"))?.data.taskId).toBe(99);
  });

  it("a notification published twice with one dedupe key is queued once", async () => {
    const job = { userId: "123", kind: "booking_success" as const, text: "🎉 ПОСТАВКА ПОЙМАНА!", createdAt: Date.now() };
    await enqueueNotification(queues, job, "booking:abc");
    await enqueueNotification(queues, job, "booking:abc");
    expect(await queues.notifications.count()).toBe(1);
  });

  it("maintenance schedulers are upserted idempotently", async () => {
    await upsertMaintenance(queues);
    await upsertMaintenance(queues);
    expect(await queues.maintenance.getJobSchedulersCount()).toBe(5);
  });

  it.each([
    [{ taskId: 1 }, true],
    [{ taskId: 0 }, false],
    [{ taskId: "1" }, false],
    [{ taskId: 1, token: "eyJ..." }, false],
    [{}, false],
  ])("monitor payload %j valid=%s (ids only, extra fields refused)", (payload, ok) => {
    expect(monitorJobSchema.safeParse(payload).success).toBe(ok);
  });

  it("notification payloads are bounded", () => {
    expect(notificationJobSchema.safeParse({ userId: "1", kind: "info", text: "x".repeat(4097), createdAt: 1 }).success).toBe(false);
    expect(notificationJobSchema.safeParse({ userId: "-1", kind: "info", text: "x", createdAt: 1 }).success).toBe(false);
  });

  it("parses scheduler ids", () => {
    expect(parseSchedulerId("monitor", "monitor:42")).toBe(42);
    expect(parseSchedulerId("monitor", "redistribute:42")).toBeNull();
    expect(parseSchedulerId("monitor", "monitor:42x")).toBeNull();
  });
});
