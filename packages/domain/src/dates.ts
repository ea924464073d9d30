/**
 * Moscow calendar dates. WB's dates are Moscow dates (UTC+3 all year, no DST since 2014),
 * so "today" for a seller is the Moscow date, whatever the server's time zone is.
 * Pure functions on `YYYY-MM-DD` strings; no I/O.
 */
import type { IsoDate } from "./slot";

/** Moscow's fixed offset from UTC in milliseconds (UTC+3, no DST). */
export const MOSCOW_OFFSET_MS = 3 * 60 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;
const ISO_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Russian month names in the nominative case, index 0 = January (for headers: «Декабрь 2026»). */
export const RU_MONTHS: readonly string[] = [
  "Январь", "Февраль", "Март", "Апрель", "Май", "Июнь",
  "Июль", "Август", "Сентябрь", "Октябрь", "Ноябрь", "Декабрь",
];

/** Short Russian weekday names, Monday first. */
export const RU_WEEKDAYS_SHORT: readonly string[] = ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"];

/** The parts of a calendar date; month is 1-12. */
export interface DateParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/**
 * Whether a Gregorian year is a leap year.
 * @returns true for 2028, 2000; false for 2026, 2100
 */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/**
 * Number of days in a month.
 * @param month 1-12
 * @returns 28-31, or 0 when year/month are not integers in range
 */
export function daysInMonth(year: number, month: number): number {
  if (!Number.isInteger(year) || !Number.isInteger(month) || month < 1 || month > 12) return 0;
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Builds an ISO date from parts without validating them (see {@link isValidDateParts}).
 * @example toIsoDate(2026, 12, 5) → "2026-12-05"
 */
export function toIsoDate(year: number, month: number, day: number): IsoDate {
  return `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

/**
 * Whether parts name a real date (year 1-9999, month 1-12, day within the month).
 */
export function isValidDateParts(year: number, month: number, day: number): boolean {
  return (
    Number.isInteger(year) && year >= 1 && year <= 9999 &&
    Number.isInteger(day) && day >= 1 && day <= daysInMonth(year, month)
  );
}

/**
 * Parses a strict `YYYY-MM-DD` string into parts.
 * @returns the parts, or null when the text is not a real calendar date (e.g. "2026-02-30")
 */
export function parseIsoDate(value: unknown): DateParts | null {
  if (typeof value !== "string") return null;
  const m = ISO_DATE_RE.exec(value);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  return isValidDateParts(year, month, day) ? { year, month, day } : null;
}

/**
 * Narrows a value to a real `YYYY-MM-DD` date.
 * @returns false for "2026-02-30", "2026-1-05", non-strings
 */
export function isIsoDate(value: unknown): value is IsoDate {
  return parseIsoDate(value) !== null;
}

function requireParts(d: IsoDate): DateParts {
  const p = parseIsoDate(d);
  if (!p) throw new RangeError(`Not an ISO date: ${JSON.stringify(d)}`);
  return p;
}

function toEpochDay(d: IsoDate): number {
  const p = requireParts(d);
  return Math.floor(Date.UTC(p.year, p.month - 1, p.day) / DAY_MS);
}

function fromUtcDate(date: Date): IsoDate {
  return toIsoDate(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate());
}

/**
 * The Moscow calendar date at a given instant.
 * @example moscowToday(new Date("2026-12-04T21:30:00Z")) → "2026-12-05"
 */
export function moscowToday(now: Date): IsoDate {
  return fromUtcDate(new Date(now.getTime() + MOSCOW_OFFSET_MS));
}

/**
 * Adds (or with a negative n subtracts) whole days.
 * @throws RangeError when `d` is not a valid ISO date or n is not an integer
 */
export function addDays(d: IsoDate, n: number): IsoDate {
  if (!Number.isInteger(n)) throw new RangeError(`Not an integer day count: ${n}`);
  return fromUtcDate(new Date((toEpochDay(d) + n) * DAY_MS));
}

/**
 * Whole days from `a` to `b` (positive when b is later).
 * @throws RangeError on invalid dates
 */
export function diffDays(a: IsoDate, b: IsoDate): number {
  return toEpochDay(b) - toEpochDay(a);
}

/**
 * Orders two ISO dates; usable as an `Array.prototype.sort` comparator.
 * @returns -1, 0 or 1
 */
export function compareIsoDate(a: IsoDate, b: IsoDate): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Formats an ISO date the Russian way.
 * @example formatRuDate("2026-12-05") → "05.12.2026"
 * @returns the input unchanged when it is not a valid date
 */
export function formatRuDate(d: IsoDate): string {
  const p = parseIsoDate(d);
  if (!p) return d;
  return `${String(p.day).padStart(2, "0")}.${String(p.month).padStart(2, "0")}.${String(p.year).padStart(4, "0")}`;
}

/**
 * Day of the week, Monday first: 0 = Monday … 6 = Sunday.
 * @example weekdayMondayFirst("2026-12-01") → 1 (Tuesday)
 * @throws RangeError on an invalid date
 */
export function weekdayMondayFirst(d: IsoDate): number {
  // 1970-01-01 (epoch day 0) was a Thursday (index 3).
  return (((toEpochDay(d) + 3) % 7) + 7) % 7;
}
