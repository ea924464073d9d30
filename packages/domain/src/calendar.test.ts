import { describe, expect, it } from "vitest";
import {
  CALENDAR_ERRORS,
  applyCalendarAction,
  calendarRange,
  encodeCalendarCallback,
  initialCalendarState,
  isMonthAllowed,
  lastSelectableDate,
  parseCalendarCallback,
  renderCalendar,
  type CalendarAction,
  type CalendarState,
  type InlineKeyboard,
} from "./calendar";

const TODAY = "2026-12-05";

function act(data: string): CalendarAction {
  const a = parseCalendarCallback(data);
  if (!a) throw new Error(`unparsable ${data}`);
  return a;
}

/** Day texts of the week rows (rows 2 … n-2). */
function weekRows(kb: InlineKeyboard): string[][] {
  return kb.slice(2, -1).map((row) => row.map((b) => b.text));
}

function allButtons(kb: InlineKeyboard) {
  return kb.flat();
}

describe("parseCalendarCallback", () => {
  it.each([
    ["cal:pick:2026:12:5", { action: "pick", year: 2026, month: 12, day: 5, date: "2026-12-05" }],
    ["cal:nav:2027:1:1", { action: "nav", year: 2027, month: 1, day: 1, date: "2027-01-01" }],
    ["cal:noop:2026:12:1", { action: "noop", year: 2026, month: 12, day: 1, date: "2026-12-01" }],
    ["cal:reset:2026:12:1", { action: "reset", year: 2026, month: 12, day: 1, date: "2026-12-01" }],
    ["cal:done:2026:12:1", { action: "done", year: 2026, month: 12, day: 1, date: "2026-12-01" }],
    ["cal:pick:2028:2:29", { action: "pick", year: 2028, month: 2, day: 29, date: "2028-02-29" }],
  ])("accepts %s", (data, expected) => {
    expect(parseCalendarCallback(data)).toEqual(expected);
  });

  it.each([
    "cal:pick:2026:2:30",
    "cal:pick:2026:2:29",
    "cal:pick:2026:13:1",
    "cal:pick:2026:0:1",
    "cal:pick:2026:12:0",
    "cal:pick:2026:12:32",
    "cal:pick:2026:012:5",
    "cal:pick:2026:12:05",
    "cal:pick:0999:12:5",
    "cal:pick:26:12:5",
    "cal:pick:2026:12:5:1",
    "cal:pick:2026:12",
    "cal:pick:2026:12:",
    "cal:book:2026:12:5",
    "cal:PICK:2026:12:5",
    "Cal:pick:2026:12:5",
    "cal:pick:2026:12:-5",
    "cal:pick:2026:12:5.0",
    "cal:pick:2026:12:5 ",
    " cal:pick:2026:12:5",
    "cal:pick:2026:1e1:5",
    "cal:nav:2027:1:2",
    "cal:pick:2026:١٢:5",
    "task:pause:1",
    "",
    "cal",
    "cal:::::",
  ])("rejects %j", (data) => {
    expect(parseCalendarCallback(data)).toBeNull();
  });

  it.each([null, undefined, 42, {}, ["cal:pick:2026:12:5"]])("rejects non-string %j", (v) => {
    expect(parseCalendarCallback(v)).toBeNull();
  });

  it("round-trips encode", () => {
    expect(parseCalendarCallback(encodeCalendarCallback("pick", 2027, 1, 31))?.date).toBe("2027-01-31");
  });

  it("fuzz: never throws on random strings", () => {
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = "cal:pickdoneresetnav0123456789-: \u0000éй漢🎉";
    const state: CalendarState = { year: 2026, month: 12 };
    for (let i = 0; i < 500; i++) {
      const len = rnd(40);
      let s = i % 2 === 0 ? "cal:" : "";
      for (let j = 0; j < len; j++) s += alphabet[rnd(alphabet.length)];
      expect(() => {
        const a = parseCalendarCallback(s);
        if (a) applyCalendarAction(state, a, TODAY, 30);
      }).not.toThrow();
    }
    for (let i = 0; i < 300; i++) {
      const s = `cal:${["pick", "nav", "noop", "reset", "done"][rnd(5)]}:${rnd(3000)}:${rnd(15)}:${rnd(35)}`;
      expect(() => {
        const a = parseCalendarCallback(s);
        if (a) applyCalendarAction({ year: 2026, month: 12, start: "2026-12-07" }, a, TODAY, 30);
      }).not.toThrow();
    }
  });

  it("applyCalendarAction does not throw on a forged action object", () => {
    const forged = { action: "pick", year: 2026, month: 2, day: 30, date: "2026-02-30" } as CalendarAction;
    expect(applyCalendarAction({ year: 2026, month: 12 }, forged, TODAY).result).toBe("ignored");
    const weird = { action: "explode", year: 2026, month: 12, day: 6, date: "2026-12-06" } as unknown as CalendarAction;
    expect(applyCalendarAction({ year: 2026, month: 12 }, weird, TODAY).result).toBe("ignored");
  });
});

