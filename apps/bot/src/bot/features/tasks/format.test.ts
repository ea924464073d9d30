import { describe, expect, it } from "vitest";
import { ageLabel, bookingHistoryText, checkLine, moscowTimeLabel, taskCardKeyboard, taskListScreen, type TaskView } from "./format";

const task = (over: Partial<TaskView> = {}): TaskView => ({
  id: 7,
  status: "ACTIVE",
  warehouseId: 507,
  warehouseName: "Коледино",
  dateFrom: new Date("2026-12-05T00:00:00Z"),
  dateTo: new Date("2026-12-07T00:00:00Z"),
  boxTypeId: 2,
  maxCoefficient: 3,
  lastCheckedAt: null,
  lastSnapshotAgeMs: null,
  refreshIntervalMs: null,
  statusReason: null,
  ...over,
});
const now = new Date("2026-12-04T09:00:00Z");

describe("tasks format", () => {
  it.each([
    ["ACTIVE", ["task:pause:7", "task:dates:7", "task:hist:7", "task:del:7", "task:list:1"]],
    ["NEEDS_ACTION", ["task:pause:7", "task:resume:7", "task:dates:7", "task:hist:7", "task:del:7", "task:list:1"]],
    ["PAUSED", ["task:resume:7", "task:dates:7", "task:hist:7", "task:del:7", "task:list:1"]],
    ["FAILED", ["task:resume:7", "task:dates:7", "task:hist:7", "task:del:7", "task:list:1"]],
    ["BOOKED", ["task:hist:7", "task:del:7", "task:list:1"]],
    ["EXPIRED", ["task:hist:7", "task:del:7", "task:list:1"]],
  ] as const)("card of a %s task", (status, data) => {
    expect(taskCardKeyboard({ id: 7, status }).flat().map((b) => b.callback_data)).toEqual(data);
  });

  it.each([
    [0, "0 с"],
    [4_400, "4 с"],
    [90_000, "2 мин"],
    [7_200_000, "2 ч"],
  ])("age %d → %s", (ms, text) => {
    expect(ageLabel(ms)).toBe(text);
  });

  it("formats Moscow times", () => {
    expect(moscowTimeLabel(new Date("2026-12-04T09:00:05Z"), now)).toBe("12:00:05");
    expect(moscowTimeLabel(new Date("2026-12-02T09:00:05Z"), now)).toBe("02.12 12:00");
  });

  it.each([
    [task(), 10_000, "🕒 Ещё не проверялась · данные WB каждые 10 с"],
    [task({ lastCheckedAt: new Date("2026-12-04T08:59:59Z"), lastSnapshotAgeMs: 3000, refreshIntervalMs: 2000 }), null, "🕒 Проверка: 11:59:59 МСК · данные WB каждые 2 с · снимок 3 с назад"],
    [task(), null, "🕒 Ещё не проверялась"],
  ])("check line %#", (t, fallback, text) => {
    expect(checkLine(t, now, fallback)).toBe(text);
  });

  it("lists tasks with pages and escapes names", () => {
    const screen = taskListScreen([task({ warehouseName: "<A&B>" })], 2, true, now, () => 10_000);
    expect(screen.text).toContain("&lt;A&amp;B&gt;");
    expect(screen.text).toContain("стр. 2");
    expect(screen.keyboard.flat().map((b) => b.callback_data)).toEqual(["task:view:7", "task:list:1", "task:list:3", "menu:monitor"]);
  });

  it("shows the booking history", () => {
    expect(bookingHistoryText(7, [])).toContain("пока нет");
    const text = bookingHistoryText(7, [
      { bookingDate: new Date("2026-12-05T00:00:00Z"), coefficient: 1, status: "CONFIRMED", wbBookingId: "<9>", preorderId: null, error: null, createdAt: now },
      { bookingDate: new Date("2026-12-06T00:00:00Z"), coefficient: 0, status: "FAILED", wbBookingId: null, preorderId: null, error: "WB <отказал>", createdAt: now },
    ]);
    expect(text).toContain("05.12.2026 · x1 · ✅ забронировано · № <code>&lt;9&gt;</code>");
    expect(text).toContain("WB &lt;отказал&gt;");
  });
});
