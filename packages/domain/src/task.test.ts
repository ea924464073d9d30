import { describe, expect, it } from "vitest";
import { TASK_STATUSES, canTransition, isExpired, isTaskStatus, isTerminal, isWatching, nextStatuses, type TaskStatus } from "./task";

describe("watching / terminal", () => {
  it.each<[TaskStatus, boolean, boolean]>([
    ["ACTIVE", true, false],
    ["NEEDS_ACTION", true, false],
    ["PAUSED", false, false],
    ["BOOKED", false, true],
    ["EXPIRED", false, true],
    ["FAILED", false, false],
  ])("%s watching=%s terminal=%s", (s, watching, terminal) => {
    expect(isWatching(s)).toBe(watching);
    expect(isTerminal(s)).toBe(terminal);
  });
});

describe("canTransition", () => {
  it.each<[TaskStatus, TaskStatus, boolean]>([
    ["ACTIVE", "PAUSED", true],
    ["ACTIVE", "BOOKED", true],
    ["ACTIVE", "NEEDS_ACTION", true],
    ["ACTIVE", "EXPIRED", true],
    ["ACTIVE", "FAILED", true],
    ["ACTIVE", "ACTIVE", false],
    ["PAUSED", "ACTIVE", true],
    ["PAUSED", "BOOKED", false],
    ["PAUSED", "NEEDS_ACTION", false],
    ["PAUSED", "EXPIRED", true],
    ["NEEDS_ACTION", "ACTIVE", true],
    ["NEEDS_ACTION", "BOOKED", true],
    ["NEEDS_ACTION", "PAUSED", true],
    ["FAILED", "ACTIVE", true],
    ["FAILED", "BOOKED", false],
    ["BOOKED", "ACTIVE", false],
    ["BOOKED", "PAUSED", false],
    ["EXPIRED", "ACTIVE", false],
  ])("%s → %s = %s", (from, to, ok) => {
    expect(canTransition(from, to)).toBe(ok);
  });

  it("terminal statuses lead nowhere, and nothing transitions to itself", () => {
    for (const s of TASK_STATUSES) {
      if (isTerminal(s)) expect(nextStatuses(s)).toEqual([]);
      expect(canTransition(s, s)).toBe(false);
    }
  });

  it("unknown status from forged data is refused", () => {
    expect(canTransition("NOPE" as TaskStatus, "ACTIVE")).toBe(false);
  });
});

describe("isTaskStatus", () => {
  it.each([["ACTIVE", true], ["FAILED", true], ["active", false], ["", false], [null, false], [1, false]])("%j → %s", (v, ok) => {
    expect(isTaskStatus(v)).toBe(ok);
  });
});

describe("isExpired", () => {
  it.each([
    ["2026-12-04", "2026-12-05", true],
    ["2026-12-05", "2026-12-05", false],
    ["2026-12-06", "2026-12-05", false],
    ["2026-12-31", "2027-01-01", true],
  ])("dateTo %s today %s → %s", (dateTo, today, expired) => {
    expect(isExpired(dateTo, today)).toBe(expired);
  });
});
