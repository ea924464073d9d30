import { Composer, Markup } from "telegraf";
import { message } from "telegraf/filters";
import { catchesLeft, offerButtonText, planText, pluralRu, type PlanOffer } from "@wbslots/domain";
import type { BotContext } from "../context";
import type { Feature } from "../create-bot";
import { MENU } from "../menu";
import { decodePlanPayload, preCheckoutQuerySchema, sendStarsInvoice, successfulPaymentSchema, validatePreCheckout, STARS_CURRENCY } from "../payments";

/** Callback data of the buy button. */
export const PLAN_BUY = "plan:buy";

const composer = new Composer<BotContext>();

function offerOf(ctx: BotContext): PlanOffer {
  return { id: "pkg", bookings: ctx.deps.config.PLAN_PACKAGE_BOOKINGS, priceStars: ctx.deps.config.PLAN_PRICE_STARS };
}

async function showPlan(ctx: BotContext): Promise<void> {
  const { trial, paid } = await ctx.deps.repos.users.catches(ctx.userId);
  const offer = offerOf(ctx);
  const text = `${planText({ trialBookings: trial, paidBookings: paid, offers: [offer] })}\n\nОплата — звёздами Telegram ⭐.`;
  await ctx.reply(text, {
    parse_mode: "HTML",
    ...Markup.inlineKeyboard([[Markup.button.callback(offerButtonText(offer), PLAN_BUY)], [Markup.button.callback("◀ Меню", MENU.main)]]),
  });
}

composer.command("plan", showPlan);

composer.action(MENU.plan, async (ctx) => {
  await ctx.answerCbQuery();
  await showPlan(ctx);
});

composer.action(PLAN_BUY, async (ctx) => {
  await ctx.answerCbQuery();
  const chatId = ctx.chat?.id;
  if (chatId === undefined) return;
  await sendStarsInvoice(ctx.telegram, chatId, ctx.userId, offerOf(ctx));
});

composer.on("pre_checkout_query", async (ctx) => {
  const parsed = preCheckoutQuerySchema.safeParse(ctx.preCheckoutQuery);
  const reason = parsed.success ? validatePreCheckout(parsed.data, offerOf(ctx)) : "Не удалось проверить счёт. Запросите новый в /plan.";
  if (reason) ctx.log.warn({ reason }, "pre-checkout refused");
  await ctx.answerPreCheckoutQuery(reason === null, reason ?? undefined);
});

composer.on(message("successful_payment"), async (ctx) => {
  const payment = successfulPaymentSchema.parse(ctx.message.successful_payment);
  const payload = decodePlanPayload(payment.invoice_payload);
  if (!payload || payment.currency !== STARS_CURRENCY) {
    // Money was taken for something we did not sell: keep it visible for a refund by hand.
    ctx.log.error({ chargeId: payment.telegram_payment_charge_id, currency: payment.currency }, "payment with an unknown payload");
    await ctx.reply("Оплата получена, но счёт не распознан. Напишите в поддержку — вернём звёзды или зачислим поставки вручную.");
    return;
  }
  if (payload.userId !== ctx.userId) ctx.log.warn("payment payload names another user; crediting the payer");
  const { credited } = await ctx.deps.repos.payments.record({
    userId: ctx.userId,
    telegramChargeId: payment.telegram_payment_charge_id,
    providerChargeId: payment.provider_payment_charge_id || null,
    currency: payment.currency,
    amount: payment.total_amount,
    bookingsGranted: payload.bookings,
    payload: payment.invoice_payload,
  });
  if (!credited) {
    ctx.log.info("repeated successful_payment: already credited");
    return;
  }
  await ctx.deps.repos.operations.log(ctx.userId, "payment.received", {
    chargeId: payment.telegram_payment_charge_id,
    amount: payment.total_amount,
    currency: payment.currency,
    bookings: payload.bookings,
  });
  const { trial, paid } = await ctx.deps.repos.users.catches(ctx.userId);
  const left = catchesLeft({ trialBookings: trial, paidBookings: paid });
  await ctx.reply(
    [
      `✅ Оплата прошла: +${payload.bookings} ${pluralRu(payload.bookings, "поставка", "поставки", "поставок")}. Спасибо!`,
      `Доступно всего: <b>${left}</b> (бесплатных ${trial}, оплаченных ${paid}).`,
      "",
      "Задачи, остановленные из-за нехватки поставок, сами не возобновляются — включите их в /tasks.",
    ].join("\n"),
    { parse_mode: "HTML" },
  );
});

/** /plan: balance, the Stars package, invoice, pre-checkout and crediting the payment once. */
export const planFeature: Feature = { name: "plan", composer };
