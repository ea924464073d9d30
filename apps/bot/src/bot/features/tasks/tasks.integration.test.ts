import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDays, moscowToday, parseIsoDate } from "@wbslots/domain";
import { dbDateToIso, type MonitoringTask } from "@wbslots/db";
import { monitorSchedulerId, upsertMonitor } from "@wbslots/queues";
import { startFeatureHarness, type FeatureHarness } from "../monitor/harness.test-helpers";

function calData(action: string, iso: string): string {
  const p = parseIsoDate(iso);
  if (!p) throw new Error(iso);
  return `cal:${action}:${p.year}:${p.month}:${p.day}`;
}

describe("/tasks (real bot, Postgres, Redis, fake Bot API)", () => {
  let h: FeatureHarness;
  beforeAll(async () => {
    h = await startFeatureHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  async function taskOf(userId: number): Promise<MonitoringTask> {
    const key = await h.addUserWithKey(userId, "OFFICIAL_TOKEN", "base");
    const today = moscowToday(new Date());
    const task = await h.deps.repos.tasks.create({
      userId: BigInt(userId),
      credentialId: key.id,
      warehouseId: 507,
      warehouseName: "Коледино",
      dateFrom: today,
      dateTo: addDays(today, 5),
      boxTypeId: 5,
      maxCoefficient: 0,
    });
    await upsertMonitor(h.deps.queues, task.id);
    return task;
  }

  const scheduler = (id: number): Promise<unknown> => h.deps.queues.monitor.getJobScheduler(monitorSchedulerId(id));

  it("lists tasks with status, box type, coefficient, check info and the real refresh interval", async () => {
    const userId = 820_001;
    const task = await taskOf(userId);
    await h.deps.repos.tasks.recordChecks([{ id: task.id, checkedAt: new Date(), snapshotAgeMs: 4000, refreshIntervalMs: 3_600_000 }]);
    await h.command(userId, "tasks");
    const text = String(h.lastScreen(userId).payload.text);
    expect(text).toContain(`Задача #${task.id}`);
    expect(text).toContain("Ищу слот");
    expect(text).toContain("Монопаллеты");
    expect(text).toContain("x0 (бесплатно)");
    expect(text).toContain("каждые 60 минут");
    expect(text).toContain("снимок 4 с назад");
    expect(h.buttons(userId).map((b) => b.callback_data)).toContain(`task:view:${task.id}`);
  });

  it("pauses (scheduler removed) and resumes (scheduler restored)", async () => {
    const userId = 820_002;
    const task = await taskOf(userId);
    expect(await scheduler(task.id)).toBeTruthy();
    await h.press(userId, `task:view:${task.id}`);
    expect(h.buttons(userId).map((b) => b.callback_data)).toContain(`task:pause:${task.id}`);
    await h.press(userId, `task:pause:${task.id}`);
    expect((await h.deps.repos.tasks.get(task.id))?.status).toBe("PAUSED");
    expect(await scheduler(task.id)).toBeFalsy();
    expect(h.buttons(userId).map((b) => b.callback_data)).toContain(`task:resume:${task.id}`);
    // Pausing again: refused with the current status, nothing breaks.
    await h.press(userId, `task:pause:${task.id}`);
    expect(h.lastAnswer()?.payload).toMatchObject({ show_alert: true, text: expect.stringContaining("На паузе") });
    await h.press(userId, `task:resume:${task.id}`);
    expect((await h.deps.repos.tasks.get(task.id))?.status).toBe("ACTIVE");
    expect(await scheduler(task.id)).toBeTruthy();
    const types = (await h.deps.repos.operations.list(BigInt(userId))).map((o) => o.type);
    expect(types).toEqual(expect.arrayContaining(["task.paused", "task.resumed"]));
  });

  it("refuses forged callbacks on another user's task: no change, scheduler untouched", async () => {
    const owner = 820_003;
    const thief = 820_004;
    const task = await taskOf(owner);
    await h.addUserWithKey(thief, "OFFICIAL_TOKEN");
    for (const action of ["pause", "resume", "del", "delok", "dates", "hist", "view"]) {
      await h.press(thief, `task:${action}:${task.id}`);
      expect(h.lastAnswer()?.payload).toMatchObject({ show_alert: true, text: "Задача не найдена" });
    }
    const after = await h.deps.repos.tasks.get(task.id);
    expect(after?.status).toBe("ACTIVE");
    expect(await scheduler(task.id)).toBeTruthy();
    for (const garbage of ["task:pause:abc", "task:pause:-1", "task:pause", "task:pause:1:2", "task:boom:1"]) {
      await h.press(thief, garbage);
      expect(h.lastAnswer()?.payload).toMatchObject({ show_alert: true });
    }
  });

  it("deletes after confirmation and removes the scheduler", async () => {
    const userId = 820_005;
    const task = await taskOf(userId);
    await h.press(userId, `task:del:${task.id}`);
    expect(h.buttons(userId).map((b) => b.callback_data)).toEqual([`task:delok:${task.id}`, `task:view:${task.id}`]);
    expect(await h.deps.repos.tasks.get(task.id)).not.toBeNull();
    await h.press(userId, `task:delok:${task.id}`);
    expect(await h.deps.repos.tasks.get(task.id)).toBeNull();
    expect(await scheduler(task.id)).toBeFalsy();
    await h.press(userId, `task:delok:${task.id}`);
    expect(h.lastAnswer()?.payload).toMatchObject({ show_alert: true, text: "Задача не найдена" });
  });

  it("changes dates with the calendar", async () => {
    const userId = 820_006;
    const task = await taskOf(userId);
    await h.press(userId, `task:dates:${task.id}`);
    const today = moscowToday(new Date());
    await h.press(userId, calData("pick", addDays(today, -1)));
    expect(h.lastAnswer()?.payload).toMatchObject({ show_alert: true, text: "Эта дата уже прошла" });
    await h.press(userId, calData("pick", addDays(today, 1)));
    await h.press(userId, calData("pick", addDays(today, 2)));
    await h.press(userId, calData("done", today));
    const after = await h.deps.repos.tasks.get(task.id);
    expect(after && dbDateToIso(after.dateFrom)).toBe(addDays(today, 1));
    expect(after && dbDateToIso(after.dateTo)).toBe(addDays(today, 2));
    expect(String(h.lastScreen(userId).payload.text)).toContain("Даты изменены");
    expect(await h.deps.repos.conversations.get(BigInt(userId))).toBeNull();
  });

  it("shows the booking history of a task", async () => {
    const userId = 820_007;
    const task = await taskOf(userId);
    await h.press(userId, `task:hist:${task.id}`);
    expect(String(h.lastScreen(userId).payload.text)).toContain("Бронирований пока нет");
    const reserved = await h.deps.repos.bookings.reserve(task.id, BigInt(userId), { date: moscowToday(new Date()), warehouseId: 507, coefficient: 0 });
    expect(reserved.kind).toBe("reserved");
    await h.press(userId, `task:hist:${task.id}`);
    expect(String(h.lastScreen(userId).payload.text)).toContain("бронируется");
  });
});
