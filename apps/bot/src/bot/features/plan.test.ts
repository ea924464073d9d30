import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buttonsOf, startHarness, textsTo, type Harness } from "../../testing.test-helpers";

describe("/plan and Stars payments", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ app: { sender: false }, env: { PLAN_PACKAGE_BOOKINGS: "10", PLAN_PRICE_STARS: "250" } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it("shows the balance, sends an XTR invoice, answers pre-checkout and credits once", async () => {
    const userId = 730_001;
    await h.post(h.updates.commandUpdate(userId, "start"));
    await h.post(h.updates.commandUpdate(userId, "plan"));
    const plan = h.telegram.sentTo(userId).at(-1)!;
    expect(String(plan.payload.text)).toMatch(/Бесплатных поставок: 2[\s\S]*Оплаченных поставок: 0/);
    expect(buttonsOf(plan.payload).map((b) => b.callback_data)).toContain("plan:buy");

    await h.post(h.updates.callbackUpdate(userId, "plan:buy", 40));
    const invoice = await h.telegram.waitFor((c) => c.method === "sendInvoice");
    expect(invoice.payload).toMatchObject({
      chat_id: userId,
      currency: "XTR",
      provider_token: "",
      payload: `plan:10:${userId}`,
      prices: [{ label: expect.any(String), amount: 250 }],
    });

    await h.post(h.updates.preCheckoutUpdate(userId, { id: "pcq-ok", payload: `plan:10:${userId}`, total_amount: 250 }));
    const ok = await h.telegram.waitFor((c) => c.method === "answerPreCheckoutQuery" && c.payload.pre_checkout_query_id === "pcq-ok");
    expect(ok.payload.ok).toBe(true);

    const payment = { payload: `plan:10:${userId}`, total_amount: 250, telegram_payment_charge_id: "charge-1" };
    await h.post(h.updates.successfulPaymentUpdate(userId, payment));
    await h.post(h.updates.successfulPaymentUpdate(userId, payment)); // Telegram re-delivers under a new update_id
    expect(await h.owned.deps.repos.users.catches(BigInt(userId))).toEqual({ trial: 2, paid: 10 });
    expect(await h.owned.deps.repos.payments.list(BigInt(userId))).toHaveLength(1);
    const thanks = textsTo(h.telegram, userId).filter((t) => t.includes("Оплата прошла"));
    expect(thanks).toHaveLength(1);
    expect(thanks[0]).toContain("<b>12</b>");
    expect(thanks[0]).toContain("/tasks");
  });

  it("refuses a pre-checkout with a wrong amount, currency or user", async () => {
    const userId = 730_002;
    const cases = [
      { id: "bad-amount", payload: `plan:10:${userId}`, total_amount: 1 },
      { id: "bad-currency", payload: `plan:10:${userId}`, total_amount: 250, currency: "USD" },
      { id: "bad-user", payload: `plan:10:999`, total_amount: 250 },
      { id: "bad-payload", payload: "hello", total_amount: 250 },
    ];
    for (const c of cases) {
      await h.post(h.updates.preCheckoutUpdate(userId, c));
      const answer = await h.telegram.waitFor((call) => call.method === "answerPreCheckoutQuery" && call.payload.pre_checkout_query_id === c.id);
      expect(answer.payload.ok).toBe(false);
      expect(String(answer.payload.error_message).length).toBeGreaterThan(5);
    }
  });
});
