/**
 * The redistribution wizard (/redistribute): state, parsers of the typed answers and
 * the pure builders of its screens. The composer lives in ../redistribute.ts.
 */
import { z } from "zod";
import { encodeCallback, escapeHtml, type InlineButton, type InlineKeyboard } from "@wbslots/domain";
import type { RedistributionRequest, RedistributionStatus } from "@wbslots/db";

/** Callback scope: `rd:{action}[:arg]`. */
export const REDISTRIBUTE_SCOPE = "rd";

/** Scenes of the wizard. */
export const REDISTRIBUTE_SCENES = {
  key: "redistribute.key",
  nm: "redistribute.nm",
  from: "redistribute.from",
  fromSearch: "redistribute.from_search",
  to: "redistribute.to",
  toSearch: "redistribute.to_search",
  quantity: "redistribute.qty",
  confirm: "redistribute.confirm",
} as const;

/** Largest quantity of one request. */
export const MAX_REDISTRIBUTE_QUANTITY = 100_000;

/** `rd:{action}[:arg]`. */
export function rdCallback(action: string, ...args: (string | number)[]): string {
  return encodeCallback(REDISTRIBUTE_SCOPE, action, ...args);
}

/** «✖️ Отмена» of the wizard. */
export const RD_CANCEL_BUTTON: InlineButton = { text: "✖️ Отмена", callback_data: "rd:cancel" };

/** The wizard state (ids as strings: JSON has no BigInt). */
export const redistributeStateSchema = z.object({
  keyId: z.string().optional(),
  keyName: z.string().optional(),
  nmId: z.string().optional(),
  chrtId: z.string().nullable().optional(),
  page: z.number().int().optional(),
  query: z.string().optional(),
  fromId: z.number().int().optional(),
  fromName: z.string().optional(),
  toId: z.number().int().optional(),
  toName: z.string().optional(),
  quantity: z.number().int().optional(),
});

/** The wizard state. */
export type RedistributeState = z.infer<typeof redistributeStateSchema>;

/** Reads the state from conversation data; anything unreadable is an empty state. */
export function readRedistributeState(data: unknown): RedistributeState {
  const parsed = redistributeStateSchema.safeParse(data);
  return parsed.success ? parsed.data : {};
}

/** Result of a parser of typed input: the value or a Russian error. */
export type ParseResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/**
 * Parses «артикул [chrtID]»: the WB article nmID (1–12 digits) and optionally the size
 * id chrtID (1–15 digits), separated by spaces or a comma.
 * @returns the ids as decimal strings
 */
export function parseNmInput(text: string): ParseResult<{ nmId: string; chrtId: string | null }> {
  const parts = text.trim().split(/[\s,;]+/).filter((p) => p !== "");
  const [nm, chrt, ...rest] = parts;
  if (nm === undefined || rest.length > 0) return { ok: false, error: "Пришлите артикул WB (nmID) цифрами, например 123456789. Размер (chrtID) — через пробел, если нужен." };
  if (!/^[1-9]\d{0,11}$/.test(nm)) return { ok: false, error: "Артикул WB (nmID) — это число до 12 цифр, например 123456789." };
  if (chrt !== undefined && !/^[1-9]\d{0,14}$/.test(chrt)) return { ok: false, error: "Размер (chrtID) — это число до 15 цифр. Или пришлите только артикул." };
  return { ok: true, value: { nmId: nm, chrtId: chrt ?? null } };
}

/**
 * Parses a quantity: a whole number 1–100 000 (spaces inside allowed: «1 000»).
 */
export function parseQuantity(text: string): ParseResult<number> {
  const compact = text.replace(/[\s\u00a0]/g, "").replace(/(шт\.?|штук[аи]?)$/i, "");
  if (!/^\d{1,6}$/.test(compact)) return { ok: false, error: `Количество — целое число от 1 до ${MAX_REDISTRIBUTE_QUANTITY}.` };
  const n = Number(compact);
  if (n < 1 || n > MAX_REDISTRIBUTE_QUANTITY) return { ok: false, error: `Количество — целое число от 1 до ${MAX_REDISTRIBUTE_QUANTITY}.` };
  return { ok: true, value: n };
}

