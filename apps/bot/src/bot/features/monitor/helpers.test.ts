import { describe, expect, it } from "vitest";
import { BOX_TYPE_IDS } from "@wbslots/domain";
import { credentialKindLabel, credentialRefreshMs, isUsableCredential } from "./credentials";
import { goodsSummary, parseGoods, MAX_GOODS_LINES } from "./goods";
import { PICKER_PAGE_SIZE, shortName, warehousePicker } from "./warehouse-picker";
import { boxKeyboard, coefficientKeyboard, completeState, confirmText, keyKeyboard, readMonitorState } from "./wizard";

const bytes = (s: string | undefined): number => Buffer.byteLength(s ?? "");

describe("parseGoods", () => {
  it.each([
    ["2041234567890 120", [{ barcode: "2041234567890", quantity: 120 }]],
    ["2041234567890\t5\n\n 123456;7 ", [{ barcode: "2041234567890", quantity: 5 }, { barcode: "123456", quantity: 7 }]],
    ["123456, 1\n12345678901234567890 100000", [{ barcode: "123456", quantity: 1 }, { barcode: "12345678901234567890", quantity: 100000 }]],
    ["123456x3", [{ barcode: "123456", quantity: 3 }]],
  ])("accepts %j", (text, goods) => {
    expect(parseGoods(text)).toEqual({ ok: true, goods });
  });

  it.each([
    ["", "хотя бы одну"],
    ["12345 10", "от 6 до 20"],
    ["123456789012345678901 1", "от 6 до 20"],
    ["abcdefg 1", "от 6 до 20"],
    ["123456 0", "от 1 до"],
    ["123456 100001", "от 1 до"],
    ["123456 -5", "от 1 до"],
    ["123456 1.5", "от 1 до"],
    ["123456", "баркод количество"],
    ["123456 1 2", "баркод количество"],
    ["123456 1\n123456 2", "уже есть"],
  ])("rejects %j", (text, message) => {
    const result = parseGoods(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join("\n")).toContain(message);
  });

  it("limits the number of lines and reports every bad line with its number", () => {
    const many = Array.from({ length: MAX_GOODS_LINES + 1 }, (_, i) => `${100000 + i} 1`).join("\n");
    expect(parseGoods(many)).toMatchObject({ ok: false, errors: [expect.stringContaining("Слишком много")] });
    const result = parseGoods("123456 1\nbad\n1 1");
    expect(result.ok ? [] : result.errors).toEqual([expect.stringContaining("Строка 2"), expect.stringContaining("Строка 3")]);
  });

  it.each([
    [[{ barcode: "1", quantity: 5 }], "1 баркод, 5 шт."],
    [[{ barcode: "1", quantity: 5 }, { barcode: "2", quantity: 6 }], "2 баркода, 11 шт."],
    [Array.from({ length: 5 }, (_, i) => ({ barcode: String(i), quantity: 1 })), "5 баркодов, 5 шт."],
    [Array.from({ length: 11 }, (_, i) => ({ barcode: String(i), quantity: 1 })), "11 баркодов, 11 шт."],
  ])("summarises goods %#", (goods, text) => {
    expect(goodsSummary(goods)).toBe(text);
  });
});

describe("credentials", () => {
  it.each([
    [{ kind: "OFFICIAL_TOKEN", tokenType: "personal" }, 10_000],
    [{ kind: "OFFICIAL_TOKEN", tokenType: "service" }, 10_000],
    [{ kind: "OFFICIAL_TOKEN", tokenType: null }, 10_000],
    [{ kind: "OFFICIAL_TOKEN", tokenType: "base" }, 3_600_000],
    [{ kind: "PORTAL_SESSION", tokenType: null }, 1_100],
  ] as const)("refresh interval of %j is %d ms", (credential, ms) => {
    expect(credentialRefreshMs(credential)).toBe(ms);
  });

  it.each([
    [{ isValid: true, expiresAt: null }, true],
    [{ isValid: false, expiresAt: null }, false],
    [{ isValid: true, expiresAt: new Date("2020-01-01") }, false],
    [{ isValid: true, expiresAt: new Date("2999-01-01") }, true],
  ])("usable %j → %s", (credential, usable) => {
    expect(isUsableCredential(credential, new Date("2026-06-01"))).toBe(usable);
  });

  it("labels kinds in Russian", () => {
    expect(credentialKindLabel("PORTAL_SESSION", null)).toBe("кабинет продавца");
    expect(credentialKindLabel("OFFICIAL_TOKEN", "base")).toBe("токен Base");
  });
});

