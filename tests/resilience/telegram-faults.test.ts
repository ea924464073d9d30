/**
 * Telegram faults on sendMessage (the fake Bot API answers 429 with
 * retry_after, 5xx, 403 "bot was blocked by the user"): notifications are
 * delayed, never lost and never doubled; a 429'd message is not retried before
 * retry_after; a blocked user is marked inactive and their tasks paused (their
 * monitors removed). Notifications are produced the way workers produce them
 * (`enqueueNotification` with a dedupe key), plus one real booking.
 *
 * CI: 8 messages per fault. Large (RESILIENCE_SCALE=large): 200.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { enqueueNotification, monitorSchedulerId } from "@wbslots/queues";
import { scaled, sleep, startResilienceStack, until, type ResilienceStack } from "./support";

let stack: ResilienceStack;
const MESSAGES = scaled(8, 200);
const numbers: Record<string, unknown> = {};

beforeAll(async () => {
  stack = await startResilienceStack({ workers: 1, env: { LOG_LEVEL: "warn" } });
}, 120_000);

afterAll(async () => {
  console.info(`telegram-faults: ${JSON.stringify(numbers)}`);
  await stack?.stop();
});

afterEach(({ task }) => {
  stack.telegram.clearFailures();
  if (task.result?.state === "fail") console.error(stack.logs().slice(-6000));
});

/** Enqueues one distinct notification per user. @returns user id → text */
async function burst(tag: string): Promise<Map<bigint, string>> {
  const sent = new Map<bigint, string>();
  for (let i = 0; i < MESSAGES; i += 1) {
    const userId = await stack.newUser();
    const text = `ℹ️ ${tag} №${i}`;
    await enqueueNotification(stack.queues, { userId: userId.toString(), kind: "info", createdAt: Date.now(), text }, `${tag}-${i}`);
    sent.set(userId, text);
  }
  return sent;
}

async function expectDeliveredOnce(expected: Map<bigint, string>, timeoutMs: number): Promise<void> {
  await until("every notification delivered", () => [...expected].every(([userId, text]) => stack.telegram.sentTo(userId).some((c) => c.payload.text === text)), timeoutMs, 200);
  await sleep(1500);
  for (const [userId, text] of expected) expect(stack.telegram.sentTo(userId).filter((c) => c.payload.text === text), `user ${userId}`).toHaveLength(1);
}

describe("Telegram faults", () => {
  it("429 with retry_after: delayed, not before retry_after, delivered once", async () => {
    const retryAfter = 3;
    stack.telegram.fail("sendMessage", { status: 429, retry_after: retryAfter }, Math.ceil(MESSAGES / 2));
    const expected = await burst("rl");
    await expectDeliveredOnce(expected, 60_000 + MESSAGES * 300);
    let limited = 0;
    for (const userId of expected.keys()) {
      const calls = stack.telegram.calls.filter((c) => c.method === "sendMessage" && String(c.payload.chat_id) === userId.toString());
      const refused = calls.find((c) => !c.ok);
      if (!refused) continue;
      limited += 1;
      const next = calls.find((c) => c.at > refused.at);
      expect(next, `user ${userId} retried`).toBeDefined();
      expect((next?.at ?? 0) - refused.at, `user ${userId}: retried before retry_after`).toBeGreaterThanOrEqual(retryAfter * 1000 - 100);
    }
    numbers.rateLimited = { messages: MESSAGES, refused429: limited };
    expect(limited).toBeGreaterThan(0);
  }, 180_000);

  it("5xx: retried with backoff until Telegram answers, delivered once (a real booking included)", async () => {
    stack.telegram.fail("sendMessage", { status: 502 }, Number.POSITIVE_INFINITY);
    const userId = await stack.newUser();
    const sellerId = await stack.newSeller();
    const session = await stack.portalSession(userId, sellerId);
    const taskId = await stack.task(userId, session.id, { warehouseId: 117501, days: [2, 6] });
    stack.openSlot({ warehouseId: 117501, date: stack.day(3), coefficient: 0 });
    const expected = await burst("5xx");
    await until("the booking confirmed", async () => (await stack.repos.bookings.byTask(taskId))?.status === "CONFIRMED", 40_000, 250);
    await until("several refused sends", () => stack.telegram.calls.filter((c) => c.method === "sendMessage" && !c.ok).length >= MESSAGES + 1, 30_000);
    await sleep(3000);
    stack.telegram.clearFailures();
    const clearedAt = Date.now();
    await expectDeliveredOnce(expected, 90_000);
    await until("the booking message", () => stack.telegram.sentTo(userId).some((c) => String(c.payload.text).startsWith("🎉")), 60_000, 250);
    expect(stack.telegram.sentTo(userId).filter((c) => String(c.payload.text).startsWith("🎉"))).toHaveLength(1);
    numbers.serverErrors = { messages: MESSAGES + 1, deliveredWithinMsAfterClear: Date.now() - clearedAt };
  }, 240_000);

  it("403 bot blocked: the user is marked inactive, their tasks paused and unscheduled; others unaffected", async () => {
    const blocked = await stack.newUser();
    const sellerId = await stack.newSeller();
    const session = await stack.portalSession(blocked, sellerId);
    const tasks = [await stack.task(blocked, session.id, { warehouseId: 507 }), await stack.task(blocked, session.id, { warehouseId: 117501 })];
    const bystander = await stack.newUser();
    stack.telegram.fail("sendMessage", { status: 403, description: "Forbidden: bot was blocked by the user" }, 1);
    await enqueueNotification(stack.queues, { userId: blocked.toString(), kind: "info", createdAt: Date.now(), text: "ℹ️ для заблокировавшего" }, "blocked-1");
    await until("the user inactive", async () => (await stack.repos.users.get(blocked))?.isActive === false, 30_000, 200);
    for (const id of tasks) {
      await until(`task ${id} paused`, async () => (await stack.repos.tasks.get(id))?.status === "PAUSED", 10_000);
      expect((await stack.repos.tasks.get(id))?.statusReason).toBe("bot_blocked");
      expect(await stack.queues.monitor.getJobScheduler(monitorSchedulerId(id))).toBeUndefined();
    }
    await enqueueNotification(stack.queues, { userId: bystander.toString(), kind: "info", createdAt: Date.now(), text: "ℹ️ другому" }, "bystander-1");
    await until("others still served", () => stack.telegram.sentTo(bystander).length === 1, 20_000);
    expect((await stack.repos.users.get(bystander))?.isActive).toBe(true);
  }, 90_000);
});
