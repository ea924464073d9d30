import { Telegram } from "telegraf";
import type { Update, UserFromGetMe } from "telegraf/types";
import { describe, expect, it } from "vitest";
import { createLogger } from "@wbslots/logger";
import { BotContext } from "./context";
import type { BotDeps } from "./deps";

const botInfo: UserFromGetMe = { id: 1, is_bot: true, first_name: "WB Slots", username: "wbslots_test_bot", can_join_groups: false, can_read_all_group_messages: false, supports_inline_queries: false };

function contextFor(updateId: number, userId: number, deps: Pick<BotDeps, "logger">): BotContext {
  const update = { update_id: updateId, message: { message_id: 1, date: 0, chat: { id: userId, type: "private", first_name: "U" }, from: { id: userId, is_bot: false, first_name: "U" }, text: "/tasks" } } as Update;
  const ctx = new BotContext(update, new Telegram("1:test"), botInfo);
  // Only the logger is read by ctx.log; the bot sets the whole deps object on every context.
  ctx.deps = deps as BotDeps;
  return ctx;
}

describe("BotContext.log", () => {
  it("is a child logger of the update (its id and the sender's), made once per update", () => {
    const lines: string[] = [];
    const logger = createLogger({ level: "info", destination: { write: (line: string) => void lines.push(line) } });
    const a = contextFor(501, 9001, { logger });
    const b = contextFor(502, 9002, { logger });
    expect(a.log).toBe(a.log);
    expect(a.log).not.toBe(b.log);
    a.log.info("first");
    b.log.warn({ taskId: 3 }, "second");
    const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).toMatchObject({ updateId: 501, userId: 9001, msg: "first" });
    expect(second).toMatchObject({ updateId: 502, userId: 9002, taskId: 3, msg: "second" });
  });
});
