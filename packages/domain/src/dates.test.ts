import { describe, expect, it } from "vitest";
import {
  addDays,
  compareIsoDate,
  daysInMonth,
  diffDays,
  formatRuDate,
  isIsoDate,
  isLeapYear,
  moscowToday,
  parseIsoDate,
  toIsoDate,
  weekdayMondayFirst,
} from "./dates";

describe("moscowToday", () => {
  it.each([
    ["2026-12-04T20:59:59.999Z", "2026-12-04"],
    ["2026-12-04T21:00:00.000Z", "2026-12-05"],
    ["2026-12-31T21:00:00.000Z", "2027-01-01"],
    ["2026-06-15T20:59:00.000Z", "2026-06-15"], // no DST in summer
    ["2026-06-15T21:00:00.000Z", "2026-06-16"],
    ["2028-02-28T21:30:00.000Z", "2028-02-29"],
    ["2026-01-01T00:00:00.000Z", "2026-01-01"],
  ])("%s → %s", (instant, expected) => {
    expect(moscowToday(new Date(instant))).toBe(expected);
  });
});

describe("addDays", () => {
  it.each([
    ["2026-12-31", 1, "2027-01-01"],
    ["2027-01-01", -1, "2026-12-31"],
    ["2028-02-28", 1, "2028-02-29"],
    ["2026-02-28", 1, "2026-03-01"],
    ["2026-12-05", 0, "2026-12-05"],
    ["2026-12-05", 14, "2026-12-19"],
    ["2026-12-05", 30, "2027-01-04"],
    ["2024-03-01", -1, "2024-02-29"],
    ["2100-02-28", 1, "2100-03-01"],
    ["2000-02-28", 1, "2000-02-29"],
  ])("%s + %i = %s", (d, n, expected) => {
    expect(addDays(d, n)).toBe(expected);
  });
  it("throws on invalid input", () => {
    expect(() => addDays("2026-02-30", 1)).toThrow(RangeError);
    expect(() => addDays("2026-12-05", 1.5)).toThrow(RangeError);
  });
});

describe("diffDays / compareIsoDate", () => {
  it.each([
    ["2026-12-05", "2026-12-05", 0, 0],
    ["2026-12-05", "2026-12-19", 14, -1],
    ["2026-12-31", "2027-01-01", 1, -1],
    ["2027-01-01", "2026-12-31", -1, 1],
  ] as const)("%s vs %s", (a, b, diff, cmp) => {
    expect(diffDays(a, b)).toBe(diff);
    expect(compareIsoDate(a, b)).toBe(cmp);
  });
  it("sorts", () => {
    expect(["2027-01-01", "2026-12-31", "2026-02-01"].sort(compareIsoDate)).toEqual(["2026-02-01", "2026-12-31", "2027-01-01"]);
  });
});

describe("isIsoDate / parseIsoDate", () => {
  it.each([
    ["2026-12-05", true],
    ["2028-02-29", true],
    ["2026-02-29", false],
    ["2026-02-30", false],
    ["2026-13-01", false],
    ["2026-00-10", false],
    ["2026-12-00", false],
    ["2026-12-32", false],
    ["2026-1-05", false],
    ["2026-12-05T00:00", false],
    [" 2026-12-05", false],
    ["", false],
    [20261205, false],
    [null, false],
    [undefined, false],
  ])("%s → %s", (value, ok) => {
    expect(isIsoDate(value)).toBe(ok);
    expect(parseIsoDate(value) !== null).toBe(ok);
  });
  it("parses parts", () => {
    expect(parseIsoDate("2026-12-05")).toEqual({ year: 2026, month: 12, day: 5 });
    expect(toIsoDate(2026, 1, 5)).toBe("2026-01-05");
  });
});

describe("daysInMonth / isLeapYear", () => {
  it.each([
    [2026, 1, 31], [2026, 2, 28], [2028, 2, 29], [2024, 2, 29], [2100, 2, 28], [2000, 2, 29],
    [2026, 4, 30], [2026, 6, 30], [2026, 9, 30], [2026, 11, 30], [2026, 12, 31], [2026, 7, 31], [2026, 8, 31],
    [2026, 0, 0], [2026, 13, 0], [2026, 1.5, 0],
  ])("%i-%i has %i days", (y, m, n) => {
    expect(daysInMonth(y, m)).toBe(n);
  });
  it.each([[2028, true], [2026, false], [2100, false], [2000, true]])("leap %i = %s", (y, leap) => {
    expect(isLeapYear(y)).toBe(leap);
  });
});

describe("formatRuDate", () => {
  it.each([
    ["2026-12-05", "05.12.2026"],
    ["2027-01-31", "31.01.2027"],
    ["garbage", "garbage"],
  ])("%s → %s", (d, expected) => {
    expect(formatRuDate(d)).toBe(expected);
  });
});

describe("weekdayMondayFirst", () => {
  it.each([
    ["2026-12-01", 1], // Tuesday
    ["2027-01-01", 4], // Friday
    ["2028-02-01", 1],
    ["2028-02-29", 1],
    ["2026-02-01", 6], // Sunday
    ["2026-06-01", 0], // Monday
    ["1970-01-01", 3], // Thursday
    ["1969-12-29", 0], // Monday, before the epoch
  ])("%s → %i", (d, wd) => {
    expect(weekdayMondayFirst(d)).toBe(wd);
  });
});
