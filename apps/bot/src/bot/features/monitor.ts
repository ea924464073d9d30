/**
 * /monitor — the new-task wizard, every step by buttons: credential → warehouse
 * (popular first, pages, search) → box type → maximum coefficient → date range
 * (calendar) → goods (portal keys only) → confirmation → the task is created and its
 * 1-second monitor scheduled. The state lives in the conversation (ctx.enter).
 * No WB calls: the catalog is bundled, limits are known locally.
 */
import { Composer } from "telegraf";
import {
  applyCalendarAction,
  calendarPromptText,
  compareIsoDate,
  decodeCallback,
  escapeHtml,
  initialCalendarState,
  isBoxTypeId,
  moscowToday,
  parseCalendarCallback,
  parseCallbackId,
  renderCalendar,
  taskStartedText,
  warehouseById,
  DEFAULT_CALENDAR_HORIZON_DAYS,
  type CalendarState,
} from "@wbslots/domain";
import { NotFoundError, type Prisma } from "@wbslots/db";
import { upsertMonitor } from "@wbslots/queues";
import type { BotContext } from "../context";
import type { Feature } from "../create-bot";
import { credentialRefreshMs, isUsableCredential } from "./monitor/credentials";
import { parseGoods } from "./monitor/goods";
import { STALE_BUTTON_TEXT, ack, alert, callbackData, messageText, showScreen, type Keyboard } from "./monitor/ui";
import { PICKER_ACTIONS, PICKER_SEARCH_PROMPT, warehousePicker } from "./monitor/warehouse-picker";
import {
  CALENDAR_BAD_TEXT,
  CALENDAR_SCENES,
  CALENDAR_STALE_TEXT,
  CANCEL_BUTTON,
  COEFFICIENT_TEXT,
  GOODS_TEXT,
  MAX_COEFFICIENT,
  MONITOR_SCENES as S,
  MONITOR_SCOPE,
  boxKeyboard,
  coefficientKeyboard,
  completeState,
  confirmKeyboard,
  confirmText,
  goodsKeyboard,
  keyKeyboard,
  readMonitorState,
  stepHeader,
  type MonitorState,
} from "./monitor/wizard";

/** Days after today the task calendar allows (inclusive). */
export const MONITOR_HORIZON_DAYS = DEFAULT_CALENDAR_HORIZON_DAYS;

/** How long a «✅ Запустить» press holds the per-user lock (double presses create one task). */
const CONFIRM_LOCK_MS = 15_000;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const composer = new Composer<BotContext>();

function state(ctx: BotContext): MonitorState {
  return readMonitorState(ctx.conversation?.data);
}

async function go(ctx: BotContext, scene: string, next: MonitorState): Promise<void> {
  await ctx.enter(scene, next as Prisma.InputJsonValue);
}

function today(ctx: BotContext): string {
  return moscowToday(ctx.deps.now());
}

function isPortal(s: MonitorState): boolean {
  return s.keyKind === "PORTAL_SESSION";
}

// ---- step screens -------------------------------------------------------------------

async function startWizard(ctx: BotContext): Promise<void> {
  const now = ctx.deps.now();
  const keys = (await ctx.deps.repos.apiKeys.list(ctx.userId)).filter((k) => isUsableCredential(k, now));
  if (keys.length === 0) {
    await ctx.leave();
    await showScreen(
      ctx,
      [
        "🔑 <b>Нужен ключ WB</b>",
        "Чтобы следить за слотами, добавьте ключ API WB (категория «Поставки») или вход в кабинет продавца.",
        "Это делается в разделе /keys.",
      ].join("\n"),
      [[{ text: "🔑 Добавить ключ", callback_data: "menu:keys" }]],
    );
    return;
  }
  await go(ctx, S.key, {});
  await showScreen(
    ctx,
    [stepHeader(1, false), "🔑 Каким ключом следить за слотами?", "Автобронирование работает только со входом в кабинет продавца."].join("\n"),
    keyKeyboard(keys),
  );
}

async function showWarehouses(ctx: BotContext, s: MonitorState): Promise<void> {
  const title = `${stepHeader(2, isPortal(s))}\n🏬 <b>Выберите склад</b>`;
  const screen = warehousePicker(MONITOR_SCOPE, title, { page: s.page ?? 1, ...(s.query ? { query: s.query } : {}) }, CANCEL_BUTTON.callback_data);
  await showScreen(ctx, screen.text, screen.keyboard);
}

