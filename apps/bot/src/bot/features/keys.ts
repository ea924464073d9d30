import { Composer } from "telegraf";
import { message } from "telegraf/filters";
import { z } from "zod";
import { CredentialLimitError, DuplicateCredentialError, MAX_CREDENTIALS_PER_USER, NotFoundError, type CredentialView, type NewCredential } from "@wbslots/db";
import { decodeCallback, escapeHtml } from "@wbslots/domain";
import { checkOfficialCredential, checkPortalSession, type CredentialVerdict } from "@wbslots/wb";
import type { BotContext } from "../context";
import type { Feature } from "../create-bot";
import { StaleCallbackError } from "../errors";
import { MENU } from "../menu";
import {
  MAX_KEY_NAME,
  OFFICIAL_GUIDE_TEXT,
  PORTAL_GUIDE_TEXT,
  PORTAL_WARNING_TEXT,
  addChoiceView,
  deleteConfirmView,
  keysListView,
  nameQuestionView,
  portalWarningKeyboard,
} from "./keys-view";

/** Wizard steps of this feature (conversation scenes). */
export const KEYS_SCENE = {
  official: "keys.official",
  portal: "keys.portal",
  name: "keys.name",
  rename: "keys.rename",
} as const;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const keyRefSchema = z.object({ keyId: z.string().regex(UUID_RE) });

const LIMIT_TEXT = `Можно хранить не больше ${MAX_CREDENTIALS_PER_USER} ключей. Удалите ненужный в /keys и добавьте новый.`;
const DUPLICATE_TEXT = "Этот ключ уже добавлен — второй раз сохранять его не нужно. Список ключей: /keys";

const composer = new Composer<BotContext>();

async function showList(ctx: BotContext): Promise<void> {
  const keys = await ctx.deps.repos.apiKeys.list(ctx.userId);
  const view = keysListView(keys, ctx.deps.now());
  await ctx.reply(view.text, { parse_mode: "HTML", ...view.keyboard });
}

/** Deletes the user's message that carried a secret; tells them to do it when the bot cannot. */
async function deleteSecretMessage(ctx: BotContext, messageId: number): Promise<void> {
  try {
    await ctx.deleteMessage(messageId);
  } catch (error) {
    ctx.log.warn({ err: error }, "could not delete a message with a credential");
    await ctx.reply("⚠️ Не получилось удалить сообщение с ключом — удалите его из чата сами.");
  }
}

async function editOrReply(ctx: BotContext, messageId: number, text: string): Promise<void> {
  const chatId = ctx.chat?.id;
  if (chatId === undefined) return;
  try {
    await ctx.telegram.editMessageText(chatId, messageId, undefined, text, { parse_mode: "HTML" });
  } catch {
    await ctx.reply(text, { parse_mode: "HTML" });
  }
}

async function startAdd(ctx: BotContext): Promise<void> {
  const count = (await ctx.deps.repos.apiKeys.list(ctx.userId)).length;
  if (count >= MAX_CREDENTIALS_PER_USER) {
    await ctx.reply(LIMIT_TEXT);
    return;
  }
  const view = addChoiceView();
  await ctx.reply(view.text, { parse_mode: "HTML", ...view.keyboard });
}

async function askPortalSession(ctx: BotContext): Promise<void> {
  await ctx.enter(KEYS_SCENE.portal);
  await ctx.reply(PORTAL_GUIDE_TEXT, { parse_mode: "HTML" });
}

/** Owned credential for a callback argument, or a stale-button alert. */
async function ownedKey(ctx: BotContext, arg: string | undefined): Promise<CredentialView> {
  if (arg === undefined || !UUID_RE.test(arg)) throw new StaleCallbackError();
  try {
    return await ctx.deps.repos.apiKeys.getOwned(ctx.userId, arg);
  } catch (error) {
    if (error instanceof NotFoundError) throw new StaleCallbackError("Ключ не найден: возможно, он уже удалён. Откройте /keys заново.");
    throw error;
  }
}

/**
 * Saves a checked credential (default name), reports the verdict and asks for a name.
 * Shared by official tokens and portal sessions.
 */
