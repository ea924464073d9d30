import { Markup } from "telegraf";
import type { InlineKeyboardMarkup } from "telegraf/types";
import type { CredentialView } from "@wbslots/db";
import { MAX_CREDENTIALS_PER_USER } from "@wbslots/db";
import { encodeCallback, escapeHtml } from "@wbslots/domain";
import { TOKEN_TYPE_RU, type TokenType } from "@wbslots/wb";
import { MENU } from "../menu";

/** Callback data of the keys screen (`keys:{action}[:{credentialId}]`). */
export const KEYS_CB = {
  list: encodeCallback("keys", "list"),
  add: encodeCallback("keys", "add"),
  addOfficial: encodeCallback("keys", "add_official"),
  addPortal: encodeCallback("keys", "add_portal"),
  portalAccept: encodeCallback("keys", "portal_ok"),
  cancel: encodeCallback("keys", "cancel"),
  keepName: encodeCallback("keys", "keep_name"),
  rename: (id: string) => encodeCallback("keys", "ren", id),
  remove: (id: string) => encodeCallback("keys", "del", id),
  removeConfirmed: (id: string) => encodeCallback("keys", "del_ok", id),
} as const;

type Keyboard = { reply_markup: InlineKeyboardMarkup };

function ruDate(date: Date): string {
  return new Intl.DateTimeFormat("ru-RU", { timeZone: "Europe/Moscow", day: "2-digit", month: "2-digit", year: "numeric" }).format(date);
}

function tokenTypeLabel(tokenType: string | null): string {
  return tokenType && tokenType in TOKEN_TYPE_RU ? TOKEN_TYPE_RU[tokenType as TokenType] : "тип неизвестен";
}

/** @returns one key as a few HTML lines (no secret: the view has none) */
export function keyLines(key: CredentialView, index: number, now: Date): string {
  const kind = key.kind === "PORTAL_SESSION" ? "Сессия кабинета WB" : `Токен API · ${tokenTypeLabel(key.tokenType)}`;
  const account = key.kind === "PORTAL_SESSION" ? key.supplierId : key.sellerId;
  const expired = key.expiresAt !== null && key.expiresAt.getTime() <= now.getTime();
  const status = !key.isValid ? "❌ не работает" : expired ? "⌛ истёк" : "✅ действует";
  const lines = [
    `${index + 1}. <b>${escapeHtml(key.name)}</b> — ${status}`,
    `   ${kind}${account ? ` · продавец <code>${escapeHtml(account)}</code>` : ""}${key.expiresAt ? ` · до ${ruDate(key.expiresAt)}` : ""}`,
  ];
  if (!key.isValid && key.lastError) lines.push(`   ⚠️ ${escapeHtml(key.lastError)}`);
  return lines.join("\n");
}

/** @returns the /keys screen: the list and its buttons */
export function keysListView(keys: readonly CredentialView[], now: Date): { text: string; keyboard: Keyboard } {
  const header = `🔑 <b>Ключи WB</b> (${keys.length} из ${MAX_CREDENTIALS_PER_USER})`;
  const body =
    keys.length === 0
      ? "Ключей пока нет. Добавьте токен API WB с доступом к категории «Поставки» — без него я не вижу слоты."
      : keys.map((key, index) => keyLines(key, index, now)).join("\n\n");
  const rows = keys.map((key) => [
    Markup.button.callback(`✏️ ${key.name.slice(0, 24)}`, KEYS_CB.rename(key.id)),
    Markup.button.callback(`🗑 ${key.name.slice(0, 24)}`, KEYS_CB.remove(key.id)),
  ]);
  if (keys.length < MAX_CREDENTIALS_PER_USER) rows.push([Markup.button.callback("➕ Добавить ключ", KEYS_CB.add)]);
  rows.push([Markup.button.callback("◀ Меню", MENU.main)]);
  return { text: `${header}\n\n${body}`, keyboard: Markup.inlineKeyboard(rows) };
}