async function showBox(ctx: BotContext, s: MonitorState): Promise<void> {
  await showScreen(ctx, `${stepHeader(3, isPortal(s))}\n🏬 Склад: <b>${escapeHtml(s.warehouseName ?? "")}</b>\n📦 Выберите тип поставки:`, boxKeyboard());
}

async function showCoefficient(ctx: BotContext, s: MonitorState): Promise<void> {
  await showScreen(ctx, `${stepHeader(4, isPortal(s))}\n${COEFFICIENT_TEXT}`, coefficientKeyboard());
}

function calendarKeyboard(cal: CalendarState, todayIso: string): Keyboard {
  return [...renderCalendar(cal, todayIso, MONITOR_HORIZON_DAYS), [CANCEL_BUTTON]];
}

async function showCalendar(ctx: BotContext, s: MonitorState, cal: CalendarState): Promise<void> {
  const text = `${stepHeader(5, isPortal(s))}\n${calendarPromptText(cal)}\nДаты — по Москве.`;
  await showScreen(ctx, text, calendarKeyboard(cal, today(ctx)));
}

async function showGoods(ctx: BotContext): Promise<void> {
  await showScreen(ctx, `${stepHeader(6, true)}\n${GOODS_TEXT}`, goodsKeyboard());
}

async function showConfirm(ctx: BotContext, s: MonitorState): Promise<void> {
  const complete = completeState(s);
  if (!complete) {
    await ctx.leave();
    await alert(ctx, STALE_BUTTON_TEXT);
    return;
  }
  const refreshMs = credentialRefreshMs({ kind: complete.keyKind, tokenType: complete.tokenType });
  const catches = await ctx.deps.repos.users.catches(ctx.userId);
  await showScreen(ctx, confirmText(complete, refreshMs, catches.trial + catches.paid), confirmKeyboard());
}

// ---- entry points -------------------------------------------------------------------

composer.command("monitor", startWizard);
composer.action("menu:monitor", async (ctx) => {
  await ack(ctx);
  await startWizard(ctx);
});

// ---- calendar (`cal:*`) -------------------------------------------------------------

composer.action(/^cal:/, async (ctx, next) => {
  if (!ctx.inScene(S.dates)) {
    // Another feature's calendar step (e.g. /tasks «Изменить даты») handles it.
    if (CALENDAR_SCENES.some((scene) => ctx.inScene(scene))) return next();
    await alert(ctx, CALENDAR_STALE_TEXT);
    return;
  }
  const action = parseCalendarCallback(callbackData(ctx));
  if (!action) {
    await alert(ctx, CALENDAR_BAD_TEXT);
    return;
  }
  const s = state(ctx);
  const todayIso = today(ctx);
  const current = s.cal ?? initialCalendarState(todayIso);
  const result = applyCalendarAction(current, action, todayIso, MONITOR_HORIZON_DAYS);
  if (result.error) await alert(ctx, result.error);
  else await ack(ctx);
  if (result.result === "ignored") return;
  if (result.result === "updated") {
    await go(ctx, S.dates, { ...s, cal: result.state });
    await showCalendar(ctx, s, result.state);
    return;
  }
  const dateFrom = result.state.start ?? todayIso;
  const dateTo = result.state.end ?? dateFrom;
  const next2: MonitorState = { ...s, cal: result.state, dateFrom, dateTo };
  if (isPortal(s)) {
    await go(ctx, S.goods, next2);
    await showGoods(ctx);
  } else {
    await go(ctx, S.confirm, next2);
    await showConfirm(ctx, next2);
  }
});

// ---- wizard buttons (`mon:*`) -------------------------------------------------------

