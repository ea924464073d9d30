/**
 * Drives the real bot like a person: sends commands and texts through the
 * webhook and presses inline buttons found by their label in the bot's latest
 * message (as the fake Bot API recorded it).
 */
import { expect } from "vitest";
import { latestKeyboard, type SentButton, type Stack } from "./stack";

/** A simulated Telegram user talking to the bot. */
export class BotUser {
  constructor(
    private readonly stack: Stack,
    readonly id: number,
  ) {}

  /** Sends `/command` and expects the webhook to accept it. */
  async command(command: string, args?: string): Promise<void> {
    expect(await this.stack.send(this.stack.updates.commandUpdate(this.id, command, args))).toBe(200);
  }

  /** Sends a text message. @returns the update's message id */
  async text(text: string): Promise<number> {
    const update = this.stack.updates.textUpdate(this.id, text);
    expect(await this.stack.send(update)).toBe(200);
    return (update.message as { message_id: number }).message_id;
  }

  /** The inline buttons of the bot's latest message to this user. */
  buttons(): SentButton[] {
    return latestKeyboard(this.stack.telegram, this.id)?.buttons ?? [];
  }

  /**
   * Presses the first button whose label matches.
   * @returns the pressed button
   */
  async press(label: RegExp): Promise<SentButton> {
    const keyboard = latestKeyboard(this.stack.telegram, this.id);
    const button = keyboard?.buttons.find((b) => label.test(b.text) && b.callback_data);
    if (!button?.callback_data) throw new Error(`no button ${String(label)} in [${(keyboard?.buttons ?? []).map((b) => b.text).join(" | ")}]`);
    await this.pressData(button.callback_data, keyboard?.messageId);
    return button;
  }

  /** Sends a callback query with raw data (forged or real). */
  async pressData(data: string, messageId = 1): Promise<void> {
    expect(await this.stack.send(this.stack.updates.callbackUpdate(this.id, data, messageId))).toBe(200);
  }

  /** Texts of every message the bot sent or edited for this user, oldest first. */
  messages(): string[] {
    return this.stack.telegram.calls
      .filter((c) => c.ok && ["sendMessage", "editMessageText"].includes(c.method) && String(c.payload.chat_id) === String(this.id))
      .map((c) => String(c.payload.text ?? ""));
  }

  /** The last message text the bot sent or edited for this user. */
  lastMessage(): string {
    return this.messages().at(-1) ?? "";
  }

  /** Alerts (answerCallbackQuery with text) the bot showed, oldest first. */
  alerts(): string[] {
    return this.stack.telegram.calls.filter((c) => c.method === "answerCallbackQuery" && typeof c.payload.text === "string").map((c) => String(c.payload.text));
  }
}
