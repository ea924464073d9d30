/**
 * The new-task wizard (/monitor): its persisted state, scenes, callback data and the
 * pure builders of its screens. The composer lives in ../monitor.ts.
 */
import { z } from "zod";
import {
  BOX_TYPE_IDS,
  boxTypeLabel,
  dateRangeLabel,
  encodeCallback,
  escapeHtml,
  maxCoefficientLabel,
  refreshIntervalLabel,
  type BoxTypeId,
  type InlineButton,
  type InlineKeyboard,
} from "@wbslots/domain";
import type { CredentialView } from "@wbslots/db";
import { credentialKindLabel } from "./credentials";
import { goodsSummary, type GoodsLine } from "./goods";

/** Callback scope of the wizard: `mon:{action}[:arg]`. */
export const MONITOR_SCOPE = "mon";

/** Scenes of the wizard (all under `monitor`). */
export const MONITOR_SCENES = {
  key: "monitor.key",
  warehouse: "monitor.warehouse",
  search: "monitor.search",
  box: "monitor.box",
  coefficient: "monitor.coef",
  dates: "monitor.dates",
  goods: "monitor.goods",
  confirm: "monitor.confirm",
} as const;

/** Scenes (of any feature) in which `cal:*` buttons are expected. */
export const CALENDAR_SCENES: readonly string[] = [MONITOR_SCENES.dates, "tasks.dates"];

/** Alert for a calendar button pressed outside a calendar step (old message or forged data). */
export const CALENDAR_STALE_TEXT = "Этот календарь устарел. Откройте его заново: /monitor или /tasks.";
/** Alert for calendar callback data that does not parse. */
export const CALENDAR_BAD_TEXT = "Неизвестная кнопка календаря.";

/** Coefficient choices, laid out as rows (x0 alone: «только бесплатные»). */
export const COEFFICIENT_ROWS: readonly (readonly number[])[] = [[0], [1, 2, 3, 5], [10, 15, 20]];
/** Largest maximum coefficient accepted. */
export const MAX_COEFFICIENT = 20;

const calendarStateSchema = z.object({
  year: z.number().int(),
  month: z.number().int(),
  start: z.string().optional(),
  end: z.string().optional(),
});

const goodsSchema = z.array(z.object({ barcode: z.string(), quantity: z.number().int() }));

/** The wizard's state as stored in the conversation (every field optional until its step). */
export const monitorStateSchema = z.object({
  keyId: z.string().optional(),
  keyName: z.string().optional(),
  keyKind: z.enum(["OFFICIAL_TOKEN", "PORTAL_SESSION"]).optional(),
  tokenType: z.string().nullable().optional(),
  page: z.number().int().optional(),
  query: z.string().optional(),
  warehouseId: z.number().int().optional(),
  warehouseName: z.string().optional(),
  boxTypeId: z.number().int().optional(),
  maxCoefficient: z.number().int().optional(),
  cal: calendarStateSchema.optional(),
  dateFrom: z.string().optional(),
  dateTo: z.string().optional(),
  /** null: the user skipped the goods. */
  goods: goodsSchema.nullable().optional(),
});

/** The wizard's state. */
export type MonitorState = z.infer<typeof monitorStateSchema>;

/**
 * Reads the wizard state from conversation data; anything unreadable is an empty state.
 */
export function readMonitorState(data: unknown): MonitorState {
  const parsed = monitorStateSchema.safeParse(data);
  return parsed.success ? parsed.data : {};
}

/** A state with every field the confirmation needs. */
export interface CompleteMonitorState {
  readonly keyId: string;
  readonly keyName: string;
  readonly keyKind: "OFFICIAL_TOKEN" | "PORTAL_SESSION";
  readonly tokenType: string | null;
  readonly warehouseId: number;
  readonly warehouseName: string;
  readonly boxTypeId: BoxTypeId;
  readonly maxCoefficient: number;
  readonly dateFrom: string;
  readonly dateTo: string;
  readonly goods: GoodsLine[] | null;
}

/**
 * Narrows a state to a complete one.
 * @returns the complete state, or null when a step is missing
 */
export function completeState(s: MonitorState): CompleteMonitorState | null {
  const { keyId, keyName, keyKind, warehouseId, warehouseName, boxTypeId, maxCoefficient, dateFrom, dateTo } = s;
  if (keyId === undefined || keyName === undefined || keyKind === undefined) return null;
  if (warehouseId === undefined || warehouseName === undefined || maxCoefficient === undefined) return null;
  if (boxTypeId === undefined || !(BOX_TYPE_IDS as readonly number[]).includes(boxTypeId)) return null;
  if (dateFrom === undefined || dateTo === undefined) return null;
  return {
    keyId,
    keyName,
    keyKind,
    tokenType: s.tokenType ?? null,
    warehouseId,
    warehouseName,
    boxTypeId: boxTypeId as BoxTypeId,
    maxCoefficient,
    dateFrom,
    dateTo,
    goods: s.goods ?? null,
  };
}

