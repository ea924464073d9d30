/**
 * The seller's whole journey against the real product: the bot and two worker
 * processes over real Postgres and Redis, WB = the sandbox, Telegram = the fake
 * Bot API. /start → add a portal session → create a task by pressing calendar
 * buttons → see it in /tasks → pause/resume → the sandbox opens a slot → exactly
 * one booking at WB, one CONFIRMED row, one catch consumed, «🎉 ПОСТАВКА ПОЙМАНА!».
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMasterKey } from "@wbslots/crypto";
import { createRepositories, type Repositories } from "@wbslots/db";
import { eventually } from "@wbslots/testkit";
import { testDatabase, testRedis } from "@wbslots/testkit/vitest";
import { BotUser } from "../support/bot-driver";
import { startStack, type Stack } from "../support/stack";

let stack: Stack;
let repos: Repositories;
let dropDb: () => Promise<void>;

beforeAll(async () => {
  const db = await testDatabase();
  dropDb = db.drop;
  const redis = testRedis();
  stack = await startStack({ databaseUrl: db.url, redisUrl: redis.url, prefix: redis.prefix, workers: 2 });
  repos = createRepositories({ databaseUrl: db.url, masterKey: parseMasterKey(stack.env.ENCRYPTION_KEY ?? ""), connectionTimeoutMs: 60_000 });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await repos?.close();
  await dropDb?.();
});

describe("a seller's journey", () => {
  const seller = 7_000_001;
  let taskId = 0;
  let session: { authorizev3: string; supplierId: string };

  it("/start registers the user with 2 free catches and shows the menu", async () => {
    const user = new BotUser(stack, seller);
    await user.command("start");
    expect((await repos.users.get(BigInt(seller)))?.trialBookings).toBe(2);
    expect(user.buttons().map((b) => b.text)).toEqual(expect.arrayContaining(["🔑 Ключи WB", "🎯 Новый мониторинг", "📋 Мои задачи"]));
  });

  it("adds a portal session: opt-in warning, the secret message deleted, verdict shown, stored encrypted", async () => {
    const user = new BotUser(stack, seller);
    const { sellerId } = await stack.sandbox<{ sellerId: string }>("POST", "/__sandbox/sellers", { name: "ООО Ромашка" });
    session = await stack.sandbox<{ authorizev3: string; supplierId: string }>("POST", "/__sandbox/sessions", { sellerId });
    await user.press(/Ключи WB/);
    await user.press(/Добавить ключ/);
    await user.press(/Сессия кабинета/);
    expect(user.lastMessage()).toMatch(/неофициальн/i);
    await user.press(/Понимаю, продолжить/);
    const secretMessageId = await user.text(`${session.authorizev3} ${session.supplierId}`);
    await stack.telegram.waitFor((c) => c.method === "deleteMessage" && c.payload.message_id === secretMessageId, 5000);
    await user.text("Кабинет");
    const keys = await repos.apiKeys.list(BigInt(seller));
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kind: "PORTAL_SESSION", isValid: true });
    const raw = await repos.prisma.apiKey.findFirstOrThrow({ where: { userId: BigInt(seller) } });
    expect(raw.encryptedKey).not.toContain(session.authorizev3.slice(0, 30));
  });

  it("creates a monitoring task by pressing buttons, calendar included", async () => {
    const user = new BotUser(stack, seller);
    await user.command("monitor");
    await user.press(/Кабинет/);
    await user.press(/^Коледино$/);
    await user.press(/^Короба/);
    await user.press(/^x1$/);
    const days = user.buttons().filter((b) => b.callback_data?.startsWith("cal:pick:"));
    expect(days.length).toBeGreaterThan(3);
    await user.pressData(days[1]?.callback_data ?? "");
    await user.pressData(days[3]?.callback_data ?? "");
    await user.press(/Готово/);
    await user.text("2037182937123 10");
    await user.press(/Запустить/);
    const tasks = await repos.tasks.list(BigInt(seller));
    expect(tasks).toHaveLength(1);
    taskId = tasks[0]?.id ?? 0;
    expect(tasks[0]).toMatchObject({ status: "ACTIVE", warehouseId: 507, boxTypeId: 2, maxCoefficient: 1 });
  });

  it("shows the task in /tasks; pause and resume work", async () => {
    const user = new BotUser(stack, seller);
    await user.command("tasks");
    expect(user.lastMessage()).toContain("Коледино");
    const view = user.buttons().find((b) => b.callback_data?.includes(String(taskId)));
    if (view?.callback_data) await user.pressData(view.callback_data);
    await user.press(/Пауза/);
    expect((await repos.tasks.get(taskId))?.status).toBe("PAUSED");
    await user.press(/Продолжить/);
    expect((await repos.tasks.get(taskId))?.status).toBe("ACTIVE");
  });

  it("another user forging the first user's callbacks is refused and changes nothing", async () => {
    const stranger = new BotUser(stack, 7_000_002);
    await stranger.command("start");
    for (const data of [`task:pause:${taskId}`, `task:del:${taskId}`, `task:delok:${taskId}`, `task:view:${taskId}`]) await stranger.pressData(data);
    expect((await repos.tasks.get(taskId))?.status).toBe("ACTIVE");
    expect(stranger.alerts().length).toBeGreaterThan(0);
  });

  it("a slot opens: one plan/add at WB, one CONFIRMED booking, one catch, «🎉 ПОСТАВКА ПОЙМАНА!»", async () => {
    const task = await repos.tasks.get(taskId);
    const date = task?.dateFrom.toISOString().slice(0, 10) ?? "";
    await stack.sandbox("POST", "/__sandbox/slots", { warehouseId: 507, date, boxTypeId: 2, coefficient: 1, allowUnload: true });
    const message = await stack.telegram.waitFor((c) => c.method === "sendMessage" && String(c.payload.text ?? "").startsWith("🎉 ПОСТАВКА ПОЙМАНА!"), 15_000);
    expect(String(message.payload.chat_id)).toBe(String(seller));
    const bookings = await stack.sandbox<{ at: string; slotOpenedAt?: string | null }[]>("GET", "/__sandbox/bookings");
    expect(bookings).toHaveLength(1);
    const opened = bookings[0]?.slotOpenedAt;
    // Reported, not asserted: speed is proven by `pnpm bench`, not by timed assertions.
    if (opened) console.info(`catch latency (slot open → plan/add, sandbox clock): ${Date.parse(bookings[0]?.at ?? "") - Date.parse(opened)} ms`);
    const rows = await repos.prisma.bookingResult.findMany({ where: { taskId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.status).toBe("CONFIRMED");
    expect((await repos.users.get(BigInt(seller)))?.trialBookings).toBe(1);
    expect((await repos.tasks.get(taskId))?.status).toBe("BOOKED");
    const planAdds = (await stack.sandbox<{ method: string }[]>("GET", "/__sandbox/requests")).filter((r) => r.method === "plan/add");
    expect(planAdds).toHaveLength(1);
  });

  it("a redistribution waits for WB's limit, then is ordered once and reported", async () => {
    const user = new BotUser(stack, seller);
    // In the sandbox a portal session's supplier id is its seller id.
    const sandboxSellerId = session.supplierId;
    await stack.sandbox("POST", "/__sandbox/stock", { sellerId: sandboxSellerId, nmId: 12345678, chrtId: 555, warehouseId: 507, count: 50, sizeName: "M" });
    await stack.sandbox("POST", "/__sandbox/quotas", { sellerId: sandboxSellerId, officeId: 507, srcQuota: 100, dstQuota: 0 });
    await stack.sandbox("POST", "/__sandbox/quotas", { sellerId: sandboxSellerId, officeId: 117501, srcQuota: 0, dstQuota: 0 });
    await user.command("redistribute");
    if (user.buttons().some((b) => /Кабинет/.test(b.text))) await user.press(/Кабинет/);
    await user.text("12345678");
    await user.press(/^Коледино$/);
    await user.press(/Подольск/);
    await user.text("3");
    await user.press(/Отправить, как только лимиты позволят/);
    const [request] = await repos.redistributions.list(BigInt(seller));
    expect(request?.status).toBe("WAITING");
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await stack.sandbox<unknown[]>("GET", "/__sandbox/transfers")).toHaveLength(0);
    await stack.sandbox("POST", "/__sandbox/quotas", { sellerId: sandboxSellerId, officeId: 117501, srcQuota: 0, dstQuota: 10 });
    await stack.telegram.waitFor((c) => c.method === "sendMessage" && String(c.payload.text ?? "").startsWith("✅ ПЕРЕРАСПРЕДЕЛЕНИЕ ВЫПОЛНЕНО!"), 15_000);
    expect(await stack.sandbox<unknown[]>("GET", "/__sandbox/transfers")).toHaveLength(1);
    expect((await repos.redistributions.get(request?.id ?? 0))?.status).toBe("DONE");
  });

  it("a malformed update gets 400 and the server keeps serving", async () => {
    const response = await fetch(`${stack.botUrl}/telegram/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": stack.env.TELEGRAM_WEBHOOK_SECRET ?? "" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    const wrongShape = await stack.send({ update_id: "x" });
    expect(wrongShape).toBe(400);
    expect((await fetch(`${stack.botUrl}/healthz`)).status).toBe(200);
    const user = new BotUser(stack, 7_000_003);
    await user.command("start");
    await eventually("the new user", () => repos.users.get(7_000_003n));
  });
});
