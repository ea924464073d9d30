/**
 * /redistribute — moving stock between WB warehouses. Redistribution exists only in the
 * seller portal, so the wizard needs a portal session: key → article (nmID, optional
 * chrtID) → from-warehouse → to-warehouse (catalog pickers) → quantity → confirmation
 * «Отправить, как только лимиты позволят» (a WAITING request + its 1-second watcher).
 * Lists the user's requests with a cancel button (ownership re-checked). No WB calls.
 */
import { Composer } from "telegraf";
import { decodeCallback, escapeHtml, parseCallbackId, warehouseById } from "@wbslots/domain";
import { NotFoundError, type Prisma } from "@wbslots/db";
import { removeRedistributeWatcher, upsertRedistributeWatcher } from "@wbslots/queues";
import type { BotContext } from "../context";
import type { Feature } from "../create-bot";
import { isUsableCredential } from "./monitor/credentials";
import { STALE_BUTTON_TEXT, ack, alert, callbackData, messageText, showScreen } from "./monitor/ui";
import { PICKER_ACTIONS, PICKER_SEARCH_PROMPT, warehousePicker } from "./monitor/warehouse-picker";
import {
  RD_CANCEL_BUTTON,
  REDISTRIBUTE_SCENES as S,
  REDISTRIBUTE_SCOPE,
  completeRedistribute,
  parseNmInput,
  parseQuantity,
  rdCallback,
  readRedistributeState,
  redistributeConfirmKeyboard,
  redistributeConfirmText,
  requestListScreen,
  type RedistributeState,
} from "./redistribute/wizard";

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const CONFIRM_LOCK_MS = 15_000;
/** Requests shown in the list. */
const LIST_SIZE = 10;

const composer = new Composer<BotContext>();

function state(ctx: BotContext): RedistributeState {
  return readRedistributeState(ctx.conversation?.data);
}

async function go(ctx: BotContext, scene: string, next: RedistributeState): Promise<void> {
  await ctx.enter(scene, next as Prisma.InputJsonValue);
}

function header(step: number): string {
  return `<b>Перераспределение · шаг ${step} из 6</b>`;
}

async function startWizard(ctx: BotContext): Promise<void> {
  const now = ctx.deps.now();
  const keys = (await ctx.deps.repos.apiKeys.list(ctx.userId)).filter((k) => k.kind === "PORTAL_SESSION" && isUsableCredential(k, now));
  if (keys.length === 0) {
    await ctx.leave();
    await showScreen(
      ctx,
      [
        "🌐 <b>Нужен вход в кабинет продавца</b>",
        "Перераспределение остатков есть только в кабинете продавца WB — в официальном API такого метода нет.",
        "Подключите вход в кабинет в разделе /keys и возвращайтесь.",
      ].join("\n"),
      [[{ text: "🔑 Ключи и вход", callback_data: "menu:keys" }]],
    );
    return;
  }
  await go(ctx, S.key, {});
  await showScreen(
    ctx,
    `${header(1)}\n🌐 Через какой кабинет отправить заявку?`,
    [...keys.map((k) => [{ text: `🌐 ${k.name}`.slice(0, 60), callback_data: rdCallback("key", k.id) }]), [RD_CANCEL_BUTTON]],
  );
}

async function showRequests(ctx: BotContext, note?: string): Promise<void> {
  const requests = await ctx.deps.repos.redistributions.list(ctx.userId, LIST_SIZE);
  const screen = requestListScreen(requests);
  await showScreen(ctx, [note, screen.text].filter(Boolean).join("\n\n"), screen.keyboard);
}

async function entry(ctx: BotContext): Promise<void> {
  if (ctx.conversation) await ctx.leave();
  const existing = await ctx.deps.repos.redistributions.list(ctx.userId, 1);
  if (existing.length === 0) return startWizard(ctx);
  await showRequests(ctx);
}

function isFromStep(scene: string | undefined): boolean {
  return scene === S.from || scene === S.fromSearch;
}

async function showPicker(ctx: BotContext, s: RedistributeState, from: boolean): Promise<void> {
  const title = from ? `${header(3)}\n📤 <b>С какого склада забрать?</b>` : `${header(4)}\n📥 <b>На какой склад перевезти?</b>\n📤 Откуда: ${escapeHtml(s.fromName ?? "")}`;
  const screen = warehousePicker(REDISTRIBUTE_SCOPE, title, { page: s.page ?? 1, ...(s.query ? { query: s.query } : {}) }, RD_CANCEL_BUTTON.callback_data, from ? undefined : s.fromId);
  await showScreen(ctx, screen.text, screen.keyboard);
}

