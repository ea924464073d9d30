/**
 * The date-range calendar shown as a Telegram inline keyboard.
 *
 * The bot keeps a {@link CalendarState} per conversation; every button carries callback
 * data `cal:{action}:{year}:{month}:{day}` (CONTRACT.md). Rendering and applying a press
 * are pure functions here, so the bot only stores the state and edits the message.
 *
 * Selection rules (see {@link applyCalendarAction}):
 * - first pick sets `start`; a second pick on or after `start` sets `end`;
 * - a second pick before `start` restarts the range from that day (start moves back, no end);
 * - a pick after a complete range starts a new range from that day;
 * - a single day is a valid choice: «Готово» with only `start` gives start = end.
 *
 * Selectable window: from `today` to `today + horizonDays` inclusive (Moscow dates),
 * `horizonDays` defaults to {@link DEFAULT_CALENDAR_HORIZON_DAYS} (30). WB publishes
 * coefficients 14 days ahead, but a task may watch dates further out: they come into
 * WB's window as days pass. Pass 14 (or less) to restrict picking to what WB shows now.
 */
import type { IsoDate } from "./slot";
import {
  RU_MONTHS,
  RU_WEEKDAYS_SHORT,
  addDays,
  compareIsoDate,
  daysInMonth,
  formatRuDate,
  isValidDateParts,
  parseIsoDate,
  toIsoDate,
  weekdayMondayFirst,
} from "./dates";

/** Default number of days after today the user may pick (inclusive). */
export const DEFAULT_CALENDAR_HORIZON_DAYS = 30;

/** Callback data prefix of every calendar button. */
export const CALENDAR_CALLBACK_PREFIX = "cal";

/** Calendar actions: navigate, pick a day, inert button, clear selection, confirm. */
export type CalendarActionType = "nav" | "pick" | "noop" | "reset" | "done";

/** All calendar action names. */
export const CALENDAR_ACTIONS: readonly CalendarActionType[] = ["nav", "pick", "noop", "reset", "done"];

/** Text markers used in day buttons. */
export const CALENDAR_MARKERS = {
  /** Inert day (past or beyond the horizon). */
  inert: "·",
  /** Empty cell before the 1st / after the last day of the month. */
  blank: " ",
  /** Navigation arrows. */
  prev: "◀",
  next: "▶",
} as const;

/** What the calendar keeps between presses. `month` is 1-12; the range is inclusive. */
export interface CalendarState {
  readonly year: number;
  readonly month: number;
  readonly start?: IsoDate;
  readonly end?: IsoDate;
}

/** One Telegram inline keyboard button as plain data. */
export interface InlineButton {
  readonly text: string;
  readonly callback_data: string;
}

/** A Telegram inline keyboard as plain data (rows of buttons). */
export type InlineKeyboard = InlineButton[][];

/** A parsed calendar callback. `date` is the ISO form of year/month/day. */
export interface CalendarAction {
  readonly action: CalendarActionType;
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly date: IsoDate;
}

/** Outcome of a press: "updated" → re-render, "done" → range chosen, "ignored" → answer only. */
export type CalendarResultKind = "updated" | "done" | "ignored";

/** Result of {@link applyCalendarAction}; `error` is a Russian alert for answerCallbackQuery. */
export interface CalendarResult {
  readonly state: CalendarState;
  readonly result: CalendarResultKind;
  readonly error?: string;
}

/** Russian alert texts the calendar can answer with. */
export const CALENDAR_ERRORS = {
  past: "Эта дата уже прошла",
  noSelection: "Сначала выберите дату",
  navOutOfRange: "Дальше листать нельзя",
  stale: "Выбранная дата уже прошла — выберите даты заново",
} as const;

/** Russian alert for a date beyond the horizon. */
export function calendarTooFarError(lastDate: IsoDate): string {
  return `WB не показывает слоты так далеко. Последняя доступная дата — ${formatRuDate(lastDate)}`;
}

/**
 * The calendar opened on today's month with nothing selected.
 * @throws RangeError when `today` is not a valid ISO date
 */
export function initialCalendarState(today: IsoDate): CalendarState {
  const p = parseIsoDate(today);
  if (!p) throw new RangeError(`Not an ISO date: ${JSON.stringify(today)}`);
  return { year: p.year, month: p.month };
}

/**
 * Last selectable date: `today + horizonDays` (inclusive).
 */
export function lastSelectableDate(today: IsoDate, horizonDays: number = DEFAULT_CALENDAR_HORIZON_DAYS): IsoDate {
  return addDays(today, Math.max(0, Math.floor(horizonDays)));
}

