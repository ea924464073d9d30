import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redistributeSchedulerId } from "@wbslots/queues";
import { startFeatureHarness, type FeatureHarness } from "../monitor/harness.test-helpers";

describe("/redistribute (real bot, Postgres, Redis, fake Bot API)", () => {
  let h: FeatureHarness;
  beforeAll(async () => {
    h = await startFeatureHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  const watcher = (id: number): Promise<unknown> => h.deps.queues.redistribute.getJobScheduler(redistributeSchedulerId(id));

  it("explains that a portal session is needed when the user has only an API token", async () => {
    const userId = 830_001;
    await h.addUserWithKey(userId, "OFFICIAL_TOKEN");
    await h.command(userId, "redistribute");
    expect(String(h.lastScreen(userId).payload.text)).toContain("кабинет");
    expect(h.buttons(userId).map((b) => b.callback_data)).toEqual(["menu:keys"]);
  });

  it("creates a WAITING request with its watcher, lists it and cancels it; others cannot", async () => {
    const userId = 830_002;
    const key = await h.addUserWithKey(userId, "PORTAL_SESSION");
    await h.command(userId, "redistribute");
    await h.press(userId, `rd:key:${key.id}`);
    await h.type(userId, "12ab");
    expect(String(h.lastScreen(userId).payload.text)).toContain("nmID");
    await h.type(userId, "123456789 987654");
    expect(h.buttons(userId).some((b) => b.callback_data === "rd:wh:507")).toBe(true);
    await h.press(userId, "rd:wh:507");
    // The source is not offered as the destination, and a forged press is refused.
    expect(h.buttons(userId).some((b) => b.callback_data === "rd:wh:507")).toBe(false);
    await h.press(userId, "rd:wh:507");
    expect(h.lastAnswer()?.payload).toMatchObject({ show_alert: true });
    await h.press(userId, "rd:whs");
    await h.type(userId, "казань");
    const kazan = h.buttons(userId).find((b) => b.text.includes("Казань"));
    expect(kazan?.callback_data).toMatch(/^rd:wh:\d+$/);
    await h.press(userId, kazan?.callback_data ?? "");
    await h.type(userId, "0");
    expect(String(h.lastScreen(userId).payload.text)).toContain("от 1 до");
    await h.type(userId, "50");
    expect(String(h.lastScreen(userId).payload.text)).toContain("Проверьте заявку");
    expect(h.buttons(userId).map((b) => b.text)).toContain("🚀 Отправить, как только лимиты позволят");
    await h.press(userId, "rd:go");

    const [request] = await h.deps.repos.redistributions.list(BigInt(userId));
    expect(request).toMatchObject({ status: "WAITING", nmId: 123456789n, chrtId: 987654n, srcOfficeId: 507, quantity: 50, credentialId: key.id });
    expect(await watcher(request!.id)).toBeTruthy();

    const thief = 830_003;
    await h.addUserWithKey(thief, "PORTAL_SESSION");
    await h.press(thief, `rd:del:${request!.id}`);
    expect(h.lastAnswer()?.payload).toMatchObject({ show_alert: true, text: "Заявка не найдена" });
    expect((await h.deps.repos.redistributions.get(request!.id))?.status).toBe("WAITING");

    await h.command(userId, "redistribute");
    expect(String(h.lastScreen(userId).payload.text)).toContain(`#${request!.id}`);
    expect(h.buttons(userId).map((b) => b.callback_data)).toContain(`rd:del:${request!.id}`);
    await h.press(userId, `rd:del:${request!.id}`);
    expect((await h.deps.repos.redistributions.get(request!.id))?.status).toBe("CANCELLED");
    expect(await watcher(request!.id)).toBeFalsy();
  });
});