async function saveChecked(
  ctx: BotContext,
  progressId: number,
  verdict: Extract<CredentialVerdict, { ok: true }>,
  input: Omit<NewCredential, "userId" | "name">,
): Promise<void> {
  const { repos } = ctx.deps;
  const count = (await repos.apiKeys.list(ctx.userId)).length;
  const defaultName = input.kind === "PORTAL_SESSION" ? `Кабинет ${count + 1}` : `Ключ ${count + 1}`;
  let saved: CredentialView;
  try {
    saved = await repos.apiKeys.create({ ...input, userId: ctx.userId, name: defaultName });
  } catch (error) {
    if (error instanceof DuplicateCredentialError) return await editOrReply(ctx, progressId, DUPLICATE_TEXT).then(() => ctx.leave());
    if (error instanceof CredentialLimitError) return await editOrReply(ctx, progressId, LIMIT_TEXT).then(() => ctx.leave());
    throw error;
  }
  await repos.operations.log(ctx.userId, "credential.added", { credentialId: saved.id, kind: saved.kind, tokenType: saved.tokenType });
  const personal =
    verdict.tokenType === "personal"
      ? "\n\n⚠️ Это <b>персональный</b> токен. WB запрещает использовать персональные токены в облачных сервисах — создайте сервисный токен и замените этот, когда будет удобно."
      : "";
  await editOrReply(ctx, progressId, `✅ <b>Ключ работает</b>\n${escapeHtml(verdict.summary)}${personal}`);
  await ctx.enter(KEYS_SCENE.name, { keyId: saved.id });
  const question = nameQuestionView(defaultName);
  await ctx.reply(question.text, { parse_mode: "HTML", ...question.keyboard });
}

async function addOfficial(ctx: BotContext, text: string): Promise<void> {
  const token = text.trim();
  const { repos, wb, now } = ctx.deps;
  if (await repos.apiKeys.exists(ctx.userId, token)) {
    await ctx.leave();
    await ctx.reply(DUPLICATE_TEXT);
    return;
  }
  if ((await repos.apiKeys.list(ctx.userId)).length >= MAX_CREDENTIALS_PER_USER) {
    await ctx.leave();
    await ctx.reply(LIMIT_TEXT);
    return;
  }
  const progress = await ctx.reply("⏳ Проверяю ключ…");
  const verdict = await checkOfficialCredential(wb, token, now().getTime());
  if (!verdict.ok) {
    ctx.log.info({ code: verdict.code }, "official token refused");
    await editOrReply(ctx, progress.message_id, `❌ Ключ не подошёл: ${escapeHtml(verdict.reason)}\n\nПришлите другой токен или /keys, чтобы выйти.`);
    return;
  }
  await saveChecked(ctx, progress.message_id, verdict, {
    kind: "OFFICIAL_TOKEN",
    secret: token,
    tokenType: verdict.tokenType,
    sellerId: verdict.sellerId,
    expiresAt: verdict.expiresAt,
  });
}

/** Splits "authorizev3 supplierId" (either order) into its parts. */
export function parsePortalSession(text: string): { authorizev3: string; supplierId: string } | null {
  const parts = text.trim().split(/\s+/).filter((part) => part.length > 0);
  if (parts.length !== 2) return null;
  const [a, b] = parts as [string, string];
  const isJwt = (value: string): boolean => value.split(".").length === 3 && value.length > 20;
  if (isJwt(a) && !isJwt(b)) return { authorizev3: a, supplierId: b };
  if (isJwt(b) && !isJwt(a)) return { authorizev3: b, supplierId: a };
  return a.length >= b.length ? { authorizev3: a, supplierId: b } : { authorizev3: b, supplierId: a };
}

async function addPortal(ctx: BotContext, text: string): Promise<void> {
  const session = parsePortalSession(text);
  if (!session) {
    await ctx.reply("Нужны оба значения одним сообщением: <code>authorizev3 supplierId</code>. Пришлите ещё раз или /keys, чтобы выйти.", { parse_mode: "HTML" });
    return;
  }
  // Workers parse the stored secret as exactly this JSON.
  const secret = JSON.stringify({ authorizev3: session.authorizev3, supplierId: session.supplierId });
  const { repos, wb, now } = ctx.deps;
  if (await repos.apiKeys.exists(ctx.userId, secret)) {
    await ctx.leave();
    await ctx.reply(DUPLICATE_TEXT);
    return;
  }
  const progress = await ctx.reply("⏳ Проверяю сессию кабинета…");
  const verdict = await checkPortalSession(wb, session, now().getTime());
  if (!verdict.ok) {
    ctx.log.info({ code: verdict.code }, "portal session refused");
    await editOrReply(ctx, progress.message_id, `❌ Сессия не подошла: ${escapeHtml(verdict.reason)}\n\nПришлите другую или /keys, чтобы выйти.`);
    return;
  }
  await saveChecked(ctx, progress.message_id, verdict, {
    kind: "PORTAL_SESSION",
    secret,
    supplierId: session.supplierId,
    expiresAt: verdict.expiresAt,
  });
}

