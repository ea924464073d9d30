import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays, moscowToday, parseIsoDate } from "@wbslots/domain";
import { dbDateToIso } from "@wbslots/db";
import { monitorSchedulerId } from "@wbslots/queues";
import { startFeatureHarness, type FeatureHarness } from "./harness.test-helpers";

function calData(action: string, iso: string): string {
  const p = parseIsoDate(iso);
  if (!p) throw new Error(iso);
  return `cal:${action}:${p.year}:${p.month}:${p.day}`;
}

describe("/monitor wizard (real bot, Postgres, Redis, fake Bot API)", () => {
  let h: FeatureHarness;
  beforeAll(async () => {
    h = await startFeatureHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  async function walkToCalendar(userId: number, keyId: string): Promise<void> {
    await h.command(userId, "monitor");
    expect(h.buttons(userId).map((b) => b.callback_data)).toContain(`mon:key:${keyId}`);
    await h.press(userId, `mon:key:${keyId}`);
    const picker = h.buttons(userId);
    expect(picker.some((b) => b.callback_data === "mon:wh:507")).toBe(true);
    expect(picker.every((b) => Buffer.byteLength(b.callback_data ?? "") <= 64)).toBe(true);
    await h.press(userId, "mon:whp:2");
    expect(String(h.lastScreen(userId).payload.text)).toContain("Выберите склад");
    await h.press(userId, "mon:wh:507");
    await h.press(userId, "mon:box:2");
    expect(h.buttons(userId).map((b) => b.text)).toContain("x0 — только бесплатные");
    await h.press(userId, "mon:coef:3");
    expect(h.buttons(userId).some((b) => b.callback_data?.startsWith("cal:pick:"))).toBe(true);
  }

  it("creates a task end to end by buttons, calendar included, and schedules its monitor", async () => {
    const userId = 810_001;
    const key = await h.addUserWithKey(userId, "OFFICIAL_TOKEN", "service");
    await walkToCalendar(userId, key.id);
    const today = moscowToday(new Date());
    const end = addDays(today, 3);
    await h.press(userId, calData("pick", today));
    expect(h.lastScreen(userId).method).toBe("editMessageText");
    await h.press(userId, calData("pick", end));
    expect(String(h.lastScreen(userId).payload.text)).toContain("Период");
    const done = h.buttons(userId).find((b) => b.callback_data?.startsWith("cal:done:"));
    expect(done).toBeDefined();
    await h.press(userId, done?.callback_data ?? "");
    const confirm = String(h.lastScreen(userId).payload.text);
    expect(confirm).toContain("Проверьте задачу");
    expect(confirm).toContain("Ключ &lt;"); // the key name is escaped
    expect(confirm).toContain("Коледино");
    expect(confirm).toContain("каждые 10 с");
    await h.press(userId, "mon:go");

    const tasks = await h.deps.repos.tasks.list(BigInt(userId));
    expect(tasks).toHaveLength(1);
    const task = tasks[0]!;
    expect(task).toMatchObject({ warehouseId: 507, boxTypeId: 2, maxCoefficient: 3, status: "ACTIVE", credentialId: key.id });
    expect(dbDateToIso(task.dateFrom)).toBe(today);
    expect(dbDateToIso(task.dateTo)).toBe(end);
    expect(await h.deps.queues.monitor.getJobScheduler(monitorSchedulerId(task.id))).toBeTruthy();
    const started = String(h.lastScreen(userId).payload.text);
    expect(started).toContain("Задача запущена");
    expect(started).toContain("каждые 10 с");
    expect(started).toContain("каждую секунду");
    expect((await h.deps.repos.operations.list(BigInt(userId))).map((o) => o.type)).toContain("task.created");
    expect((await h.deps.repos.conversations.get(BigInt(userId)))).toBeNull();

    // A second press of «Запустить» (stale) creates nothing.
    await h.press(userId, "mon:go");
    expect(h.lastAnswer()?.payload.show_alert).toBe(true);
    expect(await h.deps.repos.tasks.list(BigInt(userId))).toHaveLength(1);
  });

  it("asks for goods with a portal session, validates them and stores them", async () => {
    const userId = 810_002;
    const key = await h.addUserWithKey(userId, "PORTAL_SESSION");
    await walkToCalendar(userId, key.id);
    const today = moscowToday(new Date());
    await h.press(userId, calData("pick", today));
    await h.press(userId, calData("done", today));
    expect(String(h.lastScreen(userId).payload.text)).toContain("баркод количество");

    await h.type(userId, "12345 10\n2041234567890 0\nabc");
    const errors = String(h.lastScreen(userId).payload.text);
    expect(errors).toContain("Строка 1");
    expect(errors).toContain("Строка 2");
    expect(errors).toContain("Строка 3");
    await expect(h.deps.repos.conversations.get(BigInt(userId))).resolves.toMatchObject({ scene: "monitor.goods" });

    await h.type(userId, "2041234567890 120\n2041234567891 35");
    const confirm = String(h.lastScreen(userId).payload.text);
    expect(confirm).toContain("2 баркода, 155 шт.");
    expect(confirm).toContain("каждые 1,1 с");
    await h.press(userId, "mon:go");
    const [task] = await h.deps.repos.tasks.list(BigInt(userId));
    expect(task?.goods).toEqual([
      { barcode: "2041234567890", quantity: 120 },
      { barcode: "2041234567891", quantity: 35 },
    ]);
  });

  it("searches warehouses by a typed name", async () => {
    const userId = 810_003;
    const key = await h.addUserWithKey(userId, "OFFICIAL_TOKEN");
    await h.command(userId, "monitor");
    await h.press(userId, `mon:key:${key.id}`);
    await h.press(userId, "mon:whs");
    expect(String(h.lastScreen(userId).payload.text)).toContain("Напишите часть названия");
    await h.type(userId, "казань");
    const buttons = h.buttons(userId);
    expect(buttons.some((b) => b.text.includes("Казань"))).toBe(true);
    await h.type(userId, "zzzz-нет-такого");
    expect(String(h.lastScreen(userId).payload.text)).toContain("ничего не нашлось");
  });

  it("refuses past dates, garbage and out-of-step calendar data with an alert", async () => {
    const userId = 810_004;
    const key = await h.addUserWithKey(userId, "OFFICIAL_TOKEN");
    // Outside any calendar step: stale.
    await h.command(userId, "monitor");
    await h.press(userId, calData("pick", moscowToday(new Date())));
    expect(h.lastAnswer()?.payload).toMatchObject({ show_alert: true, text: expect.stringContaining("устарел") });

    await walkToCalendar(userId, key.id);
    const yesterday = addDays(moscowToday(new Date()), -1);
    await h.press(userId, calData("pick", yesterday));
    expect(h.lastAnswer()?.payload).toMatchObject({ show_alert: true, text: "Эта дата уже прошла" });
    await h.press(userId, calData("pick", addDays(moscowToday(new Date()), 400)));
    expect(h.lastAnswer()?.payload).toMatchObject({ show_alert: true, text: expect.stringContaining("WB не показывает") });
    for (const garbage of ["cal:pick:2026:13:1", "cal:pick:2026:2:30", "cal:boom:2026:1:1", "cal:pick:x:y:z", "cal:"]) {
      await h.press(userId, garbage);
      expect(h.lastAnswer()?.payload).toMatchObject({ show_alert: true });
    }
    expect(await h.deps.repos.conversations.get(BigInt(userId))).toMatchObject({ scene: "monitor.dates" });
    // Forged wizard data for another step is refused too.
    await h.press(userId, "mon:go");
    expect(h.lastAnswer()?.payload).toMatchObject({ show_alert: true });
    await h.press(userId, "mon:wh:99999999");
    expect(h.lastAnswer()?.payload).toMatchObject({ show_alert: true });
    expect(await h.deps.repos.tasks.list(BigInt(userId))).toHaveLength(0);
  });

  it("sends a user without keys to /keys", async () => {
    const userId = 810_005;
    await h.command(userId, "monitor");
    expect(String(h.lastScreen(userId).payload.text)).toContain("/keys");
    expect(h.buttons(userId).map((b) => b.callback_data)).toEqual(["menu:keys"]);
  });

  it("refuses a key of another user", async () => {
    const owner = 810_006;
    const thief = 810_007;
    const key = await h.addUserWithKey(owner, "OFFICIAL_TOKEN");
    await h.addUserWithKey(thief, "OFFICIAL_TOKEN");
    await h.command(thief, "monitor");
    await h.press(thief, `mon:key:${key.id}`);
    expect(h.lastAnswer()?.payload).toMatchObject({ show_alert: true, text: expect.stringContaining("не найден") });
    expect(await h.deps.repos.conversations.get(BigInt(thief))).toMatchObject({ scene: "monitor.key" });
  });
});
