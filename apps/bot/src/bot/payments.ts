/**
 * Telegram Stars (XTR) payments. Telegraf 4.16 knows Bot API 7.1, so the
 * invoice goes through `callApi` and the payment parts of updates are parsed
 * with our own zod types.
 */
import type { Telegram } from "telegraf";
import { z } from "zod";
import { pluralRu } from "@wbslots/domain";

/** Telegram Stars currency code. */
export const STARS_CURRENCY = "XTR";

/** `pre_checkout_query` as we use it. */
export const preCheckoutQuerySchema = z.looseObject({
  id: z.string().min(1),
  from: z.looseObject({ id: z.number().int().positive() }),
  currency: z.string(),
  total_amount: z.number().int(),
  invoice_payload: z.string(),
});
export type PreCheckoutQuery = z.infer<typeof preCheckoutQuerySchema>;

/** `message.successful_payment` as we use it. */
export const successfulPaymentSchema = z.looseObject({
  currency: z.string(),
  total_amount: z.number().int(),
  invoice_payload: z.string(),
  telegram_payment_charge_id: z.string().min(1),
  provider_payment_charge_id: z.string().optional(),
});
export type SuccessfulPayment = z.infer<typeof successfulPaymentSchema>;

/** What an invoice payload says: `plan:{bookings}:{userId}`. */
export interface PlanPayload {
  readonly bookings: number;
  readonly userId: bigint;
}

/** @returns the invoice payload for a package bought by a user */
export function encodePlanPayload(payload: PlanPayload): string {
  return `plan:${payload.bookings}:${payload.userId}`;
}

/** @returns the parsed payload, or null when it is not ours */
export function decodePlanPayload(value: string): PlanPayload | null {
  const match = /^plan:([1-9]\d{0,5}):([1-9]\d{0,19})$/.exec(value);
  if (!match?.[1] || !match[2]) return null;
  return { bookings: Number(match[1]), userId: BigInt(match[2]) };
}

/** The package on sale (from PLAN_PACKAGE_BOOKINGS / PLAN_PRICE_STARS). */
export interface PlanPackage {
  readonly bookings: number;
  readonly priceStars: number;
}

/**
 * Checks a pre-checkout query against the package on sale.
 * @returns null when it may be paid, else a Russian reason for the user
 */
export function validatePreCheckout(query: PreCheckoutQuery, offer: PlanPackage): string | null {
  const payload = decodePlanPayload(query.invoice_payload);
  if (!payload || payload.userId !== BigInt(query.from.id)) return "Этот счёт выставлен не вам. Откройте /plan и запросите новый.";
  if (query.currency !== STARS_CURRENCY) return "Оплата принимается только звёздами Telegram.";
  if (payload.bookings !== offer.bookings || query.total_amount !== offer.priceStars) return "Цена изменилась. Откройте /plan и запросите новый счёт.";
  return null;
}

/**
 * Sends a Stars invoice (currency XTR, empty provider token) through the raw Bot API.
 * @returns the invoice message id
 */
export async function sendStarsInvoice(telegram: Telegram, chatId: number, userId: bigint, offer: PlanPackage): Promise<number> {
  const word = pluralRu(offer.bookings, "поставка", "поставки", "поставок");
  const result: unknown = await telegram.callApi("sendInvoice", {
    chat_id: chatId,
    title: `Пакет: ${offer.bookings} ${word}`,
    description: `${offer.bookings} ${word} FBW для автобронирования. Поставка списывается только когда слот забронирован.`,
    payload: encodePlanPayload({ bookings: offer.bookings, userId }),
    provider_token: "",
    currency: STARS_CURRENCY,
    prices: [{ label: `${offer.bookings} ${word}`, amount: offer.priceStars }],
  });
  return z.object({ message_id: z.number().int() }).parse(result).message_id;
}
