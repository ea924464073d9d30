import { Markup } from "telegraf";
import type { InlineKeyboardMarkup } from "telegraf/types";

/** Callback data of the main menu buttons (monitor/tasks/redistribute are handled by their own features). */
export const MENU = {
  main: "menu:main",
  keys: "menu:keys",
  monitor: "menu:monitor",
  tasks: "menu:tasks",
  redistribute: "menu:redistribute",
  plan: "menu:plan",
  help: "menu:help",
} as const;

/** @returns the main menu inline keyboard */
export function mainMenuKeyboard(): { reply_markup: InlineKeyboardMarkup } {
  return Markup.inlineKeyboard([
    [Markup.button.callback("🔑 Ключи WB", MENU.keys), Markup.button.callback("🎯 Новый мониторинг", MENU.monitor)],
    [Markup.button.callback("📋 Мои задачи", MENU.tasks), Markup.button.callback("🔄 Перераспределение", MENU.redistribute)],
    [Markup.button.callback("💳 Тариф", MENU.plan), Markup.button.callback("❓ Помощь", MENU.help)],
  ]);
}

/** @returns a one-button keyboard back to the main menu */
export function backToMenuKeyboard(): { reply_markup: InlineKeyboardMarkup } {
  return Markup.inlineKeyboard([[Markup.button.callback("◀ Меню", MENU.main)]]);
}