async function renameFromText(ctx: BotContext, text: string): Promise<void> {
  const ref = keyRefSchema.safeParse(ctx.conversation?.data);
  if (!ref.success) {
    await ctx.leave();
    return await showList(ctx);
  }
  const name = text.trim().replace(/\s+/g, " ");
  if (name.length === 0 || name.length > MAX_KEY_NAME) {
    await ctx.reply(`Название — от 1 до ${MAX_KEY_NAME} символов. Пришлите другое.`);
    return;
  }
  try {
    await ctx.deps.repos.apiKeys.rename(ctx.userId, ref.data.keyId, name);
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
    await ctx.reply("Ключ не найден: возможно, он уже удалён.");
  }
  await ctx.leave();
  await showList(ctx);
}

composer.command("keys", async (ctx) => {
  if (ctx.conversation) await ctx.leave();
  await showList(ctx);
});

composer.action(MENU.keys, async (ctx) => {
  await ctx.answerCbQuery();
  if (ctx.inScene("keys")) await ctx.leave();
  await showList(ctx);
});

composer.action(/^keys:/, async (ctx) => {
  const decoded = decodeCallback(ctx.match.input);
  if (!decoded) throw new StaleCallbackError();
  const [arg] = decoded.args;
  const { repos } = ctx.deps;
  switch (decoded.action) {
    case "list":
    case "cancel":
      await ctx.answerCbQuery(decoded.action === "cancel" ? "Отменено" : undefined);
      if (ctx.inScene("keys")) await ctx.leave();
      return await showList(ctx);
    case "add":
      await ctx.answerCbQuery();
      return await startAdd(ctx);
    case "add_official":
      await ctx.answerCbQuery();
      if ((await repos.apiKeys.list(ctx.userId)).length >= MAX_CREDENTIALS_PER_USER) return await ctx.reply(LIMIT_TEXT).then(() => undefined);
      await ctx.enter(KEYS_SCENE.official);
      await ctx.reply(OFFICIAL_GUIDE_TEXT, { parse_mode: "HTML" });
      return;
    case "add_portal": {
      await ctx.answerCbQuery();
      const user = await repos.users.get(ctx.userId);
      if (user?.portalOptIn) return await askPortalSession(ctx);
      await ctx.reply(PORTAL_WARNING_TEXT, { parse_mode: "HTML", ...portalWarningKeyboard() });
      return;
    }
    case "portal_ok":
      await ctx.answerCbQuery();
      await repos.users.setPortalOptIn(ctx.userId, true);
      return await askPortalSession(ctx);
    case "keep_name":
      if (!ctx.inScene(KEYS_SCENE.name)) throw new StaleCallbackError();
      await ctx.answerCbQuery("Название оставлено");
      await ctx.leave();
      return await showList(ctx);
    case "ren": {
      const key = await ownedKey(ctx, arg);
      await ctx.answerCbQuery();
      await ctx.enter(KEYS_SCENE.rename, { keyId: key.id });
      await ctx.reply(`✏️ Пришлите новое название для ключа «<b>${escapeHtml(key.name)}</b>» (до ${MAX_KEY_NAME} символов).`, { parse_mode: "HTML" });
      return;
    }
    case "del": {
      const key = await ownedKey(ctx, arg);
      await ctx.answerCbQuery();
      const view = deleteConfirmView(key);
      await ctx.reply(view.text, { parse_mode: "HTML", ...view.keyboard });
      return;
    }
    case "del_ok": {
      const key = await ownedKey(ctx, arg);
      await repos.apiKeys.delete(ctx.userId, key.id);
      await repos.operations.log(ctx.userId, "credential.deleted", { credentialId: key.id, kind: key.kind });
      await ctx.answerCbQuery("Ключ удалён");
      return await showList(ctx);
    }
    default:
      throw new StaleCallbackError();
  }
});

composer.on(message("text"), async (ctx, next) => {
  if (!ctx.inScene("keys")) return next();
  const text = ctx.message.text;
  if (text.startsWith("/")) return next();
  switch (ctx.conversation?.scene) {
    case KEYS_SCENE.official:
      await deleteSecretMessage(ctx, ctx.message.message_id);
      return await addOfficial(ctx, text);
    case KEYS_SCENE.portal:
      await deleteSecretMessage(ctx, ctx.message.message_id);
      return await addPortal(ctx, text);
    case KEYS_SCENE.name:
    case KEYS_SCENE.rename:
      return await renameFromText(ctx, text);
    default:
      await ctx.leave();
      return next();
  }
});

/** /keys: list, add (official token or opt-in portal session), rename and delete WB credentials. */
export const keysFeature: Feature = { name: "keys", composer };