/**
 * Whether a date may be picked: today ≤ date ≤ today + horizonDays.
 */
export function isSelectableDate(date: IsoDate, today: IsoDate, horizonDays: number = DEFAULT_CALENDAR_HORIZON_DAYS): boolean {
  return compareIsoDate(date, today) >= 0 && compareIsoDate(date, lastSelectableDate(today, horizonDays)) <= 0;
}

function monthIndex(year: number, month: number): number {
  return year * 12 + (month - 1);
}

function shiftMonth(year: number, month: number, delta: number): { year: number; month: number } {
  const idx = monthIndex(year, month) + delta;
  return { year: Math.floor(idx / 12), month: (idx % 12) + 1 };
}

/**
 * Whether the calendar may show a month: from today's month to the horizon's month.
 */
export function isMonthAllowed(year: number, month: number, today: IsoDate, horizonDays: number = DEFAULT_CALENDAR_HORIZON_DAYS): boolean {
  const t = parseIsoDate(today);
  const l = parseIsoDate(lastSelectableDate(today, horizonDays));
  if (!t || !l) return false;
  const idx = monthIndex(year, month);
  return idx >= monthIndex(t.year, t.month) && idx <= monthIndex(l.year, l.month);
}

/**
 * The chosen inclusive range, or null when nothing is picked (a lone start is start = end).
 */
export function calendarRange(state: CalendarState): { dateFrom: IsoDate; dateTo: IsoDate } | null {
  if (!state.start) return null;
  return { dateFrom: state.start, dateTo: state.end ?? state.start };
}

/**
 * Builds calendar callback data `cal:{action}:{year}:{month}:{day}` (month/day unpadded).
 */
export function encodeCalendarCallback(action: CalendarActionType, year: number, month: number, day: number): string {
  return `${CALENDAR_CALLBACK_PREFIX}:${action}:${year}:${month}:${day}`;
}

const CAL_RE = /^cal:(nav|pick|noop|reset|done):([1-9]\d{3}):([1-9]|1[0-2]):([1-9]|[12]\d|3[01])$/;

/**
 * Strictly parses calendar callback data. Never throws.
 * Rejects unknown actions, leading zeros, non-numeric or out-of-range parts, impossible
 * dates ("2026-02-30"), missing or extra parts, and anything over 64 bytes.
 * `nav` must point at the 1st of the target month.
 * @returns the action, or null for anything else
 */
export function parseCalendarCallback(data: unknown): CalendarAction | null {
  if (typeof data !== "string" || data.length > 64) return null;
  const m = CAL_RE.exec(data);
  if (!m) return null;
  const action = m[1] as CalendarActionType;
  const year = Number(m[2]);
  const month = Number(m[3]);
  const day = Number(m[4]);
  if (!isValidDateParts(year, month, day)) return null;
  if (action === "nav" && day !== 1) return null;
  return { action, year, month, day, date: toIsoDate(year, month, day) };
}

function dayText(date: IsoDate, day: number, state: CalendarState): string {
  const { start, end } = state;
  if (start && (date === start || date === end)) return `[${day}]`;
  if (start && end && date > start && date < end) return `·${day}·`;
  return String(day);
}

/**
 * Renders the calendar as an inline keyboard:
 * 1. header `◀ | Декабрь 2026 | ▶` (arrows only toward allowed months, else blank noop),
 * 2. «Пн … Вс», 3. Monday-first week rows: selectable days pick, past/beyond-horizon days
 *    are «·» noop, the range ends are «[5]» and days inside it «·5·»,
 * 4. «Сбросить» and, once a day is picked, «Готово».
 * Every callback is `cal:{action}:{year}:{month}:{day}` and ≤ 64 bytes.
 * A state with an invalid month renders today's month.
 * @throws RangeError when `today` is not a valid ISO date (a programming error, never user input)
 */