describe("warehouse picker", () => {
  it("shows popular warehouses first, 8 per page, with short callbacks", () => {
    const screen = warehousePicker("mon", "Выберите", { page: 1 }, "mon:cancel");
    const buttons = screen.keyboard.flat();
    expect(screen.result.items).toHaveLength(PICKER_PAGE_SIZE);
    expect(buttons[0]?.callback_data).toBe("mon:wh:507");
    expect(buttons.map((b) => b.callback_data)).toEqual(expect.arrayContaining(["mon:whp:2", "mon:whs", "mon:cancel"]));
    expect(buttons.every((b) => bytes(b.callback_data) <= 64)).toBe(true);
  });

  it.each([
    ["казань", "Казань"],
    ["КОЛЕДИНО", "Коледино"],
    ["спб", "Санкт-Петербург"],
  ])("finds %s", (query, name) => {
    const screen = warehousePicker("rd", "t", { page: 1, query }, "rd:cancel");
    expect(screen.result.items.some((w) => w.name.includes(name))).toBe(true);
    expect(screen.keyboard.flat().map((b) => b.callback_data)).toContain("rd:whp:1");
  });

  it("escapes the query and says when nothing matched", () => {
    const screen = warehousePicker("mon", "t", { page: 1, query: "<b>нет</b>" }, "mon:cancel");
    expect(screen.text).toContain("&lt;b&gt;нет&lt;/b&gt;");
    expect(screen.text).toContain("ничего не нашлось");
  });

  it("leaves out an excluded warehouse", () => {
    const screen = warehousePicker("rd", "t", { page: 1 }, "rd:cancel", 507);
    expect(screen.keyboard.flat().map((b) => b.callback_data)).not.toContain("rd:wh:507");
  });

  it.each([
    ["Коледино", "Коледино"],
    ["Санкт-Петербург (Уткина Заводь) и ещё длиннее", "Санкт-Петербург (Уткина Зав…"],
  ])("shortens %s", (name, short) => {
    expect(shortName(name)).toBe(short);
  });
});

describe("wizard keyboards and state", () => {
  it("offers every box type and coefficients 0…20", () => {
    expect(boxKeyboard().flat().map((b) => b.callback_data)).toEqual([...BOX_TYPE_IDS.map((id) => `mon:box:${id}`), "mon:cancel"]);
    expect(coefficientKeyboard().flat().map((b) => b.text)).toEqual(["x0 — только бесплатные", "x1", "x2", "x3", "x5", "x10", "x15", "x20", "✖️ Отмена"]);
  });

  it("keeps key callbacks within 64 bytes", () => {
    const kb = keyKeyboard([{ id: "0b0e7a8e-2f7b-4c47-9a55-2a1d1e4f9c11", name: "Очень длинное имя ключа ".repeat(5), kind: "OFFICIAL_TOKEN", tokenType: "personal" }]);
    expect(kb.flat().every((b) => bytes(b.callback_data) <= 64 && b.text.length <= 60)).toBe(true);
  });

  it.each([[null], ["garbage"], [{ keyId: 5 }], [[1, 2]]])("reads unreadable state %j as empty", (data) => {
    expect(readMonitorState(data)).toEqual({});
  });

  it("completes only a full state and escapes the summary", () => {
    const base = {
      keyId: "k",
      keyName: "<script>",
      keyKind: "OFFICIAL_TOKEN" as const,
      tokenType: "base",
      warehouseId: 507,
      warehouseName: "Коледино & Co",
      boxTypeId: 6,
      maxCoefficient: 0,
      dateFrom: "2026-12-05",
      dateTo: "2026-12-07",
    };
    expect(completeState({ ...base, boxTypeId: 3 })).toBeNull();
    const { dateTo: _dateTo, ...partial } = base;
    expect(completeState(partial)).toBeNull();
    const complete = completeState(base);
    expect(complete).not.toBeNull();
    const text = confirmText(complete!, 3_600_000, 0);
    expect(text).toContain("&lt;script&gt;");
    expect(text).toContain("Коледино &amp; Co");
    expect(text).toContain("Суперсейф");
    expect(text).toContain("05.12.2026 — 07.12.2026");
    expect(text).toContain("каждые 60 минут");
    expect(text).toContain("/plan");
  });
});
