/**
 * Answering a pressed button inside the webhook's HTTP answer. The Bot API lets
 * a webhook answer an update with one method call, which Telegram then executes
 * («make a request to the Bot API while sending an answer to the webhook»): the
 * bot makes one outgoing Bot API request fewer per press. The answer goes out
 * with the webhook's 200 when the handler is done (as every 200 does: the 200
 * still means "handled"), so the spinner stops together with the new screen.
 *
 * Only `answerCallbackQuery` goes this way. Telegram reports nothing about a
 * method in a webhook answer, and answering a button has no result worth
 * knowing; every other call (sends, edits, a `deleteMessage` whose failure the
 * bot acts on) stays a real Bot API request.
 */
import type { Update } from "telegraf/types";

/** `answerCallbackQuery` as a webhook answer body. */
export interface CallbackAnswerReply {
  readonly method: "answerCallbackQuery";
  readonly callback_query_id: string;
  readonly text?: string;
  readonly show_alert?: boolean;
  readonly url?: string;
  readonly cache_time?: number;
}

/** The webhook answer of one update: empty until the handler answers the button. */
export interface WebhookReplySlot {
  answer: CallbackAnswerReply | null;
}

const slots = new WeakMap<Update, WebhookReplySlot>();

/**
 * Lets the handling of `update` answer its button in the webhook's response
 * (the route calls this before `bot.handleUpdate(update)` and sends
 * `slot.answer` when set; the context finds the slot by the same update object).
 * @returns the empty slot
 */
export function offerWebhookReply(update: Update): WebhookReplySlot {
  const slot: WebhookReplySlot = { answer: null };
  slots.set(update, slot);
  return slot;
}

/**
 * Puts `answer` in the webhook answer of `update` — once: a second answer
 * (or one without a webhook, e.g. tests calling handleUpdate) is a Bot API request.
 * @returns whether the answer was taken
 */
export function answerInWebhookReply(update: Update, answer: CallbackAnswerReply): boolean {
  const slot = slots.get(update);
  if (!slot || slot.answer !== null) return false;
  slot.answer = answer;
  return true;
}