export function renderCalendar(state: CalendarState, today: IsoDate, horizonDays: number = DEFAULT_CALENDAR_HORIZON_DAYS): InlineKeyboard {
  const t = parseIsoDate(today);
  if (!t) throw new RangeError(`Not an ISO date: ${JSON.stringify(today)}`);
  const valid = isValidDateParts(state.year, state.month, 1);
  const year = valid ? state.year : t.year;
  const month = valid ? state.month : t.month;
  const noop = (d = 1): string => encodeCalendarCallback("noop", year, month, d);

  const prev = shiftMonth(year, month, -1);
  const next = shiftMonth(year, month, 1);
  const header: InlineButton[] = [
    isMonthAllowed(prev.year, prev.month, today, horizonDays)
      ? { text: CALENDAR_MARKERS.prev, callback_data: encodeCalendarCallback("nav", prev.year, prev.month, 1) }
      : { text: CALENDAR_MARKERS.blank, callback_data: noop() },
    { text: `${RU_MONTHS[month - 1] ?? ""} ${year}`, callback_data: noop() },
    isMonthAllowed(next.year, next.month, today, horizonDays)
      ? { text: CALENDAR_MARKERS.next, callback_data: encodeCalendarCallback("nav", next.year, next.month, 1) }
      : { text: CALENDAR_MARKERS.blank, callback_data: noop() },
  ];
  const rows: InlineKeyboard = [header, RU_WEEKDAYS_SHORT.map((text) => ({ text, callback_data: noop() }))];

  const first = toIsoDate(year, month, 1);
  const lead = weekdayMondayFirst(first);
  const total = daysInMonth(year, month);
  let week: InlineButton[] = [];
  for (let i = 0; i < lead; i++) week.push({ text: CALENDAR_MARKERS.blank, callback_data: noop() });
  for (let day = 1; day <= total; day++) {
    const date = toIsoDate(year, month, day);
    week.push(
      isSelectableDate(date, today, horizonDays)
        ? { text: dayText(date, day, state), callback_data: encodeCalendarCallback("pick", year, month, day) }
        : { text: CALENDAR_MARKERS.inert, callback_data: noop(day) },
    );
    if (week.length === 7) {
      rows.push(week);
      week = [];
    }
  }
  if (week.length > 0) {
    while (week.length < 7) week.push({ text: CALENDAR_MARKERS.blank, callback_data: noop() });
    rows.push(week);
  }

  const footer: InlineButton[] = [{ text: "Сбросить", callback_data: encodeCalendarCallback("reset", year, month, 1) }];
  if (state.start) footer.push({ text: "Готово", callback_data: encodeCalendarCallback("done", year, month, 1) });
  rows.push(footer);
  return rows;
}

/**
 * Applies a parsed press to the state. Never throws for any action/state combination.
 * - `noop` → ignored; `nav` → shows the target month if allowed, else ignored with an alert;
 * - `pick` → refuses past dates («Эта дата уже прошла») and dates after today + horizonDays
 *   («WB не показывает слоты так далеко…»); otherwise follows the selection rules of this module;
 * - `reset` → clears the selection (the shown month stays);
 * - `done` → "done" with end = end ?? start, when a day is picked and the range has not gone
 *   into the past meanwhile: a start that has passed is moved to today; a range that has
 *   passed entirely is cleared with an alert.
 */
export function applyCalendarAction(
  state: CalendarState,
  action: CalendarAction,
  today: IsoDate,
  horizonDays: number = DEFAULT_CALENDAR_HORIZON_DAYS,
): CalendarResult {
  if (!parseIsoDate(today) || !isValidDateParts(action.year, action.month, action.day)) {
    return { state, result: "ignored" };
  }
  const date = toIsoDate(action.year, action.month, action.day);
  switch (action.action) {
    case "noop":
      return { state, result: "ignored" };
    case "nav":
      if (!isMonthAllowed(action.year, action.month, today, horizonDays)) {
        return { state, result: "ignored", error: CALENDAR_ERRORS.navOutOfRange };
      }
      return { state: { ...state, year: action.year, month: action.month }, result: "updated" };
    case "reset":
      return { state: { year: state.year, month: state.month }, result: "updated" };
    case "pick": {
      if (compareIsoDate(date, today) < 0) return { state, result: "ignored", error: CALENDAR_ERRORS.past };
      const last = lastSelectableDate(today, horizonDays);
      if (compareIsoDate(date, last) > 0) return { state, result: "ignored", error: calendarTooFarError(last) };
      const base = { year: state.year, month: state.month };
      if (!state.start || state.end || compareIsoDate(date, state.start) < 0) {
        return { state: { ...base, start: date }, result: "updated" };
      }
      return { state: { ...base, start: state.start, end: date }, result: "updated" };
    }
    case "done": {
      const range = calendarRange(state);
      if (!range) return { state, result: "ignored", error: CALENDAR_ERRORS.noSelection };
      if (compareIsoDate(range.dateTo, today) < 0) {
        return { state: { year: state.year, month: state.month }, result: "updated", error: CALENDAR_ERRORS.stale };
      }
      const dateFrom = compareIsoDate(range.dateFrom, today) < 0 ? today : range.dateFrom;
      return { state: { ...state, start: dateFrom, end: range.dateTo }, result: "done" };
    }
    default:
      return { state, result: "ignored" };
  }
}
