/**
 * Every user-facing message of the bot and the worker, in Russian, for Telegram's HTML
 * parse mode. User-provided or WB-provided data is escaped with {@link escapeHtml}.
 * Keep all wording here so the bot and the worker say the same thing.
 */
import { BOX_TYPES, type BoxTypeId, type IsoDate, type SlotSource } from "./slot";
import { formatRuDate } from "./dates";
import type { CalendarState } from "./calendar";
import { pricePerBooking, type PlanOffer } from "./plan";
import type { TaskStatus } from "./task";

/** First line of the booking success message (BOOKING_SUCCESS). */
export const BOOKING_SUCCESS_TITLE = "🎉 ПОСТАВКА ПОЙМАНА!";

/** First line of the redistribution success message (REDISTRIBUTION_SUCCESS). */
export const REDISTRIBUTION_SUCCESS_TITLE = "✅ ПЕРЕРАСПРЕДЕЛЕНИЕ ВЫПОЛНЕНО!";

/**
 * Escapes text for Telegram HTML: `&`, `<`, `>`, `"`, `'`.
 */
export function escapeHtml(text: string | number): string {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/**
 * Chooses the Russian plural form for n.
 * @example pluralRu(5, "поставка", "поставки", "поставок") → "поставок"
 */
export function pluralRu(n: number, one: string, few: string, many: string): string {
  const a = Math.abs(Math.trunc(n));
  const d10 = a % 10;
  const d100 = a % 100;
  if (d10 === 1 && d100 !== 11) return one;
  if (d10 >= 2 && d10 <= 4 && (d100 < 12 || d100 > 14)) return few;
  return many;
}

/** «N поставок» with the right plural form. */
function catchesWord(n: number): string {
  return `${n} ${pluralRu(n, "поставка", "поставки", "поставок")}`;
}

/** Russian labels of task statuses. */
export const TASK_STATUS_LABELS: Readonly<Record<TaskStatus, string>> = {
  ACTIVE: "Ищу слот",
  PAUSED: "На паузе",
  BOOKED: "Поставка поймана",
  NEEDS_ACTION: "Нужно ваше действие",
  EXPIRED: "Срок истёк",
  FAILED: "Остановлена из-за ошибки",
};

/** Emoji shown before a task status. */
export const TASK_STATUS_ICONS: Readonly<Record<TaskStatus, string>> = {
  ACTIVE: "🟢",
  PAUSED: "⏸",
  BOOKED: "🎉",
  NEEDS_ACTION: "⚠️",
  EXPIRED: "⌛",
  FAILED: "❌",
};

/** «🟢 Ищу слот» for a status. */
export function taskStatusLabel(status: TaskStatus): string {
  return `${TASK_STATUS_ICONS[status]} ${TASK_STATUS_LABELS[status]}`;
}

/**
 * A coefficient as shown to users: «x0 (бесплатно)», «x3», «закрыто» for −1.
 */
export function coefficientLabel(coefficient: number): string {
  if (coefficient < 0) return "закрыто";
  if (coefficient === 0) return "x0 (бесплатно)";
  return `x${coefficient}`;
}

/**
 * A maximum coefficient as shown to users: «x0 (бесплатно)» for 0, «до x5» otherwise.
 */
export function maxCoefficientLabel(maxCoefficient: number): string {
  return maxCoefficient <= 0 ? "x0 (бесплатно)" : `до x${maxCoefficient}`;
}

/** The Russian name of a box type: «Короба», «Монопаллеты», «Суперсейф». */
export function boxTypeLabel(boxTypeId: BoxTypeId): string {
  return BOX_TYPES[boxTypeId] ?? `Тип ${boxTypeId}`;
}

/** «05.12.2026» for one day, «05.12.2026 — 10.12.2026» for a range. */
export function dateRangeLabel(dateFrom: IsoDate, dateTo: IsoDate): string {
  return dateFrom === dateTo ? formatRuDate(dateFrom) : `${formatRuDate(dateFrom)} — ${formatRuDate(dateTo)}`;
}

/** The Russian name of a slot source. */
export function sourceLabel(source: SlotSource): string {
  return source === "official" ? "официальный API WB" : "кабинет продавца WB (портал)";
}

/** «каждые 10 с» / «каждые 1,1 с» / «каждую минуту» for a refresh interval in seconds. */
export function refreshIntervalLabel(seconds: number): string {
  if (seconds > 0 && seconds < 10 && Math.abs(seconds - Math.round(seconds)) >= 0.05) return `каждые ${seconds.toFixed(1).replace(".", ",")} с`;
  const s = Math.max(1, Math.round(seconds));
  if (s < 60) return s === 1 ? "каждую секунду" : `каждые ${s} с`;
  const m = Math.round(s / 60);
  return m === 1 ? "каждую минуту" : `каждые ${m} ${pluralRu(m, "минуту", "минуты", "минут")}`;
}

/**
 * Escaped, comma-separated warehouse names; after `limit` names «и ещё N».
 */
export function warehouseListLabel(names: readonly string[], limit = 5): string {
  const shown = names.slice(0, limit).map(escapeHtml).join(", ");
  const rest = names.length - limit;
  return rest > 0 ? `${shown} и ещё ${rest}` : shown;
}

/** Parameters of {@link bookingSuccessText}. */
export interface BookingSuccessParams {
  readonly warehouseName: string;
  readonly date: IsoDate;
  readonly boxTypeId: BoxTypeId;
  readonly coefficient: number;
  /** WB supply / preorder id. */
  readonly supplyId: string | number;
  readonly catchesLeft: number;
}

/**
 * The booking success message (BOOKING_SUCCESS); its first line is exactly «🎉 ПОСТАВКА ПОЙМАНА!».
 */
export function bookingSuccessText(p: BookingSuccessParams): string {
  return [
    BOOKING_SUCCESS_TITLE,
    "",
    `🏬 Склад: <b>${escapeHtml(p.warehouseName)}</b>`,
    `📅 Дата: <b>${formatRuDate(p.date)}</b>`,
    `📦 Тип: ${escapeHtml(boxTypeLabel(p.boxTypeId))}`,
    `💰 Коэффициент: ${coefficientLabel(p.coefficient)}`,
    `🧾 Номер поставки: <code>${escapeHtml(p.supplyId)}</code>`,
    "",
    p.catchesLeft > 0 ? `Осталось поставок: ${p.catchesLeft}.` : "Доступные поставки закончились — пополнить: /plan",
  ].join("\n");
}

/** Parameters of {@link redistributionSuccessText}. */
export interface RedistributionSuccessParams {
  readonly nmId: number;
  readonly fromName: string;
  readonly toName: string;
  readonly quantity: number;
}

/**
 * The redistribution success message (REDISTRIBUTION_SUCCESS); first line exactly
 * «✅ ПЕРЕРАСПРЕДЕЛЕНИЕ ВЫПОЛНЕНО!».
 */
export function redistributionSuccessText(p: RedistributionSuccessParams): string {
  return [
    REDISTRIBUTION_SUCCESS_TITLE,
    "",
    `🔢 Артикул: <code>${escapeHtml(p.nmId)}</code>`,
    `📤 Откуда: <b>${escapeHtml(p.fromName)}</b>`,
    `📥 Куда: <b>${escapeHtml(p.toName)}</b>`,
    `📦 Количество: ${escapeHtml(p.quantity)} шт.`,
  ].join("\n");
}

/** Parameters of {@link needsActionCaptchaText}. */
export interface NeedsActionParams {
  readonly warehouseName: string;
  readonly date: IsoDate;
  readonly boxTypeId: BoxTypeId;
  readonly coefficient: number;
  /** Deep link to the portal page where the user books the slot in one tap. */
  readonly portalUrl: string;
}

/**
 * WB asked for a captcha: the user gets the slot with a one-tap portal link; the task keeps watching.
 */
export function needsActionCaptchaText(p: NeedsActionParams): string {
  return [
    "⚠️ <b>Слот найден, но WB просит подтвердить, что вы не робот</b>",
    "",
    `🏬 ${escapeHtml(p.warehouseName)} · 📅 ${formatRuDate(p.date)} · 📦 ${escapeHtml(boxTypeLabel(p.boxTypeId))} · 💰 ${coefficientLabel(p.coefficient)}`,
    "",
    `Забронируйте его сами в одно нажатие: <a href="${escapeHtml(p.portalUrl)}">открыть в кабинете WB</a>.`,
    "Капчу мы не обходим. Задача продолжает следить за слотами.",
  ].join("\n");
}

/** Parameters of {@link invalidKeyText}. */
export interface InvalidKeyParams {
  /** The name the user gave the key. */
  readonly keyName: string;
  /** Tasks moved to another working key. */
  readonly movedTasks: number;
  /** Name of that key, when tasks were moved. */
  readonly movedToKeyName?: string;
  /** Tasks stopped because no other key could take them. */
  readonly stoppedTasks: number;
}

/**
 * A WB key stopped working (401, revoked or expired): what happened to the tasks and what to do.
 */
export function invalidKeyText(p: InvalidKeyParams): string {
  const lines = [
    `🔑 <b>Ключ «${escapeHtml(p.keyName)}» больше не работает</b>`,
    "WB отвечает, что ключ недействителен: его отозвали или истёк срок.",
  ];
  if (p.movedTasks > 0) {
    const to = p.movedToKeyName ? ` на ключ «${escapeHtml(p.movedToKeyName)}»` : " на другой ключ";
    lines.push(`Задачи (${p.movedTasks}) переведены${to} и продолжают работать.`);
  }
  if (p.stoppedTasks > 0) {
    lines.push(`Задачи (${p.stoppedTasks}) остановлены: других рабочих ключей нет.`);
  }
  lines.push("", "Что сделать: создайте новый ключ в кабинете WB (Настройки → Доступ к API, категория «Поставки») и добавьте его через /keys.");
  return lines.join("\n");
}

/** Parameters of {@link sourceDisabledText}. */
export interface SourceDisabledParams {
  /** The source WB switched off. */
  readonly source: SlotSource;
  /** The source we switched to, or null when none is available. */
  readonly fallback: SlotSource | null;
}

/**
 * WB temporarily switched a method off («Метод временно отключён»): not a bad key, not "no slots".
 */
export function sourceDisabledText(p: SourceDisabledParams): string {
  const lines = [`⚙️ <b>WB временно отключил ${sourceLabel(p.source)}</b> для получения слотов.`, "Ваш ключ в порядке."];
  if (p.fallback) {
    lines.push(`Мы переключились на ${sourceLabel(p.fallback)} — задачи продолжают работать.`);
  } else {
    lines.push("Другого источника сейчас нет: задачи ждут, пока WB включит метод обратно.");
    lines.push("Чтобы не ждать, подключите вход в кабинет продавца через /keys.");
  }
  lines.push("Когда WB включит метод, мы вернёмся к нему сами.");
  return lines.join("\n");
}

/**
 * WB turned a previously disabled source back on.
 */
export function sourceRestoredText(source: SlotSource): string {
  return `✅ WB снова включил ${sourceLabel(source)}. Задачи работают как обычно.`;
}

/** One «N поставок — X ⭐» line of an offer. */
export function offerLabel(offer: PlanOffer): string {
  return `${catchesWord(offer.bookings)} — ${offer.priceStars} ⭐`;
}

/** «Купить N поставок за X ⭐» button text. */
export function offerButtonText(offer: PlanOffer): string {
  return `Купить ${catchesWord(offer.bookings)} за ${offer.priceStars} ⭐`;
}

function offersBlock(offers: readonly PlanOffer[]): string[] {
  return offers.map((o) => `• ${offerLabel(o)} (${pricePerBooking(o)} ⭐ за поставку)`);
}

/**
 * The free catches are used up: offer the packages. Tasks are paused until the user pays.
 */
export function trialOverText(offers: readonly PlanOffer[]): string {
  return [
    "🎁 <b>Бесплатные поставки закончились</b>",
    "Задачи на паузе: бронировать новые слоты не на что.",
    "",
    "Пакеты:",
    ...offersBlock(offers),
    "",
    "Оплата — звёздами Telegram. Платите только за пойманные поставки. Подробнее: /plan",
  ].join("\n");
}

/** Parameters of {@link planText}. */
export interface PlanTextParams {
  readonly trialBookings: number;
  readonly paidBookings: number;
  readonly offers: readonly PlanOffer[];
}

/**
 * The /plan message: balance and packages.
 */
export function planText(p: PlanTextParams): string {
  const trial = Math.max(0, p.trialBookings);
  const paid = Math.max(0, p.paidBookings);
  return [
    "💳 <b>Ваш тариф</b>",
    `Бесплатных поставок: ${trial}`,
    `Оплаченных поставок: ${paid}`,
    `Всего доступно: <b>${trial + paid}</b>`,
    "",
    "Списываем одну поставку только когда слот забронирован. Сначала тратятся бесплатные.",
    "",
    "Пакеты:",
    ...offersBlock(p.offers),
  ].join("\n");
}

/**
 * After a successful Stars payment.
 */
export function purchaseSuccessText(p: { bookings: number; catchesLeft: number }): string {
  return `✅ Оплата прошла: +${catchesWord(p.bookings)}. Доступно всего: ${p.catchesLeft}.`;
}

/** Parameters of {@link taskExpiredText}. */
export interface TaskExpiredParams {
  readonly warehouseNames: readonly string[];
  readonly dateFrom: IsoDate;
  readonly dateTo: IsoDate;
}

/**
 * A task's dates have passed without a suitable slot.
 */
export function taskExpiredText(p: TaskExpiredParams): string {
  return [
    "⌛ <b>Срок задачи истёк</b>",
    `Склады: ${warehouseListLabel(p.warehouseNames)}`,
    `Даты: ${dateRangeLabel(p.dateFrom, p.dateTo)}`,
    "Подходящий слот так и не открылся. Поставка не списана.",
    "Создать новую задачу: /monitor",
  ].join("\n");
}

/** Parameters of {@link taskStartedText} and {@link taskSummaryText}. */
export interface TaskDescriptionParams {
  readonly warehouseNames: readonly string[];
  readonly dateFrom: IsoDate;
  readonly dateTo: IsoDate;
  readonly boxTypeId: BoxTypeId;
  readonly maxCoefficient: number;
}

/**
 * The task is created and watching. `refreshSeconds` is the real interval WB's limits allow
 * for the user's credentials (never pretend 1 s).
 */
export function taskStartedText(p: TaskDescriptionParams & { refreshSeconds: number }): string {
  return [
    "🟢 <b>Задача запущена</b>",
    `🏬 Склады: ${warehouseListLabel(p.warehouseNames)}`,
    `📅 Даты: ${dateRangeLabel(p.dateFrom, p.dateTo)}`,
    `📦 Тип: ${escapeHtml(boxTypeLabel(p.boxTypeId))}`,
    `💰 Коэффициент: ${maxCoefficientLabel(p.maxCoefficient)}`,
    "",
    `Данные WB обновляются ${refreshIntervalLabel(p.refreshSeconds)} — чаще WB для вашего ключа не разрешает.`,
    "Как только появится подходящий слот, забронирую его и напишу. Задачи: /tasks",
  ].join("\n");
}

/**
 * One task in the /tasks list.
 */
export function taskSummaryText(p: TaskDescriptionParams & { id: number; status: TaskStatus }): string {
  return [
    `<b>Задача #${p.id}</b> — ${taskStatusLabel(p.status)}`,
    `🏬 ${warehouseListLabel(p.warehouseNames, 3)}`,
    `📅 ${dateRangeLabel(p.dateFrom, p.dateTo)} · 📦 ${escapeHtml(boxTypeLabel(p.boxTypeId))} · 💰 ${maxCoefficientLabel(p.maxCoefficient)}`,
  ].join("\n");
}

/** Shown by /tasks when the user has none. */
export const NO_TASKS_TEXT = "Задач пока нет. Создать: /monitor";

/**
 * The /start message: what the bot does, in three lines, plus the free catches.
 */
export function startText(p: { trialBookings: number }): string {
  return [
    "👋 <b>Привет! Я ловлю слоты поставок FBW на склады Wildberries.</b>",
    "",
    "1. Слежу за коэффициентами приёмки на выбранных складах и датах.",
    "2. Как только открывается слот по вашему коэффициенту — сразу бронирую поставку и пишу вам.",
    "3. Помогаю перераспределять остатки между складами WB.",
    "",
    `🎁 ${p.trialBookings > 0 ? `Первые ${catchesWord(p.trialBookings)} — бесплатно.` : "Тарифы: /plan"}`,
    "Начните с /keys — добавьте ключ API WB, затем /monitor.",
  ].join("\n");
}

/**
 * The /help message.
 */
export function helpText(): string {
  return [
    "<b>Команды</b>",
    "/keys — ключи API WB и вход в кабинет",
    "/monitor — новая задача: склады, даты, тип поставки, коэффициент",
    "/tasks — ваши задачи: пауза, продолжение, удаление",
    "/redistribute — перераспределение остатков между складами",
    "/plan — баланс и покупка поставок",
    "/help — эта справка",
    "",
    "<b>Коэффициент</b>: x0 — бесплатная приёмка, x1 и выше — платная (множитель к базовой стоимости). Я бронирую только слоты не дороже выбранного максимума.",
    "Данные о слотах WB отдаёт с ограничением по частоте, поэтому обновление идёт с интервалом, который разрешает ваш ключ.",
  ].join("\n");
}

/**
 * Apology for an unexpected error, with an id the user can send to support.
 */
export function errorText(errorId: string): string {
  return `😔 Что-то пошло не так. Мы уже разбираемся.\nКод ошибки: <code>${escapeHtml(errorId)}</code> — сообщите его в поддержку, если ошибка повторится.`;
}

/**
 * The prompt above the calendar: what to pick next and what is picked.
 */
export function calendarPromptText(state: Pick<CalendarState, "start" | "end">): string {
  if (!state.start) return "📅 Выберите первый день периода.";
  if (!state.end) {
    return `📅 Начало: <b>${formatRuDate(state.start)}</b>.\nВыберите последний день или нажмите «Готово», чтобы искать только в этот день.`;
  }
  return `📅 Период: <b>${dateRangeLabel(state.start, state.end)}</b>.\nНажмите «Готово» или выберите другую дату, чтобы начать заново.`;
}

/** Short labels of common buttons. */
export const BUTTON_LABELS = {
  pause: "⏸ Пауза",
  resume: "▶️ Продолжить",
  delete: "🗑 Удалить",
  back: "◀ Назад",
  cancel: "Отмена",
  next: "Дальше ▶",
  prevPage: "◀",
  nextPage: "▶",
  done: "Готово",
  reset: "Сбросить",
} as const;
