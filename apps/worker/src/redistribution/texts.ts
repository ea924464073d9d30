/**
 * Messages only the redistribution watcher sends (failure, invalid session,
 * method switched off). The success message is the domain's shared
 * `redistributionSuccessText`.
 */
import { escapeHtml } from "@wbslots/domain";

/** What a message refers to. */
export interface RequestRef {
  readonly requestId: number;
  readonly nmId: number;
}

/**
 * The request stopped for good.
 * @returns HTML text for Telegram
 */
export function redistributionFailedText(p: RequestRef & { reason: string }): string {
  return [
    "❌ <b>Перераспределение не выполнено</b>",
    "",
    `Заявка №${p.requestId}, артикул <code>${escapeHtml(p.nmId)}</code>.`,
    escapeHtml(p.reason),
    "",
    "Создать новую заявку: /redistribute",
  ].join("\n");
}

/**
 * The portal session of the request was rejected by WB.
 * @returns HTML text for Telegram
 */
export function redistributionSessionInvalidText(p: RequestRef & { keyName: string }): string {
  return [
    `🔑 <b>Вход в кабинет «${escapeHtml(p.keyName)}» больше не работает</b>`,
    "WB отвечает, что сессия недействительна: из кабинета вышли или она истекла.",
    `Заявка на перераспределение №${p.requestId} (артикул <code>${escapeHtml(p.nmId)}</code>) остановлена.`,
    "",
    "Что сделать: подключите вход в кабинет заново через /keys и создайте заявку снова: /redistribute",
  ].join("\n");
}

/**
 * WB switched the redistribution method off; the request keeps waiting.
 * @returns HTML text for Telegram
 */
export function redistributionDisabledText(): string {
  return [
    "⚙️ <b>WB временно отключил перераспределение остатков</b> в кабинете продавца.",
    "Ваш вход в кабинет в порядке. Заявки продолжают ждать и выполнятся, когда WB включит метод обратно.",
  ].join("\n");
}
