/** The bot's commands with Russian descriptions (CONTRACT.md; registered with setMyCommands). */
export const BOT_COMMANDS = [
  { command: "start", description: "Главное меню" },
  { command: "keys", description: "Ключи API WB" },
  { command: "monitor", description: "Новый мониторинг слотов" },
  { command: "tasks", description: "Мои задачи" },
  { command: "redistribute", description: "Перераспределение остатков" },
  { command: "plan", description: "Тариф и оплата" },
  { command: "help", description: "Помощь" },
] as const;
