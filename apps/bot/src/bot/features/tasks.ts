/**
 * /tasks — the user's tasks: a paginated list, a card per task with pause / resume /
 * delete (confirmed) / change dates (the calendar) / booking history. Every button
 * re-checks ownership through the *Owned repository methods: a forged
 * `task:pause:<someone else's id>` gets «Задача не найдена» and changes nothing.
 */
import { Composer } from "telegraf";
import {
  applyCalendarAction,
  calendarPromptText,
  decodeCallback,
  initialCalendarState,
  isExpired,
  moscowToday,
  parseCalendarCallback,
  parseCallbackId,
  renderCalendar,
  taskStatusLabel,
  isTaskStatus,
  isTerminal,
  NO_TASKS_TEXT,
  type CalendarState,
} from "@wbslots/domain";
import { NotFoundError, dbDateToIso, type CredentialView, type MonitoringTask, type Prisma, type TaskStatus } from "@wbslots/db";
import { removeMonitor, upsertMonitor } from "@wbslots/queues";
import type { BotContext } from "../context";
import type { Feature } from "../create-bot";
import { loadTaskPage, type TaskPageRequest } from "../hot-reads";
import { MONITOR_HORIZON_DAYS } from "./monitor";
import { credentialRefreshMs } from "./monitor/credentials";
import { STALE_BUTTON_TEXT, ack, alert, callbackData, messageText, showScreen } from "./monitor/ui";
import { CALENDAR_BAD_TEXT, CALENDAR_SCENES, CALENDAR_STALE_TEXT } from "./monitor/wizard";
import {
  TASKS_PAGE_SIZE,
  bookingHistoryText,
  deleteConfirmKeyboard,
  taskCallback,
  taskCardKeyboard,
  taskListScreen,
  taskText,
  type TaskView,
} from "./tasks/format";

/** Scene of the «Изменить даты» calendar. */
export const TASKS_DATES_SCENE = "tasks.dates";

/** Alert for a task that does not exist or belongs to someone else. */
export const TASK_NOT_FOUND_TEXT = "Задача не найдена";

const composer = new Composer<BotContext>();

const PAUSABLE: readonly TaskStatus[] = ["ACTIVE", "NEEDS_ACTION"];
const RESUMABLE: readonly TaskStatus[] = ["PAUSED", "NEEDS_ACTION", "FAILED"];

interface DatesState {
  readonly taskId: number;
  readonly cal: CalendarState;
}

function readDatesState(data: unknown): DatesState | null {
  if (typeof data !== "object" || data === null) return null;
  const record = data as Record<string, unknown>;
  const cal = record.cal as Record<string, unknown> | undefined;
  if (typeof record.taskId !== "number" || !cal || typeof cal.year !== "number" || typeof cal.month !== "number") return null;
  return {
    taskId: record.taskId,
    cal: {
      year: cal.year,
      month: cal.month,
      ...(typeof cal.start === "string" ? { start: cal.start } : {}),
      ...(typeof cal.end === "string" ? { end: cal.end } : {}),
    },
  };
}

async function credentialsById(ctx: BotContext): Promise<Map<string, CredentialView>> {
  const keys = await ctx.deps.repos.apiKeys.list(ctx.userId);
  return new Map(keys.map((k) => [k.id, k]));
}

function refreshFor(keys: Map<string, CredentialView>): (task: TaskView & { credentialId?: string | null }) => number | null {
  return (task) => {
    const key = task.credentialId ? keys.get(task.credentialId) : undefined;
    return key ? credentialRefreshMs(key) : null;
  };
}

/** @returns the rows to read for list page `page` (one more than shown: is there a next page) */
function pageRequest(page: number): TaskPageRequest {
  return { take: TASKS_PAGE_SIZE + 1, skip: (page - 1) * TASKS_PAGE_SIZE };
}

async function showList(ctx: BotContext, page: number): Promise<void> {
  const safePage = Math.max(1, page);
  // One statement for the page and its credentials' refresh facts (hot-reads.ts), or none
  // when the page was read with the sender (prefetchTaskPage below).
  const request = pageRequest(safePage);
  const rows = ctx.takePrefetchedTaskPage(request) ?? (await loadTaskPage(ctx.deps.repos.pool, ctx.userId, request.take, request.skip));
  if (rows.length === 0) {
    if (safePage > 1) return showList(ctx, 1);
    await showScreen(ctx, NO_TASKS_TEXT, [[{ text: "➕ Новая задача", callback_data: "menu:monitor" }]]);
    return;
  }
  const screen = taskListScreen(rows.slice(0, TASKS_PAGE_SIZE), safePage, rows.length > TASKS_PAGE_SIZE, ctx.deps.now(), (task) => task.credentialRefreshMs);
  await showScreen(ctx, screen.text, screen.keyboard);
}

