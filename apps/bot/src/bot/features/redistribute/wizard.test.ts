import { describe, expect, it } from "vitest";
import { parseNmInput, parseQuantity, readRedistributeState, requestListScreen } from "./wizard";

describe("redistribute parsers", () => {
  it.each([
    ["123456789", { nmId: "123456789", chrtId: null }],
    [" 123456789  987654 ", { nmId: "123456789", chrtId: "987654" }],
    ["123456789,987654", { nmId: "123456789", chrtId: "987654" }],
  ])("parses %j", (text, value) => {
    expect(parseNmInput(text)).toEqual({ ok: true, value });
  });

  it.each(["", "abc", "0123", "1234567890123", "123 abc", "1 2 3", "-5"])("rejects nm input %j", (text) => {
    expect(parseNmInput(text).ok).toBe(false);
  });

  it.each([
    ["50", 50],
    ["1 000", 1000],
    ["100000", 100000],
    ["7 шт", 7],
  ])("parses quantity %j", (text, n) => {
    expect(parseQuantity(text)).toEqual({ ok: true, value: n });
  });

  it.each(["0", "100001", "-1", "1.5", "много", ""])("rejects quantity %j", (text) => {
    expect(parseQuantity(text).ok).toBe(false);
  });

  it("reads unreadable state as empty", () => {
    expect(readRedistributeState({ quantity: "x" })).toEqual({});
  });
});

describe("requestListScreen", () => {
  const base = { nmId: 123n, chrtId: null, srcOfficeId: 507, srcOfficeName: "Коледино", dstOfficeId: 1, dstOfficeName: null, quantity: 5, error: null };
  it("offers cancel only for waiting requests and escapes names", () => {
    const screen = requestListScreen([
      { ...base, id: 1, status: "WAITING", srcOfficeName: "<Склад>" },
      { ...base, id: 2, status: "DONE" },
    ]);
    expect(screen.keyboard.flat().map((b) => b.callback_data)).toEqual(["rd:del:1", "rd:new"]);
    expect(screen.text).toContain("&lt;Склад&gt;");
    expect(screen.text).toContain("Склад №1");
    expect(screen.text).toContain("Ждёт лимитов");
    expect(screen.text).toContain("Выполнена");
  });
});