composer.action(/^mon:/, async (ctx) => {
  const decoded = decodeCallback(callbackData(ctx));
  if (!decoded) {
    await alert(ctx, STALE_BUTTON_TEXT);
    return;
  }
  const { action, args } = decoded;
  if (action === "noop") {
    await ack(ctx);
    return;
  }
  if (action === "cancel") {
    await ack(ctx);
    if (ctx.inScene("monitor")) await ctx.leave();
    await showScreen(ctx, "Создание задачи отменено. Начать заново: /monitor");
    return;
  }
  if (!ctx.inScene("monitor")) {
    await alert(ctx, STALE_BUTTON_TEXT);
    return;
  }
  const s = state(ctx);
  const scene = ctx.conversation?.scene;
  const inPicker = scene === S.warehouse || scene === S.search;
  const arg = args[0];

  switch (action) {
    case "key": {
      if (scene !== S.key || arg === undefined || args.length !== 1 || !UUID_RE.test(arg)) break;
      let key;
      try {
        key = await ctx.deps.repos.apiKeys.getOwned(ctx.userId, arg);
      } catch (error) {
        if (error instanceof NotFoundError) {
          await alert(ctx, "Ключ не найден. Откройте /monitor заново.");
          return;
        }
        throw error;
      }
      if (!isUsableCredential(key, ctx.deps.now())) {
        await alert(ctx, "Этот ключ больше не работает. Обновите его в /keys или выберите другой.");
        return;
      }
      await ack(ctx);
      const next: MonitorState = { keyId: key.id, keyName: key.name, keyKind: key.kind, tokenType: key.tokenType, page: 1 };
      await go(ctx, S.warehouse, next);
      await showWarehouses(ctx, next);
      return;
    }
    case PICKER_ACTIONS.page:
    case PICKER_ACTIONS.results: {
      const page = parseCallbackId(arg);
      if (!inPicker || page === null || page < 1) break;
      await ack(ctx);
      const next: MonitorState = { ...s, page };
      if (action === PICKER_ACTIONS.page) delete next.query;
      await go(ctx, S.warehouse, next);
      await showWarehouses(ctx, next);
      return;
    }
    case PICKER_ACTIONS.search: {
      if (!inPicker) break;
      await ack(ctx);
      await go(ctx, S.search, s);
      await showScreen(ctx, PICKER_SEARCH_PROMPT, [[{ text: "📋 Все склады", callback_data: "mon:whp:1" }], [CANCEL_BUTTON]]);
      return;
    }
    case PICKER_ACTIONS.choose: {
      const id = parseCallbackId(arg);
      const warehouse = id === null ? undefined : warehouseById(id);
      if (!inPicker || !warehouse) break;
      await ack(ctx);
      const next: MonitorState = { ...s, warehouseId: warehouse.id, warehouseName: warehouse.name };
      await go(ctx, S.box, next);
      await showBox(ctx, next);
      return;
    }
    case "box": {
      const id = parseCallbackId(arg);
      if (scene !== S.box || id === null || !isBoxTypeId(id)) break;
      await ack(ctx);
      const next: MonitorState = { ...s, boxTypeId: id };
      await go(ctx, S.coefficient, next);
      await showCoefficient(ctx, next);
      return;
    }
    case "coef": {
      const n = parseCallbackId(arg);
      if (scene !== S.coefficient || n === null || n > MAX_COEFFICIENT) break;
      await ack(ctx);
      const cal = s.cal ?? initialCalendarState(today(ctx));
      const next: MonitorState = { ...s, maxCoefficient: n, cal };
      await go(ctx, S.dates, next);
      await showCalendar(ctx, next, cal);
      return;
    }
    case "skip": {
      if (scene !== S.goods) break;
      await ack(ctx);
      const next: MonitorState = { ...s, goods: null };
      await go(ctx, S.confirm, next);
      await showConfirm(ctx, next);
      return;
    }
    case "go": {
      if (scene !== S.confirm) break;
      await createTask(ctx, s);
      return;
    }
    default:
      break;
  }
  await alert(ctx, STALE_BUTTON_TEXT);
});

// ---- typed text: search query, goods -------------------------------------------------