async function showCard(ctx: BotContext, task: MonitoringTask, note?: string): Promise<void> {
  const keys = await credentialsById(ctx);
  const text = [note, taskText(task, ctx.deps.now(), refreshFor(keys)(task))].filter(Boolean).join("\n\n");
  await showScreen(ctx, text, taskCardKeyboard(task));
}

/**
 * Loads a task of the sender.
 * @returns the task, or null after answering «Задача не найдена»
 */
async function owned(ctx: BotContext, id: number): Promise<MonitoringTask | null> {
  try {
    return await ctx.deps.repos.tasks.getOwned(ctx.userId, id);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    await alert(ctx, TASK_NOT_FOUND_TEXT);
    return null;
  }
}

/**
 * A status change refused by setStatusOwned: not the user's task → «Задача не найдена»;
 * theirs but in another status → say which and show the fresh card.
 */
async function refusedChange(ctx: BotContext, id: number): Promise<void> {
  const task = await owned(ctx, id);
  if (!task) return;
  const label = isTaskStatus(task.status) ? taskStatusLabel(task.status) : task.status;
  await alert(ctx, `Сейчас это недоступно: задача в статусе «${label}».`);
  await showCard(ctx, task);
}

async function pause(ctx: BotContext, id: number): Promise<void> {
  let task: MonitoringTask;
  try {
    task = await ctx.deps.repos.tasks.setStatusOwned(ctx.userId, id, "PAUSED", PAUSABLE);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    return refusedChange(ctx, id);
  }
  await removeMonitor(ctx.deps.queues, id);
  await ctx.deps.repos.operations.log(ctx.userId, "task.paused", { taskId: id });
  await ack(ctx, "Задача на паузе");
  await showCard(ctx, task, "⏸ Задача на паузе. Слоты не отслеживаются.");
}

async function resume(ctx: BotContext, id: number): Promise<void> {
  const current = await owned(ctx, id);
  if (!current) return;
  if (isExpired(dbDateToIso(current.dateTo), moscowToday(ctx.deps.now()))) {
    await alert(ctx, "Даты задачи уже прошли — сначала измените даты («📅 Даты»).");
    return;
  }
  if (current.credentialId === null) {
    await alert(ctx, "У задачи нет рабочего ключа. Добавьте ключ в /keys и создайте задачу заново.");
    return;
  }
  let task: MonitoringTask;
  try {
    task = await ctx.deps.repos.tasks.setStatusOwned(ctx.userId, id, "ACTIVE", RESUMABLE);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    return refusedChange(ctx, id);
  }
  await upsertMonitor(ctx.deps.queues, id);
  await ctx.deps.repos.operations.log(ctx.userId, "task.resumed", { taskId: id });
  await ack(ctx, "Задача снова ищет слот");
  await showCard(ctx, task, "▶️ Задача снова ищет слот.");
}

async function remove(ctx: BotContext, id: number): Promise<void> {
  try {
    await ctx.deps.repos.tasks.deleteOwned(ctx.userId, id);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    await alert(ctx, TASK_NOT_FOUND_TEXT);
    return;
  }
  await removeMonitor(ctx.deps.queues, id);
  await ctx.deps.repos.operations.log(ctx.userId, "task.deleted", { taskId: id });
  await ack(ctx, "Задача удалена");
  await showList(ctx, 1);
}

function calendarKeyboard(taskId: number, cal: CalendarState, today: string): ReturnType<typeof renderCalendar> {
  return [...renderCalendar(cal, today, MONITOR_HORIZON_DAYS), [{ text: "✖️ Отмена", callback_data: taskCallback("view", taskId) }]];
}

async function showDates(ctx: BotContext, taskId: number, cal: CalendarState): Promise<void> {
  const today = moscowToday(ctx.deps.now());
  await showScreen(ctx, `<b>Задача #${taskId} · новые даты</b>\n${calendarPromptText(cal)}\nДаты — по Москве.`, calendarKeyboard(taskId, cal, today));
}

async function startDates(ctx: BotContext, id: number): Promise<void> {
  const task = await owned(ctx, id);
  if (!task) return;
  if (isTaskStatus(task.status) && isTerminal(task.status)) {
    await alert(ctx, "Эту задачу уже не изменить. Создайте новую: /monitor");
    return;
  }
  await ack(ctx);
  const today = moscowToday(ctx.deps.now());
  const cal = initialCalendarState(today);
  await ctx.enter(TASKS_DATES_SCENE, { taskId: id, cal } as unknown as Prisma.InputJsonValue);
  await showDates(ctx, id, cal);
}

