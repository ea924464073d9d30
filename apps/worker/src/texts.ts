/**
 * Worker messages the domain package does not have (yet). Same style as
 * @wbslots/domain texts: Russian, Telegram HTML, user/WB data escaped.
 * Candidates to move into packages/domain/src/texts.ts.
 */
import { boxTypeLabel, coefficientLabel, escapeHtml, formatRuDate, type BoxTypeId } from "@wbslots/domain";

/** The slot a message is about. */
export interface SlotLine {
  readonly warehouseName: string;
  readonly date: string;
  readonly boxTypeId: BoxTypeId;
  readonly coefficient: number;
}

function slotLine(p: SlotLine): string {
  return `🏬 ${escapeHtml(p.warehouseName)} · 📅 ${formatRuDate(p.date)} · 📦 ${escapeHtml(boxTypeLabel(p.boxTypeId))} · 💰 ${coefficientLabel(p.coefficient)}`;
}

/**
 * A matching slot opened but the bot cannot book it itself (no seller-portal
 * session, or WB refused the request): the user books it by hand in one tap.
 * @returns the message
 */
export function bookByHandText(p: SlotLine & { portalUrl: string; reason: "no_portal_session" | "wb_rejected" }): string {
  const why =
    p.reason === "no_portal_session"
      ? "Чтобы бронировать автоматически, подключите вход в кабинет продавца через /keys."
      : "WB не принял автоматическую бронь этого слота.";
  return [
    "⚠️ <b>Слот найден — забронируйте его сами</b>",
    "",
    slotLine(p),
    "",
    `Открыть в одно нажатие: <a href="${escapeHtml(p.portalUrl)}">кабинет WB → поставки</a>.`,
    why,
    "Задача продолжает следить за слотами. Поставка не списана.",
  ].join("\n");
}

/**
 * Booking failed after every retry (WB kept failing): the catch is given back.
 * @returns the message
 */
export function bookingFailedText(p: SlotLine): string {
  return [
    "❌ <b>Не удалось забронировать слот</b>",
    "",
    slotLine(p),
    "",
    "WB не ответил вовремя несколько раз подряд. Поставка не списана, задача продолжает искать слоты.",
  ].join("\n");
}
