import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buttonsOf, sandboxAdmin, sandboxToken, startHarness, textsTo, type Harness } from "../../testing.test-helpers";

describe("/keys", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ app: { sender: false } });
  });
  afterAll(async () => {
    await h?.close();
  });

  /** Starts the official-token wizard for a user. */
  async function openOfficialWizard(userId: number): Promise<void> {
    await h.post(h.updates.commandUpdate(userId, "keys"));
    await h.post(h.updates.callbackUpdate(userId, "keys:add", 10));
    await h.post(h.updates.callbackUpdate(userId, "keys:add_official", 11));
  }

  it("adds a sandbox token: message deleted, verdict shown, saved encrypted; duplicate refused", async () => {
    const userId = 720_001;
    await h.post(h.updates.commandUpdate(userId, "start"));
    await openOfficialWizard(userId);
    expect(textsTo(h.telegram, userId).join("\n")).toContain("Настройки → Доступ к API");
    const { token, sellerId } = await sandboxToken(h.sandbox, "service");
    const tokenUpdate = h.updates.textUpdate(userId, token);
    const tokenMessageId = (tokenUpdate.message as { message_id: number }).message_id;
    expect((await h.post(tokenUpdate)).status).toBe(200);

    const deleted = h.telegram.callsOf("deleteMessage").find((c) => c.payload.message_id === tokenMessageId);
    expect(deleted).toBeDefined();
    const deleteIndex = h.telegram.calls.indexOf(deleted!);
    const progressIndex = h.telegram.calls.findIndex((c) => c.method === "sendMessage" && String(c.payload.text).includes("Проверяю"));
    expect(deleteIndex).toBeLessThan(progressIndex);
    const verdict = h.telegram.callsOf("editMessageText").map((c) => String(c.payload.text));
    expect(verdict.join("\n")).toMatch(/Ключ работает[\s\S]*Сервисный токен · Поставки · до \d\d\.\d\d\.\d{4}/);

    const [key] = await h.owned.deps.repos.apiKeys.list(BigInt(userId));
    expect(key).toMatchObject({ kind: "OFFICIAL_TOKEN", tokenType: "service", sellerId, isValid: true, name: "Ключ 1" });
    const prisma = h.owned.deps.repos.prisma;
    const raw = JSON.stringify(await prisma.$queryRaw<unknown[]>`SELECT id::text, encrypted_key, fingerprint, name FROM api_keys`);
    expect(raw).toContain("encrypted_key");
    expect(raw).not.toContain(token);
    expect(raw).not.toContain(token.split(".")[2]);
    const ops = JSON.stringify(await prisma.$queryRaw<unknown[]>`SELECT payload::text AS p FROM operations`);
    expect(ops).not.toContain(token.split(".")[2]);
    expect((await h.owned.deps.repos.apiKeys.reveal(key!.id))?.secret).toBe(token);

    // Name it.
    await h.post(h.updates.textUpdate(userId, "Основной кабинет"));
    expect((await h.owned.deps.repos.apiKeys.list(BigInt(userId)))[0]?.name).toBe("Основной кабинет");
    expect(textsTo(h.telegram, userId).at(-1)).toContain("Основной кабинет");

    // The same token again: refused before any live check.
    const wbRequests = async (): Promise<number> =>
      ((await (await fetch(`${h.sandbox.url}/__sandbox/requests`)).json()) as { path: string }[]).filter((r) => !r.path.startsWith("/__sandbox")).length;
    const requestsBefore = await wbRequests();
    await openOfficialWizard(userId);
    await h.post(h.updates.textUpdate(userId, token));
    expect(textsTo(h.telegram, userId).at(-1)).toContain("уже добавлен");
    expect(requestsBefore).toBeGreaterThan(0);
    expect(await wbRequests()).toBe(requestsBefore);
    expect(await h.owned.deps.repos.apiKeys.list(BigInt(userId))).toHaveLength(1);
    expect(await h.owned.deps.repos.operations.count("credential.added")).toBe(1);
  });

  it("refuses a revoked token and garbage with a precise reason", async () => {
    const userId = 720_002;
    await openOfficialWizard(userId);
    await h.post(h.updates.textUpdate(userId, "hello i am not a token"));
    let edits = h.telegram.callsOf("editMessageText").filter((c) => c.payload.chat_id === userId);
    expect(String(edits.at(-1)?.payload.text)).toContain("Это не токен WB API");

    const { token } = await sandboxToken(h.sandbox, "personal");
    await sandboxAdmin(h.sandbox, "tokens/revoke", { token });
    await h.post(h.updates.textUpdate(userId, token));
    edits = h.telegram.callsOf("editMessageText").filter((c) => c.payload.chat_id === userId);
    expect(String(edits.at(-1)?.payload.text)).toMatch(/Ключ не подошёл: WB отклонил токен/);
    expect(await h.owned.deps.repos.apiKeys.list(BigInt(userId))).toHaveLength(0);
    // Both secret-carrying messages were deleted.
    expect(h.telegram.callsOf("deleteMessage").filter((c) => c.payload.chat_id === userId)).toHaveLength(2);
  });

  it("warns about personal tokens; rename and delete check ownership", async () => {
    const owner = 720_003;
    const stranger = 720_004;
    await openOfficialWizard(owner);
    const { token } = await sandboxToken(h.sandbox, "personal");
    await h.post(h.updates.textUpdate(owner, token));
    const verdict = h.telegram.callsOf("editMessageText").filter((c) => c.payload.chat_id === owner).at(-1);
    expect(String(verdict?.payload.text)).toContain("персональный");
    await h.post(h.updates.callbackUpdate(owner, "keys:keep_name", 12));
    const [key] = await h.owned.deps.repos.apiKeys.list(BigInt(owner));
    expect(key?.name).toBe("Ключ 1");
    const list = h.telegram.sentTo(owner).at(-1)!;
    expect(buttonsOf(list.payload).map((b) => b.callback_data)).toContain(`keys:del:${key!.id}`);

    // The stranger presses the owner's delete and rename buttons.
    await h.post(h.updates.commandUpdate(stranger, "start"));
    for (const data of [`keys:del:${key!.id}`, `keys:del_ok:${key!.id}`, `keys:ren:${key!.id}`]) {
      const update = h.updates.callbackUpdate(stranger, data, 3);
      await h.post(update);
      const id = (update.callback_query as { id: string }).id;
      const answer = await h.telegram.waitFor((c) => c.method === "answerCallbackQuery" && c.payload.callback_query_id === id);
      expect(answer.payload.show_alert).toBe(true);
    }
    expect(await h.owned.deps.repos.apiKeys.list(BigInt(owner))).toHaveLength(1);

    // The owner renames, then deletes with confirmation.
    await h.post(h.updates.callbackUpdate(owner, `keys:ren:${key!.id}`, 12));
    await h.post(h.updates.textUpdate(owner, "  Склад   Москва "));
    expect((await h.owned.deps.repos.apiKeys.getOwned(BigInt(owner), key!.id)).name).toBe("Склад Москва");
    await h.post(h.updates.callbackUpdate(owner, `keys:del:${key!.id}`, 12));
    expect(textsTo(h.telegram, owner).at(-1)).toContain("Удалить ключ");
    await h.post(h.updates.callbackUpdate(owner, `keys:del_ok:${key!.id}`, 12));
    expect(await h.owned.deps.repos.apiKeys.list(BigInt(owner))).toHaveLength(0);
    expect(await h.owned.deps.repos.operations.count("credential.deleted")).toBe(1);
  });

  it("portal session: warning first, opt-in recorded, stored as JSON, checked live", async () => {
    const userId = 720_005;
    await h.post(h.updates.commandUpdate(userId, "keys"));
    await h.post(h.updates.callbackUpdate(userId, "keys:add_portal", 20));
    expect(textsTo(h.telegram, userId).at(-1)).toContain("9.9.6");
    expect(buttonsOf(h.telegram.sentTo(userId).at(-1)!.payload).map((b) => b.text)).toEqual(["Понимаю, продолжить", "Отмена"]);
    expect((await h.owned.deps.repos.users.get(BigInt(userId)))?.portalOptIn).toBe(false);
    await h.post(h.updates.callbackUpdate(userId, "keys:portal_ok", 21));
    expect((await h.owned.deps.repos.users.get(BigInt(userId)))?.portalOptIn).toBe(true);

    const { sellerId } = await sandboxAdmin<{ sellerId: string }>(h.sandbox, "sellers", {});
    const session = await sandboxAdmin<{ authorizev3: string; supplierId: string }>(h.sandbox, "sessions", { sellerId });
    const update = h.updates.textUpdate(userId, `${session.authorizev3}\n${session.supplierId}`);
    await h.post(update);
    expect(h.telegram.callsOf("deleteMessage").some((c) => c.payload.message_id === (update.message as { message_id: number }).message_id)).toBe(true);
    const [key] = await h.owned.deps.repos.apiKeys.list(BigInt(userId));
    expect(key).toMatchObject({ kind: "PORTAL_SESSION", supplierId: session.supplierId });
    const revealed = await h.owned.deps.repos.apiKeys.reveal(key!.id);
    expect(JSON.parse(revealed!.secret)).toEqual({ authorizev3: session.authorizev3, supplierId: session.supplierId });
  });

  it("deletes a token pasted outside the wizard", async () => {
    const userId = 720_007;
    await h.post(h.updates.commandUpdate(userId, "start"));
    const { token } = await sandboxToken(h.sandbox, "service");
    const update = h.updates.textUpdate(userId, token);
    await h.post(update);
    expect(h.telegram.callsOf("deleteMessage").some((c) => c.payload.message_id === (update.message as { message_id: number }).message_id)).toBe(true);
    expect(textsTo(h.telegram, userId).at(-1)).toContain("/keys");
    expect(await h.owned.deps.repos.apiKeys.list(BigInt(userId))).toHaveLength(0);
  });

  it("refuses a sixth key with a clear message", async () => {
    const userId = 720_006;
    await h.post(h.updates.commandUpdate(userId, "start"));
    for (let i = 0; i < 5; i += 1) {
      await h.owned.deps.repos.apiKeys.create({ userId: BigInt(userId), kind: "OFFICIAL_TOKEN", name: `k${i}`, secret: `secret-${i}` });
    }
    await h.post(h.updates.callbackUpdate(userId, "keys:add", 30));
    expect(textsTo(h.telegram, userId).at(-1)).toContain("не больше 5 ключей");
  });
});