composer.on("text", async (ctx, next) => {
  if (!ctx.inScene("monitor")) return next();
  const text = messageText(ctx) ?? "";
  if (text.startsWith("/")) return next();
  const s = state(ctx);
  const scene = ctx.conversation?.scene;
  if (scene === S.search || scene === S.warehouse) {
    const query = text.trim().slice(0, 64);
    const nextState: MonitorState = { ...s, page: 1, query };
    await go(ctx, S.warehouse, nextState);
    await showWarehouses(ctx, nextState);
    return;
  }
  if (scene === S.goods) {
    const parsed = parseGoods(text);
    if (!parsed.ok) {
      const shown = parsed.errors.slice(0, 10).map(escapeHtml);
      if (parsed.errors.length > shown.length) shown.push(`…и ещё ошибок: ${parsed.errors.length - shown.length}`);
      await ctx.reply(["❗️ Не получилось разобрать товары:", ...shown, "", "Исправьте и пришлите список целиком или нажмите «Пропустить»."].join("\n"), {
        parse_mode: "HTML",
        reply_markup: { inline_keyboard: goodsKeyboard() },
      });
      return;
    }
    const nextState: MonitorState = { ...s, goods: parsed.goods };
    await go(ctx, S.confirm, nextState);
    await showConfirm(ctx, nextState);
    return;
  }
  await ctx.reply("Выберите вариант кнопками выше или отмените: «✖️ Отмена».");
});

// ---- creation ------------------------------------------------------------------------

async function createTask(ctx: BotContext, s: MonitorState): Promise<void> {
  const { repos, queues, redis, config } = ctx.deps;
  const complete = completeState(s);
  if (!complete) {
    await ctx.leave();
    await alert(ctx, STALE_BUTTON_TEXT);
    return;
  }
  const lockKey = `${config.QUEUE_PREFIX}:lock:monitor-confirm:${ctx.userId}`;
  const locked = await redis.set(lockKey, "1", "PX", CONFIRM_LOCK_MS, "NX");
  if (locked !== "OK") {
    await ack(ctx, "Уже запускаю…");
    return;
  }
  try {
    let key;
    try {
      key = await repos.apiKeys.getOwned(ctx.userId, complete.keyId);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      await ctx.leave();
      await alert(ctx, "Ключ удалён. Начните заново: /monitor");
      return;
    }
    if (!isUsableCredential(key, ctx.deps.now())) {
      await alert(ctx, "Ключ больше не работает. Обновите его в /keys.");
      return;
    }
    const todayIso = today(ctx);
    if (compareIsoDate(complete.dateTo, todayIso) < 0) {
      const cal = initialCalendarState(todayIso);
      const { dateFrom: _from, dateTo: _to, ...rest } = s;
      await go(ctx, S.dates, { ...rest, cal });
      await alert(ctx, "Выбранные даты уже прошли — выберите даты заново.");
      await showCalendar(ctx, s, cal);
      return;
    }
    const dateFrom = compareIsoDate(complete.dateFrom, todayIso) < 0 ? todayIso : complete.dateFrom;
    const task = await repos.tasks.create({
      userId: ctx.userId,
      credentialId: key.id,
      warehouseId: complete.warehouseId,
      warehouseName: complete.warehouseName,
      dateFrom,
      dateTo: complete.dateTo,
      boxTypeId: complete.boxTypeId,
      maxCoefficient: complete.maxCoefficient,
      goods: complete.goods,
    });
    await ctx.leave();
    try {
      await upsertMonitor(queues, task.id);
    } catch (error) {
      // Postgres is the source of truth: the reconciler rebuilds missing schedulers.
      ctx.log.error({ err: error, taskId: task.id }, "upsertMonitor failed; the reconciler will restore the scheduler");
    }
    await repos.operations.log(ctx.userId, "task.created", {
      taskId: task.id,
      warehouseId: task.warehouseId,
      boxTypeId: task.boxTypeId,
      maxCoefficient: task.maxCoefficient,
      credentialKind: key.kind,
    });
    await ack(ctx, "Задача запущена");
    const refreshMs = credentialRefreshMs(key);
    const text = [
      taskStartedText({
        warehouseNames: [complete.warehouseName],
        dateFrom,
        dateTo: complete.dateTo,
        boxTypeId: complete.boxTypeId,
        maxCoefficient: complete.maxCoefficient,
        refreshSeconds: refreshMs / 1000,
      }),
      "Проверка условий идёт каждую секунду по последнему снимку данных WB.",
    ].join("\n");
    await showScreen(ctx, text, [[{ text: "📋 Мои задачи", callback_data: "menu:tasks" }]]);
  } finally {
    await redis.del(lockKey);
  }
}

/** The /monitor feature: the new-task wizard (also `menu:monitor`) and the task calendar. */
export const monitorFeature: Feature = { name: "monitor", composer };