async function showConfirm(ctx: BotContext, s: RedistributeState): Promise<void> {
  const complete = completeRedistribute(s);
  if (!complete) {
    await ctx.leave();
    await alert(ctx, STALE_BUTTON_TEXT);
    return;
  }
  await showScreen(ctx, redistributeConfirmText(complete), redistributeConfirmKeyboard());
}

composer.command("redistribute", entry);
composer.action("menu:redistribute", async (ctx) => {
  await ack(ctx);
  await entry(ctx);
});

composer.action(/^rd:/, async (ctx) => {
  const decoded = decodeCallback(callbackData(ctx));
  if (!decoded) {
    await alert(ctx, STALE_BUTTON_TEXT);
    return;
  }
  const { action, args } = decoded;
  const arg = args[0];
  switch (action) {
    case "noop":
      await ack(ctx);
      return;
    case "new":
      await ack(ctx);
      if (ctx.inScene("redistribute")) await ctx.leave();
      await startWizard(ctx);
      return;
    case "list":
      await ack(ctx);
      await showRequests(ctx);
      return;
    case "cancel":
      await ack(ctx);
      if (ctx.inScene("redistribute")) await ctx.leave();
      await showScreen(ctx, "Заявка не создана. Начать заново: /redistribute");
      return;
    case "del": {
      const id = parseCallbackId(arg);
      if (id === null) break;
      await cancelRequest(ctx, id);
      return;
    }
    default:
      break;
  }
  if (!ctx.inScene("redistribute")) {
    await alert(ctx, STALE_BUTTON_TEXT);
    return;
  }
  const s = state(ctx);
  const scene = ctx.conversation?.scene;
  const inPicker = isFromStep(scene) || scene === S.to || scene === S.toSearch;
  const from = isFromStep(scene);
  switch (action) {
    case "key": {
      if (scene !== S.key || arg === undefined || !UUID_RE.test(arg)) break;
      let key;
      try {
        key = await ctx.deps.repos.apiKeys.getOwned(ctx.userId, arg);
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
        await alert(ctx, "Ключ не найден. Откройте /redistribute заново.");
        return;
      }
      if (key.kind !== "PORTAL_SESSION" || !isUsableCredential(key, ctx.deps.now())) {
        await alert(ctx, "Этот вход в кабинет больше не работает. Обновите его в /keys.");
        return;
      }
      await ack(ctx);
      await go(ctx, S.nm, { keyId: key.id, keyName: key.name });
      await showScreen(
        ctx,
        `${header(2)}\n🔢 Пришлите артикул WB (nmID), например <code>123456789</code>.\nЕсли нужен один размер — добавьте через пробел его chrtID.`,
        [[RD_CANCEL_BUTTON]],
      );
      return;
    }
    case PICKER_ACTIONS.page:
    case PICKER_ACTIONS.results: {
      const page = parseCallbackId(arg);
      if (!inPicker || page === null || page < 1) break;
      await ack(ctx);
      const next: RedistributeState = { ...s, page };
      if (action === PICKER_ACTIONS.page) delete next.query;
      await go(ctx, from ? S.from : S.to, next);
      await showPicker(ctx, next, from);
      return;
    }
    case PICKER_ACTIONS.search: {
      if (!inPicker) break;
      await ack(ctx);
      await go(ctx, from ? S.fromSearch : S.toSearch, s);
      await showScreen(ctx, PICKER_SEARCH_PROMPT, [[{ text: "📋 Все склады", callback_data: rdCallback(PICKER_ACTIONS.page, 1) }], [RD_CANCEL_BUTTON]]);
      return;
    }
    case PICKER_ACTIONS.choose: {
      const id = parseCallbackId(arg);
      const warehouse = id === null ? undefined : warehouseById(id);
      if (!inPicker || !warehouse) break;
      if (!from && warehouse.id === s.fromId) {
        await alert(ctx, "Склад назначения должен отличаться от склада отправления.");
        return;
      }
      await ack(ctx);
      if (from) {
        const { query: _query, ...rest } = s;
        const next: RedistributeState = { ...rest, fromId: warehouse.id, fromName: warehouse.name, page: 1 };
        await go(ctx, S.to, next);
        await showPicker(ctx, next, false);
        return;
      }
      const next: RedistributeState = { ...s, toId: warehouse.id, toName: warehouse.name };
      await go(ctx, S.quantity, next);
      await showScreen(ctx, `${header(5)}\n📦 Сколько штук перевезти? Пришлите число, например <code>50</code>.`, [[RD_CANCEL_BUTTON]]);
      return;
    }
    case "go": {
      if (scene !== S.confirm) break;
      await createRequest(ctx, s);
      return;
    }
    default:
      break;
  }
  await alert(ctx, STALE_BUTTON_TEXT);
});