async function history(ctx: BotContext, id: number): Promise<void> {
  const task = await owned(ctx, id);
  if (!task) return;
  await ack(ctx);
  const bookings = (await ctx.deps.repos.bookings.listForUser(ctx.userId, 100)).filter((b) => b.taskId === task.id);
  await showScreen(ctx, bookingHistoryText(task.id, bookings), [[{ text: "◀ К задаче", callback_data: taskCallback("view", id) }]]);
}

// ---- entry points ---------------------------------------------------------------------

composer.command("tasks", async (ctx) => {
  // A command ends whatever wizard was open (as /keys does).
  if (ctx.conversation) await ctx.leave();
  await showList(ctx, 1);
});
composer.action("menu:tasks", async (ctx) => {
  await ack(ctx);
  // A command ends whatever wizard was open (as /keys does).
  if (ctx.conversation) await ctx.leave();
  await showList(ctx, 1);
});

// ---- calendar of «Изменить даты» ---------------------------------------------------------

composer.action(/^cal:/, async (ctx, next) => {
  if (!ctx.inScene(TASKS_DATES_SCENE)) {
    if (CALENDAR_SCENES.some((scene) => ctx.inScene(scene))) return next();
    await alert(ctx, CALENDAR_STALE_TEXT);
    return;
  }
  const action = parseCalendarCallback(callbackData(ctx));
  const st = readDatesState(ctx.conversation?.data);
  if (!st) {
    await ctx.leave();
    await alert(ctx, CALENDAR_STALE_TEXT);
    return;
  }
  if (!action) {
    await alert(ctx, CALENDAR_BAD_TEXT);
    return;
  }
  const today = moscowToday(ctx.deps.now());
  const result = applyCalendarAction(st.cal, action, today, MONITOR_HORIZON_DAYS);
  if (result.error) await alert(ctx, result.error);
  else await ack(ctx);
  if (result.result === "ignored") return;
  if (result.result === "updated") {
    await ctx.enter(TASKS_DATES_SCENE, { taskId: st.taskId, cal: result.state } as unknown as Prisma.InputJsonValue);
    await showDates(ctx, st.taskId, result.state);
    return;
  }
  const dateFrom = result.state.start ?? today;
  const dateTo = result.state.end ?? dateFrom;
  await ctx.leave();
  let task: MonitoringTask;
  try {
    task = await ctx.deps.repos.tasks.updateDatesOwned(ctx.userId, st.taskId, dateFrom, dateTo);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    await showScreen(ctx, TASK_NOT_FOUND_TEXT);
    return;
  }
  await showCard(ctx, task, "📅 Даты изменены.");
});

// ---- task buttons (`task:*`) ---------------------------------------------------------------

composer.action(/^task:/, async (ctx) => {
  const decoded = decodeCallback(callbackData(ctx));
  const arg = decoded?.args.length === 1 ? decoded.args[0] : undefined;
  const n = parseCallbackId(arg);
  if (!decoded || n === null) {
    await alert(ctx, STALE_BUTTON_TEXT);
    return;
  }
  if (decoded.action !== "dates" && ctx.inScene(TASKS_DATES_SCENE)) await ctx.leave();
  switch (decoded.action) {
    case "list":
      await ack(ctx);
      await showList(ctx, n);
      return;
    case "view": {
      const task = await owned(ctx, n);
      if (!task) return;
      await ack(ctx);
      await showCard(ctx, task);
      return;
    }
    case "pause":
      await pause(ctx, n);
      return;
    case "resume":
      await resume(ctx, n);
      return;
    case "del": {
      const task = await owned(ctx, n);
      if (!task) return;
      await ack(ctx);
      await showScreen(ctx, `Удалить задачу #${task.id}? Это нельзя отменить.`, deleteConfirmKeyboard(task.id));
      return;
    }
    case "delok":
      await remove(ctx, n);
      return;
    case "dates":
      await startDates(ctx, n);
      return;
    case "hist":
      await history(ctx, n);
      return;
    default:
      await alert(ctx, STALE_BUTTON_TEXT);
  }
});

/**
 * @returns the first list page for a `menu:tasks` press or a `/tasks` command (both show it), else null
 */
export function tasksPrefetch(ctx: BotContext): TaskPageRequest | null {
  if (callbackData(ctx) === "menu:tasks") return pageRequest(1);
  const text = messageText(ctx);
  return text !== undefined && /^\/tasks(?:@\w+)?(?:\s|$)/.test(text) ? pageRequest(1) : null;
}

/** The /tasks feature (also `menu:tasks`). */
export const tasksFeature: Feature = { name: "tasks", composer, prefetchTaskPage: tasksPrefetch };