describe("renderCalendar layout", () => {
  it("December 2026 starts on Tuesday (Monday-first)", () => {
    const kb = renderCalendar({ year: 2026, month: 12 }, "2026-12-01", 60);
    expect(kb[0]?.[1]?.text).toBe("Декабрь 2026");
    expect(kb[1]?.map((b) => b.text)).toEqual(["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]);
    const weeks = weekRows(kb);
    expect(weeks[0]).toEqual([" ", "1", "2", "3", "4", "5", "6"]);
    expect(weeks[4]).toEqual(["28", "29", "30", "31", " ", " ", " "]);
    expect(weeks).toHaveLength(5);
  });

  it.each([
    // [year, month, today, first week row, number of week rows]
    [2028, 2, "2028-02-01", [" ", "1", "2", "3", "4", "5", "6"], 5],
    [2026, 2, "2026-02-01", [" ", " ", " ", " ", " ", " ", "1"], 5],
    [2026, 6, "2026-06-01", ["1", "2", "3", "4", "5", "6", "7"], 5],
    [2026, 3, "2026-03-01", [" ", " ", " ", " ", " ", " ", "1"], 6],
  ] as const)("%i-%i layout", (year, month, today, firstWeek, rows) => {
    const weeks = weekRows(renderCalendar({ year, month }, today, 60));
    expect(weeks[0]).toEqual(firstWeek);
    expect(weeks).toHaveLength(rows);
    for (const w of weeks) expect(w).toHaveLength(7);
  });

  it("leap February 2028 has 29 days, 2026 has 28", () => {
    const count = (y: number, m: number, today: string) =>
      allButtons(renderCalendar({ year: y, month: m }, today, 60)).filter((b) => b.callback_data.startsWith("cal:pick:")).length;
    expect(count(2028, 2, "2028-02-01")).toBe(29);
    expect(count(2026, 2, "2026-02-01")).toBe(28);
  });

  it("past and beyond-horizon days are inert", () => {
    const kb = renderCalendar({ year: 2026, month: 12 }, TODAY, 14);
    const weeks = weekRows(kb);
    // today = Sat 5th; horizon ends on Sat 19th
    expect(weeks[0]).toEqual([" ", "·", "·", "·", "·", "5", "6"]);
    expect(weeks[2]).toEqual(["14", "15", "16", "17", "18", "19", "·"]);
    const picks = allButtons(kb).filter((b) => b.callback_data.startsWith("cal:pick:"));
    expect(picks).toHaveLength(15);
    const inert = allButtons(kb).find((b) => b.text === "·");
    expect(parseCalendarCallback(inert?.callback_data ?? "")?.action).toBe("noop");
  });

  it("navigation is hidden before today's month and beyond the horizon", () => {
    const kb = renderCalendar({ year: 2026, month: 12 }, TODAY, 14);
    expect(kb[0]?.[0]?.text).toBe(" ");
    expect(kb[0]?.[2]?.text).toBe(" ");
    const kb30 = renderCalendar({ year: 2026, month: 12 }, TODAY, 30);
    expect(kb30[0]?.[2]).toEqual({ text: "▶", callback_data: "cal:nav:2027:1:1" });
    const jan = renderCalendar({ year: 2027, month: 1 }, TODAY, 30);
    expect(jan[0]?.[0]).toEqual({ text: "◀", callback_data: "cal:nav:2026:12:1" });
    expect(jan[0]?.[1]?.text).toBe("Январь 2027");
    expect(jan[0]?.[2]?.text).toBe(" ");
    expect(weekRows(jan)[0]).toEqual([" ", " ", " ", " ", "1", "2", "3"]);
    expect(weekRows(jan)[0]?.length).toBe(7);
    // today + 30 = 2027-01-04 → 5th onwards inert
    expect(weekRows(jan)[1]).toEqual(["4", "·", "·", "·", "·", "·", "·"]);
  });

  it("marks the chosen range", () => {
    const kb = renderCalendar({ year: 2026, month: 12, start: "2026-12-07", end: "2026-12-10" }, TODAY, 30);
    const texts = allButtons(kb).map((b) => b.text);
    expect(texts).toContain("[7]");
    expect(texts).toContain("·8·");
    expect(texts).toContain("·9·");
    expect(texts).toContain("[10]");
    expect(texts).toContain("11");
    expect(texts).toContain("6");
    const single = allButtons(renderCalendar({ year: 2026, month: 12, start: "2026-12-07" }, TODAY)).map((b) => b.text);
    expect(single).toContain("[7]");
    expect(single.filter((t) => t.startsWith("·") && t.length > 1)).toEqual([]);
  });

  it("footer: «Готово» only once a day is picked", () => {
    const none = renderCalendar({ year: 2026, month: 12 }, TODAY);
    expect(none.at(-1)?.map((b) => b.text)).toEqual(["Сбросить"]);
    const some = renderCalendar({ year: 2026, month: 12, start: "2026-12-07" }, TODAY);
    expect(some.at(-1)).toEqual([
      { text: "Сбросить", callback_data: "cal:reset:2026:12:1" },
      { text: "Готово", callback_data: "cal:done:2026:12:1" },
    ]);
  });

  it("every callback parses and is ≤ 64 bytes", () => {
    for (const [y, m] of [[2026, 12], [2027, 1], [2028, 2]] as const) {
      for (const b of allButtons(renderCalendar({ year: y, month: m, start: "2026-12-06" }, TODAY, 120))) {
        expect(Buffer.byteLength(b.callback_data, "utf8")).toBeLessThanOrEqual(64);
        expect(parseCalendarCallback(b.callback_data)).not.toBeNull();
        expect(b.text.length).toBeGreaterThan(0);
      }
    }
  });

  it("an invalid state month renders today's month", () => {
    expect(renderCalendar({ year: 2026, month: 13 }, TODAY)[0]?.[1]?.text).toBe("Декабрь 2026");
  });
});

describe("month window", () => {
  it.each([
    [2026, 12, TODAY, 14, true],
    [2027, 1, TODAY, 14, false],
    [2027, 1, TODAY, 30, true],
    [2027, 2, TODAY, 30, false],
    [2026, 11, TODAY, 30, false],
    [2027, 1, "2026-12-31", 1, true],
  ] as const)("%i-%i today %s horizon %i → %s", (y, m, today, h, ok) => {
    expect(isMonthAllowed(y, m, today, h)).toBe(ok);
  });
  it("lastSelectableDate is today + horizon inclusive", () => {
    expect(lastSelectableDate(TODAY, 14)).toBe("2026-12-19");
    expect(lastSelectableDate(TODAY)).toBe("2027-01-04");
  });
});

describe("applyCalendarAction", () => {
  const base: CalendarState = initialCalendarState(TODAY);

  it("initial state is today's month", () => {
    expect(base).toEqual({ year: 2026, month: 12 });
  });

  it.each<[string, CalendarState, string, CalendarState, string, string?]>([
    ["first pick sets start", base, "cal:pick:2026:12:7", { ...base, start: "2026-12-07" }, "updated"],
    ["pick today is allowed", base, "cal:pick:2026:12:5", { ...base, start: "2026-12-05" }, "updated"],
    ["second pick ≥ start sets end", { ...base, start: "2026-12-07" }, "cal:pick:2026:12:10", { ...base, start: "2026-12-07", end: "2026-12-10" }, "updated"],
    ["second pick on start = single day", { ...base, start: "2026-12-07" }, "cal:pick:2026:12:7", { ...base, start: "2026-12-07", end: "2026-12-07" }, "updated"],
    ["pick before start restarts", { ...base, start: "2026-12-07" }, "cal:pick:2026:12:6", { ...base, start: "2026-12-06" }, "updated"],
    ["pick after complete range starts new", { ...base, start: "2026-12-07", end: "2026-12-10" }, "cal:pick:2026:12:8", { ...base, start: "2026-12-08" }, "updated"],
    ["range across the year", { year: 2027, month: 1, start: "2026-12-30" }, "cal:pick:2027:1:3", { year: 2027, month: 1, start: "2026-12-30", end: "2027-01-03" }, "updated"],
    ["past date refused", base, "cal:pick:2026:12:4", base, "ignored", CALENDAR_ERRORS.past],
    ["long past date refused", base, "cal:pick:2020:1:1", base, "ignored", CALENDAR_ERRORS.past],
    ["beyond horizon refused", base, "cal:pick:2027:1:5", base, "ignored", "WB не показывает слоты так далеко. Последняя доступная дата — 04.01.2027"],
    ["horizon edge allowed", base, "cal:pick:2027:1:4", { ...base, start: "2027-01-04" }, "updated"],
    ["noop ignored", base, "cal:noop:2026:12:1", base, "ignored"],
    ["nav next (Dec→Jan)", base, "cal:nav:2027:1:1", { year: 2027, month: 1 }, "updated"],
    ["nav back (Jan→Dec) keeps selection", { year: 2027, month: 1, start: "2026-12-30" }, "cal:nav:2026:12:1", { year: 2026, month: 12, start: "2026-12-30" }, "updated"],
    ["nav before today's month refused", base, "cal:nav:2026:11:1", base, "ignored", CALENDAR_ERRORS.navOutOfRange],
    ["nav beyond horizon refused", base, "cal:nav:2027:2:1", base, "ignored", CALENDAR_ERRORS.navOutOfRange],
    ["reset clears", { ...base, start: "2026-12-07", end: "2026-12-10" }, "cal:reset:2026:12:1", base, "updated"],
    ["done without selection", base, "cal:done:2026:12:1", base, "ignored", CALENDAR_ERRORS.noSelection],
    ["done with single start", { ...base, start: "2026-12-07" }, "cal:done:2026:12:1", { ...base, start: "2026-12-07", end: "2026-12-07" }, "done"],
    ["done with range", { ...base, start: "2026-12-07", end: "2026-12-10" }, "cal:done:2026:12:1", { ...base, start: "2026-12-07", end: "2026-12-10" }, "done"],
    ["done with a start that has passed moves it to today", { ...base, start: "2026-12-01", end: "2026-12-10" }, "cal:done:2026:12:1", { ...base, start: "2026-12-05", end: "2026-12-10" }, "done"],
    ["done with a range entirely past clears it", { ...base, start: "2026-12-01", end: "2026-12-03" }, "cal:done:2026:12:1", base, "updated", CALENDAR_ERRORS.stale],
  ])("%s", (_name, state, data, expectedState, result, error) => {
    const r = applyCalendarAction(state, act(data), TODAY, 30);
    expect(r.state).toEqual(expectedState);
    expect(r.result).toBe(result);
    expect(r.error).toBe(error);
  });

  it("horizon 14 refuses day 15", () => {
    expect(applyCalendarAction(base, act("cal:pick:2026:12:20"), TODAY, 14).result).toBe("ignored");
    expect(applyCalendarAction(base, act("cal:pick:2026:12:19"), TODAY, 14).result).toBe("updated");
  });

  it("leap day pickable in Feb 2028", () => {
    const r = applyCalendarAction({ year: 2028, month: 2 }, act("cal:pick:2028:2:29"), "2028-02-20", 14);
    expect(r.state.start).toBe("2028-02-29");
  });

  it("calendarRange", () => {
    expect(calendarRange(base)).toBeNull();
    expect(calendarRange({ ...base, start: "2026-12-07" })).toEqual({ dateFrom: "2026-12-07", dateTo: "2026-12-07" });
    expect(calendarRange({ ...base, start: "2026-12-07", end: "2026-12-09" })).toEqual({ dateFrom: "2026-12-07", dateTo: "2026-12-09" });
  });

  it("a full flow: pick, pick, done", () => {
    let s = base;
    for (const data of ["cal:nav:2027:1:1", "cal:pick:2027:1:2", "cal:nav:2026:12:1", "cal:pick:2026:12:28"]) {
      s = applyCalendarAction(s, act(data), TODAY).state;
    }
    // 28 Dec is before the start (2 Jan) → restarts from it
    expect(s).toEqual({ year: 2026, month: 12, start: "2026-12-28" });
    s = applyCalendarAction(s, act("cal:pick:2026:12:31"), TODAY).state;
    const done = applyCalendarAction(s, act("cal:done:2026:12:1"), TODAY);
    expect(done.result).toBe("done");
    expect(calendarRange(done.state)).toEqual({ dateFrom: "2026-12-28", dateTo: "2026-12-31" });
  });
});
