import { describe, expect, it } from "vitest";
import {
  BOOKING_SUCCESS_TITLE,
  REDISTRIBUTION_SUCCESS_TITLE,
  TASK_STATUS_LABELS,
  bookingSuccessText,
  calendarPromptText,
  coefficientLabel,
  dateRangeLabel,
  errorText,
  escapeHtml,
  helpText,
  invalidKeyText,
  maxCoefficientLabel,
  needsActionCaptchaText,
  planText,
  pluralRu,
  purchaseSuccessText,
  redistributionSuccessText,
  refreshIntervalLabel,
  sourceDisabledText,
  sourceRestoredText,
  startText,
  taskExpiredText,
  taskStartedText,
  taskStatusLabel,
  taskSummaryText,
  trialOverText,
  warehouseListLabel,
} from "./texts";
import { TASK_STATUSES } from "./task";
import { PLAN_OFFERS } from "./plan";

const EVIL = `<b>"Склад" & 'Co'</b>`;

/** Telegram's HTML mode: every `<` must open one of the allowed tags. */
function assertSafeHtml(html: string): void {
  const tags = html.match(/<\/?([a-z]+)[^>]*>/g) ?? [];
  for (const t of tags) expect(t).toMatch(/^<\/?(b|i|code|a)(\s+href="[^"]*")?>$/);
  expect(html.replace(/<\/?(b|i|code|a)(\s+href="[^"]*")?>/g, "")).not.toMatch(/[<>]/);
  expect(html.length).toBeLessThan(4096);
}

describe("escapeHtml", () => {
  it.each([
    ["a<b>&c", "a&lt;b&gt;&amp;c"],
    [`"x"`, "&quot;x&quot;"],
    ["it's", "it&#39;s"],
    ["Коледино", "Коледино"],
    [42, "42"],
  ])("%j → %j", (v, expected) => {
    expect(escapeHtml(v)).toBe(expected);
  });
});

describe("labels", () => {
  it.each([
    [0, "x0 (бесплатно)"],
    [1, "x1"],
    [5, "x5"],
    [-1, "закрыто"],
  ])("coefficientLabel(%i)", (c, label) => {
    expect(coefficientLabel(c)).toBe(label);
  });
  it.each([
    [0, "x0 (бесплатно)"],
    [5, "до x5"],
    [1, "до x1"],
  ])("maxCoefficientLabel(%i)", (c, label) => {
    expect(maxCoefficientLabel(c)).toBe(label);
  });
  it.each([
    [1, "поставка"], [2, "поставки"], [4, "поставки"], [5, "поставок"], [11, "поставок"], [12, "поставок"],
    [21, "поставка"], [22, "поставки"], [111, "поставок"], [0, "поставок"],
  ])("pluralRu(%i)", (n, word) => {
    expect(pluralRu(n, "поставка", "поставки", "поставок")).toBe(word);
  });
  it.each([
    [1, "каждую секунду"], [1.1, "каждые 1,1 с"], [2.5, "каждые 2,5 с"], [10, "каждые 10 с"], [60, "каждую минуту"], [300, "каждые 5 минут"], [120, "каждые 2 минуты"],
  ])("refreshIntervalLabel(%s)", (s, label) => {
    expect(refreshIntervalLabel(s)).toBe(label);
  });
  it("statuses all have Russian labels", () => {
    for (const s of TASK_STATUSES) {
      expect(TASK_STATUS_LABELS[s]).toMatch(/[а-яё]/i);
      expect(taskStatusLabel(s)).toContain(TASK_STATUS_LABELS[s]);
    }
    expect(TASK_STATUS_LABELS.ACTIVE).toBe("Ищу слот");
  });
  it("date ranges and warehouse lists", () => {
    expect(dateRangeLabel("2026-12-05", "2026-12-05")).toBe("05.12.2026");
    expect(dateRangeLabel("2026-12-05", "2027-01-04")).toBe("05.12.2026 — 04.01.2027");
    expect(warehouseListLabel(["a", "b", "c"], 2)).toBe("a, b и ещё 1");
    expect(warehouseListLabel(["<x>"])).toBe("&lt;x&gt;");
  });
});

describe("success messages", () => {
  it("booking success: first line exactly BOOKING_SUCCESS", () => {
    const text = bookingSuccessText({ warehouseName: "Коледино", date: "2026-12-05", boxTypeId: 2, coefficient: 0, supplyId: 123456, catchesLeft: 1 });
    expect(text.split("\n")[0]).toBe("🎉 ПОСТАВКА ПОЙМАНА!");
    expect(BOOKING_SUCCESS_TITLE).toBe("🎉 ПОСТАВКА ПОЙМАНА!");
    expect(text).toContain("Коледино");
    expect(text).toContain("05.12.2026");
    expect(text).toContain("Короба");
    expect(text).toContain("x0 (бесплатно)");
    expect(text).toContain("123456");
    expect(text).toContain("Осталось поставок: 1");
    assertSafeHtml(text);
    const none = bookingSuccessText({ warehouseName: EVIL, date: "2026-12-05", boxTypeId: 5, coefficient: 3, supplyId: "<1>", catchesLeft: 0 });
    expect(none).toContain("/plan");
    expect(none).not.toContain(EVIL);
    assertSafeHtml(none);
  });

  it("redistribution success: first line exactly REDISTRIBUTION_SUCCESS", () => {
    const text = redistributionSuccessText({ nmId: 987654, fromName: "Коледино", toName: EVIL, quantity: 10 });
    expect(text.split("\n")[0]).toBe("✅ ПЕРЕРАСПРЕДЕЛЕНИЕ ВЫПОЛНЕНО!");
    expect(REDISTRIBUTION_SUCCESS_TITLE).toBe("✅ ПЕРЕРАСПРЕДЕЛЕНИЕ ВЫПОЛНЕНО!");
    expect(text).toContain("987654");
    expect(text).toContain("10 шт.");
    assertSafeHtml(text);
  });
});

describe("notifications", () => {
  it("needs action (captcha): slot, one-tap link, keeps watching", () => {
    const text = needsActionCaptchaText({
      warehouseName: "Тула",
      date: "2026-12-07",
      boxTypeId: 2,
      coefficient: 1,
      portalUrl: "https://seller.wildberries.ru/supplies-management/all-supplies?a=1&b=\"2\"",
    });
    expect(text).toContain('href="https://seller.wildberries.ru/supplies-management/all-supplies?a=1&amp;b=&quot;2&quot;"');
    expect(text).toContain("Тула");
    expect(text).toContain("07.12.2026");
    expect(text).toContain("продолжает следить");
    assertSafeHtml(text);
  });

  it.each([
    [{ keyName: "Основной", movedTasks: 2, movedToKeyName: "Запасной", stoppedTasks: 0 }, ["«Основной»", "переведены на ключ «Запасной»"], ["остановлены"]],
    [{ keyName: EVIL, movedTasks: 0, stoppedTasks: 3 }, ["остановлены", "/keys"], ["переведены"]],
    [{ keyName: "k", movedTasks: 1, stoppedTasks: 1 }, ["на другой ключ", "остановлены"], []],
  ])("invalid key %#", (params, has, hasNot) => {
    const text = invalidKeyText(params);
    for (const s of has) expect(text).toContain(s);
    for (const s of hasNot) expect(text).not.toContain(s);
    assertSafeHtml(text);
  });

  it.each([
    [{ source: "official", fallback: "portal" }, "Мы переключились на кабинет продавца"],
    [{ source: "portal", fallback: "official" }, "Мы переключились на официальный API"],
    [{ source: "official", fallback: null }, "Другого источника сейчас нет"],
  ] as const)("source disabled %#", (params, has) => {
    const text = sourceDisabledText(params);
    expect(text).toContain(has);
    expect(text).toContain("временно отключил");
    expect(text).toContain("ключ в порядке");
    assertSafeHtml(text);
  });

  it("source restored", () => {
    expect(sourceRestoredText("official")).toContain("снова включил официальный API WB");
  });

  it("trial over lists the offers", () => {
    const text = trialOverText(PLAN_OFFERS);
    expect(text).toContain("Бесплатные поставки закончились");
    for (const o of PLAN_OFFERS) expect(text).toContain(`${o.priceStars} ⭐`);
    assertSafeHtml(text);
  });

  it("task expired / started / summary", () => {
    const p = { warehouseNames: ["Коледино", EVIL], dateFrom: "2026-12-05", dateTo: "2026-12-10", boxTypeId: 5 as const, maxCoefficient: 5 };
    const expired = taskExpiredText(p);
    expect(expired).toContain("05.12.2026 — 10.12.2026");
    assertSafeHtml(expired);
    const started = taskStartedText({ ...p, refreshSeconds: 10 });
    expect(started).toContain("каждые 10 с");
    expect(started).toContain("Монопаллеты");
    expect(started).toContain("до x5");
    assertSafeHtml(started);
    const summary = taskSummaryText({ ...p, id: 7, status: "NEEDS_ACTION" });
    expect(summary).toContain("#7");
    expect(summary).toContain("Нужно ваше действие");
    assertSafeHtml(summary);
  });
});

describe("commands", () => {
  it("start has three numbered lines of what the bot does and the trial", () => {
    const text = startText({ trialBookings: 2 });
    expect(text.split("\n").filter((l) => /^\d\. /.test(l))).toHaveLength(3);
    expect(text).toContain("Первые 2 поставки — бесплатно");
    expect(startText({ trialBookings: 0 })).toContain("/plan");
    assertSafeHtml(text);
  });
  it("help lists every command", () => {
    const text = helpText();
    for (const c of ["/keys", "/monitor", "/tasks", "/redistribute", "/plan", "/help"]) expect(text).toContain(c);
    assertSafeHtml(text);
  });
  it("plan shows the balance and offers", () => {
    const text = planText({ trialBookings: 1, paidBookings: 4, offers: PLAN_OFFERS });
    expect(text).toContain("Бесплатных поставок: 1");
    expect(text).toContain("Оплаченных поставок: 4");
    expect(text).toContain("<b>5</b>");
    assertSafeHtml(text);
    expect(purchaseSuccessText({ bookings: 5, catchesLeft: 7 })).toBe("✅ Оплата прошла: +5 поставок. Доступно всего: 7.");
  });
  it("error apology carries the escaped error id", () => {
    const text = errorText("e-<1>");
    expect(text).toContain("<code>e-&lt;1&gt;</code>");
    assertSafeHtml(text);
  });
  it.each([
    [{}, "Выберите первый день"],
    [{ start: "2026-12-05" }, "Начало: <b>05.12.2026</b>"],
    [{ start: "2026-12-05", end: "2026-12-09" }, "05.12.2026 — 09.12.2026"],
  ])("calendar prompt %#", (state, has) => {
    expect(calendarPromptText(state)).toContain(has);
  });
});
