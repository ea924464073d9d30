/**
 * Pure builders of the /tasks screens: the list page, a task card with its actions,
 * the delete confirmation, the booking history.
 */
import {
  dateRangeLabel,
  encodeCallback,
  escapeHtml,
  formatRuDate,
  isBoxTypeId,
  isTaskStatus,
  isTerminal,
  isWatching,
  moscowToday,
  refreshIntervalLabel,
  taskSummaryText,
  MOSCOW_OFFSET_MS,
  type InlineButton,
  type InlineKeyboard,
  type TaskStatus,
} from "@wbslots/domain";
import { dbDateToIso, type BookingResult, type MonitoringTask } from "@wbslots/db";

/** Callback scope: `task:{action}:{id}`. */
export const TASKS_SCOPE = "task";
/** Tasks per list page. */
export const TASKS_PAGE_SIZE = 5;

/** `task:{action}:{arg}`. */
export function taskCallback(action: string, ...args: (string | number)[]): string {
  return encodeCallback(TASKS_SCOPE, action, ...args);
}

/** The fields of a task the screens show. */
export type TaskView = Pick<
  MonitoringTask,
  "id" | "status" | "warehouseId" | "warehouseName" | "dateFrom" | "dateTo" | "boxTypeId" | "maxCoefficient" | "lastCheckedAt" | "lastSnapshotAgeMs" | "refreshIntervalMs" | "statusReason"
>;

function statusOf(task: TaskView): TaskStatus {
  return isTaskStatus(task.status) ? task.status : "FAILED";
}

/**
 * «12:03:05» for today (Moscow), «05.12 12:03» otherwise.
 */
export function moscowTimeLabel(at: Date, now: Date): string {
  const shifted = new Date(at.getTime() + MOSCOW_OFFSET_MS);
  const hh = String(shifted.getUTCHours()).padStart(2, "0");
  const mm = String(shifted.getUTCMinutes()).padStart(2, "0");
  const ss = String(shifted.getUTCSeconds()).padStart(2, "0");
  if (moscowToday(at) === moscowToday(now)) return `${hh}:${mm}:${ss}`;
  return `${formatRuDate(moscowToday(at)).slice(0, 5)} ${hh}:${mm}`;
}

/** «3 с», «2 мин», «1 ч» for a duration in ms. */
export function ageLabel(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} с`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} мин`;
  return `${Math.round(m / 60)} ч`;
}

/**
 * The check line of a task: last check (Moscow time), the real refresh interval, the
 * snapshot age. `fallbackRefreshMs` is shown before the worker has reported one.
 */
export function checkLine(task: TaskView, now: Date, fallbackRefreshMs: number | null): string {
  const parts: string[] = [];
  parts.push(task.lastCheckedAt ? `🕒 Проверка: ${moscowTimeLabel(task.lastCheckedAt, now)} МСК` : "🕒 Ещё не проверялась");
  const refresh = task.refreshIntervalMs ?? fallbackRefreshMs;
  if (refresh !== null) parts.push(`данные WB ${refreshIntervalLabel(refresh / 1000)}`);
  if (task.lastSnapshotAgeMs !== null) parts.push(`снимок ${ageLabel(task.lastSnapshotAgeMs)} назад`);
  return parts.join(" · ");
}

/** One task as HTML (summary + check line + reason when the task needs the user). */
export function taskText(task: TaskView, now: Date, fallbackRefreshMs: number | null): string {
  const lines = [
    taskSummaryText({
      id: task.id,
      status: statusOf(task),
      warehouseNames: [task.warehouseName],
      dateFrom: dbDateToIso(task.dateFrom),
      dateTo: dbDateToIso(task.dateTo),
      boxTypeId: isBoxTypeId(task.boxTypeId) ? task.boxTypeId : 2,
      maxCoefficient: task.maxCoefficient,
    }),
  ];
  if (!isTerminal(statusOf(task))) lines.push(checkLine(task, now, fallbackRefreshMs));
  if (task.statusReason) lines.push(`ℹ️ ${escapeHtml(task.statusReason)}`);
  return lines.join("\n");
}