/** The choice between an official token and a portal session. */
export function addChoiceView(): { text: string; keyboard: Keyboard } {
  return {
    text: [
      "➕ <b>Новый ключ</b>",
      "",
      "🔑 <b>Токен API</b> — официальный способ: я вижу коэффициенты приёмки и слежу за слотами.",
      "🧩 <b>Сессия кабинета</b> — неофициальный способ: нужен, чтобы бронировать поставки и перераспределять остатки.",
    ].join("\n"),
    keyboard: Markup.inlineKeyboard([
      [Markup.button.callback("🔑 Токен API (официально)", KEYS_CB.addOfficial)],
      [Markup.button.callback("🧩 Сессия кабинета (неофициально)", KEYS_CB.addPortal)],
      [Markup.button.callback("Отмена", KEYS_CB.cancel)],
    ]),
  };
}

/** Where to find an official token and which type to choose. */
export const OFFICIAL_GUIDE_TEXT = [
  "🔑 <b>Как получить токен API WB</b>",
  "",
  "1. Личный кабинет продавца → <b>Настройки → Доступ к API</b>.",
  "2. Создайте токен с категорией <b>«Поставки»</b> (достаточно «только чтение» для слежения за слотами).",
  "3. Тип токена: для облачных сервисов вроде этого WB рекомендует <b>Сервисный</b> токен (или Базовый с секретом сервиса). <b>Персональный</b> токен по правилам WB нельзя использовать в облачных сервисах — он подойдёт для пробы, но лучше замените его.",
  "",
  "Пришлите токен следующим сообщением. Я сразу удалю сообщение с ним из чата и храню ключ только в зашифрованном виде.",
].join("\n");

/** The plain warning shown before a portal session is accepted. */
export const PORTAL_WARNING_TEXT = [
  "⚠️ <b>Сессия кабинета WB — неофициальный способ</b>",
  "",
  "Бронирование поставок и перераспределение работают через внутренние (неофициальные) методы кабинета продавца, а не через открытый API WB.",
  "Оферта WB (п. 9.9.6) ограничивает такие интеграции: WB может в любой момент изменить эти методы или ограничить доступ к кабинету. Вы подключаете сессию на свой риск и можете удалить её в любой момент.",
  "",
  "Продолжить?",
].join("\n");

/** The warning's buttons. */
export function portalWarningKeyboard(): Keyboard {
  return Markup.inlineKeyboard([[Markup.button.callback("Понимаю, продолжить", KEYS_CB.portalAccept)], [Markup.button.callback("Отмена", KEYS_CB.cancel)]]);
}

/** How to get the portal session values. */
export const PORTAL_GUIDE_TEXT = [
  "🧩 <b>Сессия кабинета WB</b>",
  "",
  "Откройте seller.wildberries.ru в браузере, войдите в кабинет и в инструментах разработчика (F12 → Network) найдите любой запрос к seller-supply.wildberries.ru:",
  "• заголовок <code>authorizev3</code> — длинный токен;",
  "• cookie <code>x-supplier-id</code> — id поставщика.",
  "",
  "Пришлите <b>одним сообщением</b> оба значения через пробел или с новой строки:",
  "<code>authorizev3 supplierId</code>",
  "Я сразу удалю сообщение из чата и храню сессию только в зашифрованном виде.",
].join("\n");

/** @returns the delete confirmation screen */
export function deleteConfirmView(key: CredentialView): { text: string; keyboard: Keyboard } {
  return {
    text: `🗑 Удалить ключ «<b>${escapeHtml(key.name)}</b>»?\nЗадачи, которые работают на этом ключе, остановятся, пока вы не назначите им другой ключ.`,
    keyboard: Markup.inlineKeyboard([[Markup.button.callback("Да, удалить", KEYS_CB.removeConfirmed(key.id)), Markup.button.callback("Отмена", KEYS_CB.list)]]),
  };
}

/** @returns the question after a successful add: name it or keep the default */
export function nameQuestionView(defaultName: string): { text: string; keyboard: Keyboard } {
  return {
    text: `Как назвать ключ? Пришлите название (до 40 символов) или оставьте «${escapeHtml(defaultName)}».`,
    keyboard: Markup.inlineKeyboard([[Markup.button.callback(`Оставить «${defaultName.slice(0, 40)}»`, KEYS_CB.keepName)]]),
  };
}

/** Longest key name we accept. */
export const MAX_KEY_NAME = 40;