composer.on("text", async (ctx, next) => {
  if (!ctx.inScene("redistribute")) return next();
  const text = messageText(ctx) ?? "";
  if (text.startsWith("/")) return next();
  const s = state(ctx);
  const scene = ctx.conversation?.scene;
  const cancelKeyboard = { reply_markup: { inline_keyboard: [[RD_CANCEL_BUTTON]] } };
  switch (scene) {
    case S.nm: {
      const parsed = parseNmInput(text);
      if (!parsed.ok) {
        await ctx.reply(parsed.error, cancelKeyboard);
        return;
      }
      const nextState: RedistributeState = { ...s, nmId: parsed.value.nmId, chrtId: parsed.value.chrtId, page: 1 };
      await go(ctx, S.from, nextState);
      await showPicker(ctx, nextState, true);
      return;
    }
    case S.from:
    case S.fromSearch:
    case S.to:
    case S.toSearch: {
      const from = isFromStep(scene);
      const nextState: RedistributeState = { ...s, page: 1, query: text.trim().slice(0, 64) };
      await go(ctx, from ? S.from : S.to, nextState);
      await showPicker(ctx, nextState, from);
      return;
    }
    case S.quantity: {
      const parsed = parseQuantity(text);
      if (!parsed.ok) {
        await ctx.reply(parsed.error, cancelKeyboard);
        return;
      }
      const nextState: RedistributeState = { ...s, quantity: parsed.value };
      await go(ctx, S.confirm, nextState);
      await showConfirm(ctx, nextState);
      return;
    }
    default:
      await ctx.reply("Выберите вариант кнопками выше или отмените: «✖️ Отмена».");
  }
});

async function createRequest(ctx: BotContext, s: RedistributeState): Promise<void> {
  const { repos, queues, redis, config } = ctx.deps;
  const complete = completeRedistribute(s);
  if (!complete) {
    await ctx.leave();
    await alert(ctx, STALE_BUTTON_TEXT);
    return;
  }
  const lockKey = `${config.QUEUE_PREFIX}:lock:redistribute-confirm:${ctx.userId}`;
  if ((await redis.set(lockKey, "1", "PX", CONFIRM_LOCK_MS, "NX")) !== "OK") {
    await ack(ctx, "Уже отправляю…");
    return;
  }
  try {
    let key;
    try {
      key = await repos.apiKeys.getOwned(ctx.userId, complete.keyId);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      await ctx.leave();
      await alert(ctx, "Вход в кабинет удалён. Начните заново: /redistribute");
      return;
    }
    if (!isUsableCredential(key, ctx.deps.now())) {
      await alert(ctx, "Вход в кабинет больше не работает. Обновите его в /keys.");
      return;
    }
    const request = await repos.redistributions.create({
      userId: ctx.userId,
      credentialId: key.id,
      nmId: BigInt(complete.nmId),
      chrtId: complete.chrtId === null ? null : BigInt(complete.chrtId),
      srcOfficeId: complete.fromId,
      srcOfficeName: complete.fromName,
      dstOfficeId: complete.toId,
      dstOfficeName: complete.toName,
      quantity: complete.quantity,
    });
    await ctx.leave();
    try {
      await upsertRedistributeWatcher(queues, request.id);
    } catch (error) {
      ctx.log.error({ err: error, requestId: request.id }, "upsertRedistributeWatcher failed; the reconciler will restore it");
    }
    await repos.operations.log(ctx.userId, "redistribution.created", { requestId: request.id, srcOfficeId: complete.fromId, dstOfficeId: complete.toId, quantity: complete.quantity });
    await ack(ctx, "Заявка создана");
    await showScreen(
      ctx,
      `⏳ <b>Заявка #${request.id} создана.</b>\nОтправлю её в WB, как только лимиты позволят, и напишу результат.`,
      [[{ text: "📋 Мои заявки", callback_data: rdCallback("list") }]],
    );
  } finally {
    await redis.del(lockKey);
  }
}

async function cancelRequest(ctx: BotContext, id: number): Promise<void> {
  try {
    await ctx.deps.repos.redistributions.cancelOwned(ctx.userId, id);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    let exists = true;
    try {
      await ctx.deps.repos.redistributions.getOwned(ctx.userId, id);
    } catch (inner) {
      if (!(inner instanceof NotFoundError)) throw inner;
      exists = false;
    }
    await alert(ctx, exists ? "Эту заявку уже нельзя отменить." : "Заявка не найдена");
    if (exists) await showRequests(ctx);
    return;
  }
  await removeRedistributeWatcher(ctx.deps.queues, id);
  await ack(ctx, "Заявка отменена");
  await showRequests(ctx, `✖️ Заявка #${id} отменена.`);
}

/** The /redistribute feature (also `menu:redistribute`). */
export const redistributeFeature: Feature = { name: "redistribute", composer };
