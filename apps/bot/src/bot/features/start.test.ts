import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, buttonsOf, type Harness } from "../../testing.test-helpers";

describe("/start, /help and errors", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ app: { sender: false } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("/start registers the user with 2 free catches and shows the main menu", async () => {
    const userId = 710_001;
    expect((await h.post(h.updates.commandUpdate({ id: userId, first_name: "Анна", username: "anna" }, "start"))).status).toBe(200);
    const user = await h.owned.deps.repos.users.get(BigInt(userId));
    expect(user).toMatchObject({ username: "anna", firstName: "Анна", trialBookings: 2, paidBookings: 0, isActive: true });
    const [sent] = h.telegram.sentTo(userId);
    expect(sent?.payload.parse_mode).toBe("HTML");
    expect(String(sent?.payload.text)).toContain("Бесплатных поставок осталось: <b>2</b>");
    expect(buttonsOf(sent!.payload).map((b) => b.callback_data)).toEqual([
      "menu:keys",
      "menu:monitor",
      "menu:tasks",
      "menu:redistribute",
      "menu:plan",
      "menu:help",
    ]);
    expect(buttonsOf(sent!.payload).map((b) => b.text)).toContain("🔑 Ключи WB");
    expect(await h.owned.deps.repos.operations.count("user.registered")).toBe(1);
    // A second /start does not register again or reset the balance.
    await h.owned.deps.repos.users.consumeCatch(BigInt(userId));
    await h.post(h.updates.commandUpdate(userId, "start"));
    expect(await h.owned.deps.repos.users.catches(BigInt(userId))).toEqual({ trial: 1, paid: 0 });
    expect(await h.owned.deps.repos.operations.count("user.registered")).toBe(1);
  });

  it("/help and the menu's help button answer with the help text", async () => {
    const userId = 710_002;
    await h.post(h.updates.commandUpdate(userId, "help"));
    await h.post(h.updates.callbackUpdate(userId, "menu:help", 5));
    const texts = h.telegram.sentTo(userId).map((c) => String(c.payload.text));
    expect(texts).toHaveLength(2);
    for (const text of texts) expect(text).toContain("/keys");
    expect(h.telegram.callsOf("answerCallbackQuery").some((c) => c.payload.callback_query_id !== undefined)).toBe(true);
  });

  it("a forged or stale button gets an alert, not a crash", async () => {
    const userId = 710_003;
    for (const data of ["keys:del:not-a-uuid", "zzz:unknown", "keys:del:00000000-0000-0000-0000-000000000000", "ЖЖЖ"]) {
      const update = h.updates.callbackUpdate(userId, data, 7);
      const response = await h.post(update);
      expect(response.status).toBe(200);
      const id = (update.callback_query as { id: string }).id;
      const answer = await h.telegram.waitFor((c) => c.method === "answerCallbackQuery" && c.payload.callback_query_id === id);
      expect(answer.payload.show_alert).toBe(true);
      expect(String(answer.payload.text)).toMatch(/устарела|не найден/);
    }
    expect(h.telegram.sentTo(userId)).toHaveLength(0);
  });

  it("an unexpected handler error gives an apology with an error id and still 200", async () => {
    const userId = 710_004;
    await h.post(h.updates.commandUpdate(userId, "start"));
    h.telegram.reset();
    // The first reply fails with a 500: the handler throws, the apology goes out.
    h.telegram.fail("sendMessage", { status: 500, description: "Internal Server Error: boom" });
    const response = await h.post(h.updates.commandUpdate(userId, "plan"));
    expect(response.status).toBe(200);
    const apology = await h.telegram.waitFor((c) => c.ok && c.method === "sendMessage" && c.payload.chat_id === userId);
    expect(String(apology.payload.text)).toMatch(/Что-то пошло не так[\s\S]*Код ошибки: <code>[0-9a-f]{8}<\/code>/);
    expect(String(apology.payload.text)).not.toContain("boom");
  });
});
