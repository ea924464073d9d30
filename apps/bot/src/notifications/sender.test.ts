import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { enqueueNotification, upsertMonitor } from "@wbslots/queues";
import { startHarness, type Harness } from "../testing.test-helpers";

describe("notification sender", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ app: { sender: { perChatIntervalMs: 200 } } });
  });
  afterAll(async () => {
    await h?.close();
  });

  const notify = async (userId: number, text: string, extra: { dedupe?: string } = {}): Promise<void> =>
    await enqueueNotification(
      h.owned.deps.queues,
      { userId: String(userId), kind: "info", text, buttons: [[{ text: "Задачи", callback_data: "menu:tasks" }]], createdAt: Date.now() },
      extra.dedupe,
    );

  it("delivers HTML text with inline buttons", async () => {
    const userId = 740_001;
    await notify(userId, "<b>Слот</b> пойман");
    const sent = await h.telegram.waitFor((c) => c.ok && c.method === "sendMessage" && c.payload.chat_id === String(userId));
    expect(sent.payload).toMatchObject({ text: "<b>Слот</b> пойман", parse_mode: "HTML", reply_markup: { inline_keyboard: [[{ text: "Задачи", callback_data: "menu:tasks" }]] } });
  });

  it("honours 429 retry_after: delivered after the wait, nothing lost", async () => {
    const userId = 740_002;
    h.telegram.fail("sendMessage", { status: 429, description: "Too Many Requests: retry after 1", retry_after: 1 });
    await notify(userId, "после паузы");
    const refused = await h.telegram.waitFor((c) => !c.ok && c.method === "sendMessage" && c.payload.chat_id === String(userId));
    const sent = await h.telegram.waitFor((c) => c.ok && c.method === "sendMessage" && c.payload.chat_id === String(userId), 8000);
    expect(sent.at - refused.at).toBeGreaterThanOrEqual(950);
    expect(h.telegram.sentTo(userId)).toHaveLength(1);
  });

  it("retries a 5xx with backoff", async () => {
    const userId = 740_003;
    h.telegram.fail("sendMessage", { status: 502, description: "Bad Gateway" });
    await notify(userId, "после ошибки");
    await h.telegram.waitFor((c) => c.ok && c.method === "sendMessage" && c.payload.chat_id === String(userId), 8000);
    expect(h.telegram.calls.filter((c) => c.method === "sendMessage" && c.payload.chat_id === String(userId))).toHaveLength(2);
  });

  it("403 blocked: marks the user inactive, pauses their tasks, drops the job", async () => {
    const userId = 740_004;
    const { repos, queues } = h.owned.deps;
    await repos.users.register({ id: BigInt(userId) }, 2);
    const task = await repos.tasks.create({
      userId: BigInt(userId),
      credentialId: null,
      warehouseId: 507,
      warehouseName: "Коледино",
      dateFrom: "2030-01-01",
      dateTo: "2030-01-05",
      boxTypeId: 2,
      maxCoefficient: 1,
    });
    await upsertMonitor(queues, task.id);
    expect(await queues.monitor.getJobScheduler(`monitor:${task.id}`)).toBeTruthy();
    h.telegram.fail("sendMessage", { status: 403, description: "Forbidden: bot was blocked by the user" });
    await notify(userId, "вы нас заблокировали");
    await h.telegram.waitFor((c) => !c.ok && c.method === "sendMessage" && c.payload.chat_id === String(userId));
    await expect.poll(async () => (await repos.users.get(BigInt(userId)))?.isActive, { timeout: 5000 }).toBe(false);
    await expect.poll(async () => (await repos.tasks.get(task.id))?.status, { timeout: 5000 }).toBe("PAUSED");
    expect((await repos.tasks.get(task.id))?.statusReason).toBe("bot_blocked");
    await expect.poll(async () => (await queues.monitor.getJobScheduler(`monitor:${task.id}`)) ?? null, { timeout: 5000 }).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(h.telegram.calls.filter((c) => c.method === "sendMessage" && c.payload.chat_id === String(userId))).toHaveLength(1);
    const sends = await h.app.metrics.registry.getSingleMetricAsString("bot_notification_sends_total");
    expect(sends).toMatch(/outcome="blocked"\} 1/);
    expect(sends).toMatch(/outcome="rate_limited"\} 1/);
  });

  it("keeps 1 message per interval per chat, a burst included (nothing lost)", async () => {
    const userId = 740_005;
    const burst = 8;
    for (let i = 0; i < burst; i += 1) await notify(userId, `сообщение ${i}`);
    await expect.poll(() => h.telegram.sentTo(userId).length, { timeout: 10_000, interval: 100 }).toBe(burst);
    const times = h.telegram.sentTo(userId).map((c) => c.at);
    // Arrival times at the fake carry network jitter (the first send also opens the
    // connection, so it can arrive late): each gap is checked loosely, and the span
    // with room for one late first arrival. A limiter that let the burst through
    // would show gaps of a few ms and a span far below 7 × 200 ms.
    for (let i = 1; i < times.length; i += 1) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(120);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual((burst - 1) * 200 - 150);
    expect(new Set(h.telegram.sentTo(userId).map((c) => c.payload.text)).size).toBe(burst);
  });
});