/** Russian labels of request statuses. */
export const REDISTRIBUTION_STATUS_LABELS: Readonly<Record<RedistributionStatus, string>> = {
  WAITING: "⏳ Ждёт лимитов WB",
  SUBMITTED: "📤 Отправлена в WB",
  DONE: "✅ Выполнена",
  FAILED: "❌ Не удалась",
  CANCELLED: "✖️ Отменена",
};

/** A complete request ready to confirm. */
export interface CompleteRedistribute {
  readonly keyId: string;
  readonly keyName: string;
  readonly nmId: string;
  readonly chrtId: string | null;
  readonly fromId: number;
  readonly fromName: string;
  readonly toId: number;
  readonly toName: string;
  readonly quantity: number;
}

/** @returns the complete state, or null when a step is missing */
export function completeRedistribute(s: RedistributeState): CompleteRedistribute | null {
  const { keyId, keyName, nmId, fromId, fromName, toId, toName, quantity } = s;
  if (keyId === undefined || keyName === undefined || nmId === undefined) return null;
  if (fromId === undefined || fromName === undefined || toId === undefined || toName === undefined || quantity === undefined) return null;
  return { keyId, keyName, nmId, chrtId: s.chrtId ?? null, fromId, fromName, toId, toName, quantity };
}

/** The confirmation screen (HTML, escaped). */
export function redistributeConfirmText(s: CompleteRedistribute): string {
  return [
    "<b>Проверьте заявку на перераспределение</b>",
    "",
    `🔑 Кабинет: ${escapeHtml(s.keyName)}`,
    `🔢 Артикул: <code>${escapeHtml(s.nmId)}</code>${s.chrtId ? ` · размер <code>${escapeHtml(s.chrtId)}</code>` : ""}`,
    `📤 Откуда: <b>${escapeHtml(s.fromName)}</b>`,
    `📥 Куда: <b>${escapeHtml(s.toName)}</b>`,
    `📦 Количество: ${s.quantity} шт.`,
    "",
    "WB открывает лимиты на перераспределение ненадолго. Я буду проверять их каждую секунду и отправлю заявку, как только лимиты позволят. Остатки на складе проверю в момент отправки.",
  ].join("\n");
}

/** Confirmation keyboard. */
export function redistributeConfirmKeyboard(): InlineKeyboard {
  return [[{ text: "🚀 Отправить, как только лимиты позволят", callback_data: rdCallback("go") }], [RD_CANCEL_BUTTON]];
}

/** The list of requests (HTML) and its keyboard (cancel buttons for waiting ones). */
export function requestListScreen(
  requests: readonly Pick<RedistributionRequest, "id" | "nmId" | "chrtId" | "srcOfficeId" | "srcOfficeName" | "dstOfficeId" | "dstOfficeName" | "quantity" | "status" | "error">[],
): { text: string; keyboard: InlineKeyboard } {
  const lines = ["<b>Заявки на перераспределение</b>"];
  const rows: InlineButton[][] = [];
  if (requests.length === 0) lines.push("", "Заявок пока нет.");
  for (const r of requests) {
    const from = r.srcOfficeName ?? `Склад №${r.srcOfficeId}`;
    const to = r.dstOfficeName ?? `Склад №${r.dstOfficeId}`;
    lines.push(
      "",
      `<b>#${r.id}</b> — ${REDISTRIBUTION_STATUS_LABELS[r.status] ?? escapeHtml(r.status)}`,
      `🔢 <code>${escapeHtml(String(r.nmId))}</code>${r.chrtId !== null ? ` · размер ${escapeHtml(String(r.chrtId))}` : ""} · ${r.quantity} шт.`,
      `${escapeHtml(from)} → ${escapeHtml(to)}`,
    );
    if (r.error) lines.push(`ℹ️ ${escapeHtml(r.error)}`);
    if (r.status === "WAITING") rows.push([{ text: `✖️ Отменить #${r.id}`, callback_data: rdCallback("del", r.id) }]);
  }
  rows.push([{ text: "➕ Новая заявка", callback_data: rdCallback("new") }]);
  return { text: lines.join("\n"), keyboard: rows };
}