/** The list page: text and keyboard (a button per task opening its card, ◀ ▶). */
export function taskListScreen<T extends TaskView>(
  tasks: readonly T[],
  page: number,
  hasNext: boolean,
  now: Date,
  refreshOf: (task: T) => number | null,
): { text: string; keyboard: InlineKeyboard } {
  const text = [`<b>Ваши задачи</b>${page > 1 || hasNext ? ` · стр. ${page}` : ""}`, "", ...tasks.map((t) => taskText(t, now, refreshOf(t)) + "\n")].join("\n").trimEnd();
  const rows: InlineButton[][] = tasks.map((t) => [
    { text: `⚙️ #${t.id} ${t.warehouseName}`.slice(0, 48), callback_data: taskCallback("view", t.id) },
  ]);
  const nav: InlineButton[] = [];
  if (page > 1) nav.push({ text: "◀", callback_data: taskCallback("list", page - 1) });
  if (hasNext) nav.push({ text: "▶", callback_data: taskCallback("list", page + 1) });
  if (nav.length > 0) rows.push(nav);
  rows.push([{ text: "➕ Новая задача", callback_data: "menu:monitor" }]);
  return { text, keyboard: rows };
}

/** The actions a task in `status` offers. */
export function taskCardKeyboard(task: Pick<TaskView, "id" | "status">): InlineKeyboard {
  const status = isTaskStatus(task.status) ? task.status : "FAILED";
  const rows: InlineButton[][] = [];
  const first: InlineButton[] = [];
  if (isWatching(status)) first.push({ text: "⏸ Пауза", callback_data: taskCallback("pause", task.id) });
  if (status === "PAUSED" || status === "FAILED" || status === "NEEDS_ACTION") {
    first.push({ text: "▶️ Продолжить", callback_data: taskCallback("resume", task.id) });
  }
  if (!isTerminal(status)) first.push({ text: "📅 Даты", callback_data: taskCallback("dates", task.id) });
  if (first.length > 0) rows.push(first);
  rows.push([
    { text: "🧾 Бронирования", callback_data: taskCallback("hist", task.id) },
    { text: "🗑 Удалить", callback_data: taskCallback("del", task.id) },
  ]);
  rows.push([{ text: "◀ К списку", callback_data: taskCallback("list", 1) }]);
  return rows;
}

/** The delete confirmation keyboard. */
export function deleteConfirmKeyboard(id: number): InlineKeyboard {
  return [[{ text: "🗑 Да, удалить", callback_data: taskCallback("delok", id) }, { text: "◀ Нет", callback_data: taskCallback("view", id) }]];
}

const BOOKING_STATUS: Readonly<Record<string, string>> = {
  PENDING: "⏳ бронируется",
  CONFIRMED: "✅ забронировано",
  CANCELLED: "✖️ отменено",
  FAILED: "❌ не удалось",
};

/** The booking history of one task (HTML). */
export function bookingHistoryText(taskId: number, bookings: readonly Pick<BookingResult, "bookingDate" | "coefficient" | "status" | "wbBookingId" | "preorderId" | "error" | "createdAt">[]): string {
  if (bookings.length === 0) return `<b>Задача #${taskId}</b>\nБронирований пока нет.`;
  const lines = [`<b>Задача #${taskId} — бронирования</b>`];
  for (const b of bookings) {
    const parts = [`📅 ${dateRangeLabel(dbDateToIso(b.bookingDate), dbDateToIso(b.bookingDate))}`, `x${b.coefficient}`, BOOKING_STATUS[b.status] ?? b.status];
    const id = b.wbBookingId ?? b.preorderId;
    if (id) parts.push(`№ <code>${escapeHtml(id)}</code>`);
    lines.push(parts.join(" · "));
    if (b.error) lines.push(`   ${escapeHtml(b.error)}`);
  }
  return lines.join("\n");
}