/** `mon:{action}[:arg]`. */
export function monCallback(action: string, ...args: (string | number)[]): string {
  return encodeCallback(MONITOR_SCOPE, action, ...args);
}

/** «✖️ Отмена» of the wizard. */
export const CANCEL_BUTTON: InlineButton = { text: "✖️ Отмена", callback_data: "mon:cancel" };

/** Step headers «Шаг N из M». */
export function stepHeader(step: number, portal: boolean): string {
  return `<b>Новая задача · шаг ${step} из ${portal ? 7 : 6}</b>`;
}

/**
 * Key choice: one button per usable credential.
 */
export function keyKeyboard(keys: readonly Pick<CredentialView, "id" | "name" | "kind" | "tokenType">[]): InlineKeyboard {
  return [
    ...keys.map((k) => [{ text: `🔑 ${k.name} · ${credentialKindLabel(k.kind, k.tokenType)}`.slice(0, 60), callback_data: monCallback("key", k.id) }]),
    [CANCEL_BUTTON],
  ];
}

/** Box type buttons: Короба / Монопаллеты / Суперсейф. */
export function boxKeyboard(): InlineKeyboard {
  return [BOX_TYPE_IDS.map((id) => ({ text: boxTypeLabel(id), callback_data: monCallback("box", id) })), [CANCEL_BUTTON]];
}

/** Coefficient buttons (see {@link COEFFICIENT_ROWS}). */
export function coefficientKeyboard(): InlineKeyboard {
  return [
    ...COEFFICIENT_ROWS.map((row) =>
      row.map((n) => ({ text: n === 0 ? "x0 — только бесплатные" : `x${n}`, callback_data: monCallback("coef", n) })),
    ),
    [CANCEL_BUTTON],
  ];
}

/** Text of the coefficient step. */
export const COEFFICIENT_TEXT = [
  "💰 <b>Максимальный коэффициент приёмки</b>",
  "x0 — бесплатная приёмка; x1 и выше — платная (множитель к базовой стоимости).",
  "Бронирую только слоты не дороже выбранного.",
].join("\n");

/** Text of the goods step (portal keys only). */
export const GOODS_TEXT = [
  "🧾 <b>Товары для поставки</b>",
  "Чтобы забронировать слот, WB нужен черновик поставки с товарами.",
  "Пришлите строки «баркод количество», по одной на строку (до 50), например:",
  "<code>2041234567890 120\n2041234567891 35</code>",
  "",
  "Можно пропустить, но тогда WB может отказать в бронировании на шаге создания поставки.",
].join("\n");

/** Goods step keyboard: «Пропустить» and «Отмена». */
export function goodsKeyboard(): InlineKeyboard {
  return [[{ text: "Пропустить ▶", callback_data: monCallback("skip") }], [CANCEL_BUTTON]];
}

/** Confirmation keyboard. */
export function confirmKeyboard(): InlineKeyboard {
  return [[{ text: "✅ Запустить", callback_data: monCallback("go") }, CANCEL_BUTTON]];
}

/**
 * The confirmation screen (HTML, every user/catalog value escaped).
 * @param refreshMs the real refresh interval of the chosen credential
 * @param catchesLeft the user's available catches
 */
export function confirmText(s: CompleteMonitorState, refreshMs: number, catchesLeft: number): string {
  const lines = [
    "<b>Проверьте задачу</b>",
    "",
    `🔑 Ключ: ${escapeHtml(s.keyName)} (${escapeHtml(credentialKindLabel(s.keyKind, s.tokenType))})`,
    `🏬 Склад: <b>${escapeHtml(s.warehouseName)}</b>`,
    `📦 Тип: ${escapeHtml(boxTypeLabel(s.boxTypeId))}`,
    `💰 Коэффициент: ${maxCoefficientLabel(s.maxCoefficient)}`,
    `📅 Даты: ${dateRangeLabel(s.dateFrom, s.dateTo)}`,
  ];
  if (s.keyKind === "PORTAL_SESSION") {
    lines.push(s.goods && s.goods.length > 0 ? `🧾 Товары: ${goodsSummary(s.goods)}` : "🧾 Товары: не указаны — WB может отказать в бронировании");
  } else {
    lines.push("ℹ️ Бронировать слоты WB разрешает только через кабинет продавца; с токеном API я слежу за слотами и сразу сообщаю о подходящем.");
  }
  lines.push(
    "",
    `⏱ Данные WB для этого ключа обновляются ${refreshIntervalLabel(refreshMs / 1000)}; условия проверяю каждую секунду по последнему снимку.`,
    catchesLeft > 0 ? `🎁 Доступно поставок: ${catchesLeft}` : "⚠️ Доступных поставок нет: слот не будет забронирован, пока вы не пополните баланс (/plan).",
  );
  return lines.join("\n");
}
