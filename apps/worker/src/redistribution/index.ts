/**
 * The `redistribute` queue processor: one job per WAITING redistribution request per
 * second (job scheduler `redistribute:{requestId}`). Each tick reads the supplier's
 * redistribution limits (shared per supplier for about a second), and when both the
 * source and the destination office have quota for the request's quantity and the
 * source warehouse has the stock, submits `transfer/order` exactly once.
 *
 * State machine (RedistributionRequest.status):
 *
 *   WAITING ──(quota ok, stock ok, wins WAITING→SUBMITTED)──▶ SUBMITTED ──(WB ok)──▶ DONE
 *      ▲                                                        │
 *      └──(WB rejected the order: 4xx / JSON-RPC error, 429, ───┘
 *          circuit open, method disabled — surely not applied)
 *   SUBMITTED ──(timeout / 5xx / broken answer: outcome unknown)──▶ FAILED "check the portal"
 *   SUBMITTED ──(older than `staleSubmittedMs`: a worker died mid-call)──▶ FAILED "check the portal"
 *   WAITING/SUBMITTED ──(session rejected)──▶ FAILED + invalid_key notification
 *   WAITING ──(not enough stock at the source)──▶ FAILED + redistribution_failed notification
 */
import type { Job } from "bullmq";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { Repositories, RedistributionRequest, RedistributionStatus } from "@wbslots/db";
import { redistributionSuccessText } from "@wbslots/domain";
import type { Logger } from "@wbslots/logger";
import { enqueueNotification, redistributeJobSchema, removeRedistributeWatcher, type NotificationJob, type Queues } from "@wbslots/queues";
import { InProcessLimitsCache, RedisLimitsCache, type LimitsCache } from "./limits-cache";
import { redistributionDisabledText, redistributionFailedText, redistributionSessionInvalidText } from "./texts";
import { classifyWbError, quotasSchema, stocksSchema, type PortalCredential, type PortalTransferApi, type Quota, type TransferOrderLine } from "./wb-port";

export { classifyWbError, type PortalCredential, type PortalTransferApi, type TransferOrderLine, type Quota, type WbErrorClass } from "./wb-port";
export { RedisLimitsCache, InProcessLimitsCache, type LimitsCache } from "./limits-cache";
export { redistributionFailedText, redistributionSessionInvalidText, redistributionDisabledText } from "./texts";

/** Tunables of the processor; defaults in {@link REDISTRIBUTE_DEFAULTS}. */
export interface RedistributeOptions {
  /** How long one `transfer/AvailableLimits` answer serves every request of a supplier. */
  readonly limitsTtlMs: number;
  /** A SUBMITTED request older than this without DONE is failed for a human to check. */
  readonly staleSubmittedMs: number;
  /** `lastCheckedAt` is written at most this often per request (not every tick). */
  readonly touchEveryMs: number;
}

/**
 * Defaults: limits are shared for 800 ms (a bit under the 1 s tick, whose jobs jitter, so one request alone
 * still sees a fresh answer every tick while a supplier's many requests make about one
 * call per second); SUBMITTED older than 5 minutes is failed (the order call times out
 * far sooner).
 */
export const REDISTRIBUTE_DEFAULTS: RedistributeOptions = { limitsTtlMs: 800, staleSubmittedMs: 5 * 60_000, touchEveryMs: 5_000 };

/** Dependencies of {@link createRedistributeProcessor}. */
export interface RedistributeProcessorDeps {
  readonly repos: Pick<Repositories, "redistributions" | "apiKeys" | "operations">;
  /** The WB gateway clients (`createWbClients(...)`); only `portal` is used. */
  readonly wb: { readonly portal: PortalTransferApi };
  readonly queues: Pick<Queues, "redistribute" | "notifications">;
  readonly logger: Logger;
  /** Clock, ms since epoch. */
  readonly now?: () => number;
  /**
   * Redis for the limits cache shared by all workers (recommended in production).
   * Without it the cache is per process.
   */
  readonly redis?: Redis;
  /** Key prefix for the Redis cache (use the queues' prefix). Default `wbslots`. */
  readonly keyPrefix?: string;
  readonly options?: Partial<RedistributeOptions>;
}

/** The processor of the `redistribute` queue. */
export type RedistributeProcessor = (job: Pick<Job, "data" | "id">) => Promise<void>;

/** The decrypted secret of a PORTAL_SESSION credential. */
const portalSecretSchema = z.object({ authorizev3: z.string().min(1), supplierId: z.string().min(1) });

/** Dedupe keys of the notifications (job ids are derived from them). */
const dedupe = {
  success: (id: number) => `redistribution-${id}`,
  failed: (id: number) => `redistribution-failed-${id}`,
  invalidKey: (id: number) => `invalid-key-redistribution-${id}`,
  disabled: (credentialId: string) => `redistribution-disabled-${credentialId}`,
};

/** The `error` of a request that waits because WB switched the method off. */
const DISABLED_REASON = "WB временно отключил перераспределение; заявка ждёт, пока его включат";

/** A request's success notification is re-published (deduped) when a tick sees it DONE this recently. */
const RENOTIFY_DONE_WITHIN_MS = 10 * 60_000;
/** How long a tick leaves a just-DONE request to the worker that ordered it. */
const WINNER_GRACE_MS = 3_000;

const officeName = (name: string | null | undefined, quota: Quota | undefined, id: number): string =>
  name?.trim() || quota?.officeName?.trim() || `склад ${id}`;

/**
 * Builds the processor of the `redistribute` queue. Safe to run in any number of
 * workers at once: the WAITING→SUBMITTED transition in Postgres decides who orders.
 * @returns the BullMQ processor `(job) => Promise<void>`
 */
export function createRedistributeProcessor(deps: RedistributeProcessorDeps): RedistributeProcessor {
  const now = deps.now ?? Date.now;
  const options: RedistributeOptions = { ...REDISTRIBUTE_DEFAULTS, ...deps.options };
  const log = deps.logger.child({ component: "redistribute" });
  const { redistributions, apiKeys, operations } = deps.repos;
  const cache: LimitsCache = deps.redis
    ? new RedisLimitsCache(deps.redis, deps.keyPrefix ?? "wbslots", options.limitsTtlMs)
    : new InProcessLimitsCache(options.limitsTtlMs, now);
  const lastTouch = new Map<number, number>();

  const notify = async (request: RedistributionRequest, kind: NotificationJob["kind"], text: string, key: string): Promise<void> => {
    await enqueueNotification(deps.queues, { userId: request.userId.toString(), kind, text, createdAt: now() }, key);
  };

  const stopWatching = async (id: number): Promise<void> => {
    lastTouch.delete(id);
    await removeRedistributeWatcher(deps.queues, id);
  };

  const maybeTouch = async (id: number): Promise<void> => {
    const at = now();
    if (at - (lastTouch.get(id) ?? 0) < options.touchEveryMs) return;
    lastTouch.set(id, at);
    await redistributions.touch(id, new Date(at));
  };

  /**
   * Ends a request as FAILED (only from `from`), logs it, tells the user, stops the watcher.
   * `reason` is our own wording (stored in `error`, shown to the user): never a secret.
   */
  const fail = async (request: RedistributionRequest, from: readonly RedistributionStatus[], reason: string): Promise<void> => {
    if (await redistributions.transition(request.id, from, "FAILED", reason)) {
      log.warn({ requestId: request.id, reason }, "redistribution failed");
      await operations.log(request.userId, "redistribution.failed", { requestId: request.id, reason });
      await notify(request, "redistribution_failed", redistributionFailedText({ requestId: request.id, nmId: Number(request.nmId), reason }), dedupe.failed(request.id));
    }
    await stopWatching(request.id);
  };

  /** WB rejected the session: the credential is marked invalid and the request fails. */
  const failUnauthorized = async (request: RedistributionRequest, from: readonly RedistributionStatus[], credentialId: string, keyName: string): Promise<void> => {
    const reason = "WB не принимает вход в кабинет: сессия недействительна или истекла.";
    await apiKeys.markInvalid(credentialId, "WB: portal session rejected (401)");
    if (await redistributions.transition(request.id, from, "FAILED", reason)) {
      log.warn({ requestId: request.id, credentialId }, "redistribution failed: portal session rejected");
      await operations.log(request.userId, "credential.invalid", { credentialId, source: "redistribution", requestId: request.id });
      await operations.log(request.userId, "redistribution.failed", { requestId: request.id, reason: "invalid_session" });
      await notify(request, "invalid_key", redistributionSessionInvalidText({ requestId: request.id, nmId: Number(request.nmId), keyName }), dedupe.invalidKey(request.id));
    }
    await stopWatching(request.id);
  };

  /** Stores why a WAITING request waits, writing only when it changes (not every tick). */
  const setWaitingReason = async (request: RedistributionRequest, reason: string | null): Promise<void> => {
    if (request.error === reason) return;
    await redistributions.transition(request.id, ["WAITING"], "WAITING", reason);
  };

  const notifyDisabled = async (request: RedistributionRequest, credentialId: string): Promise<void> => {
    log.warn({ requestId: request.id }, "WB switched redistribution off; request keeps waiting");
    await notify(request, "source_disabled", redistributionDisabledText(), dedupe.disabled(credentialId));
  };

  /** Loads and decrypts the request's credential; fails the request when it cannot be used. */
  const loadCredential = async (request: RedistributionRequest): Promise<{ cred: PortalCredential; keyName: string } | null> => {
    if (!request.credentialId) {
      await fail(request, ["WAITING"], "К заявке не привязан вход в кабинет WB (его удалили). Подключите вход через /keys и создайте заявку заново.");
      return null;
    }
    const revealed = await apiKeys.reveal(request.credentialId);
    if (!revealed) {
      await fail(request, ["WAITING"], "Вход в кабинет WB, привязанный к заявке, удалён.");
      return null;
    }
    const { credential, secret } = revealed;
    if (credential.kind !== "PORTAL_SESSION") {
      await fail(request, ["WAITING"], "Перераспределение работает только через вход в кабинет продавца, а к заявке привязан API-ключ. Подключите вход в кабинет через /keys.");
      return null;
    }
    if (!credential.isValid) {
      await failUnauthorized(request, ["WAITING"], credential.id, credential.name);
      return null;
    }
    let parsed: z.infer<typeof portalSecretSchema> | null = null;
    try {
      const result = portalSecretSchema.safeParse(JSON.parse(secret));
      parsed = result.success ? result.data : null;
    } catch {
      parsed = null;
    }
    if (!parsed) {
      // Never log or store the secret itself.
      await fail(request, ["WAITING"], "Данные входа в кабинет повреждены. Подключите вход заново через /keys.");
      return null;
    }
    return { cred: { credentialId: credential.id, authorizev3: parsed.authorizev3, supplierId: parsed.supplierId }, keyName: credential.name };
  };

  /**
   * Handles a failed read (limits, stock) while WAITING.
   * @returns nothing; the request either failed or waits for the next tick
   */
  const onReadError = async (request: RedistributionRequest, cred: PortalCredential, keyName: string, call: string, error: unknown): Promise<void> => {
    const cls = classifyWbError(error);
    switch (cls.kind) {
      case "foreign":
        throw error;
      case "unauthorized":
        return await failUnauthorized(request, ["WAITING"], cred.credentialId, keyName);
      case "disabled":
        await setWaitingReason(request, DISABLED_REASON);
        return await notifyDisabled(request, cred.credentialId);
      case "rate_limited":
        // The shared limiter's answer, not an error: nobody asks again before WB allows it.
        await cache.holdOff(cred.supplierId, cls.retryAfterMs);
        log.debug({ requestId: request.id, call, retryAfterMs: cls.retryAfterMs }, "rate limited; waiting");
        return;
      default:
        log.warn({ requestId: request.id, call, error: cls.kind === "bad_request" ? cls.message : cls.kind }, "WB read failed; retrying next tick");
        return;
    }
  };

  /** @returns the supplier's quotas, or null when this tick should just wait */
  const readLimits = async (request: RedistributionRequest, cred: PortalCredential, keyName: string): Promise<Quota[] | null> => {
    const cached = await cache.get(cred.supplierId);
    if (cached) return cached;
    if (!(await cache.tryAcquire(cred.supplierId))) return null; // another worker is asking WB this second
    let raw: unknown;
    try {
      raw = await deps.wb.portal.transferLimits(cred);
    } catch (error) {
      await onReadError(request, cred, keyName, "transferLimits", error);
      return null;
    }
    const parsed = quotasSchema.safeParse(raw);
    if (!parsed.success) {
      log.warn({ requestId: request.id }, "transferLimits answer has an unexpected shape; waiting");
      return null;
    }
    await cache.put(cred.supplierId, parsed.data);
    return parsed.data;
  };

  /**
   * Checks the stock of the article at the source warehouse (once per order attempt).
   * Insufficient stock FAILS the request: quotas come and go, but the stock of one
   * warehouse does not grow while a request waits, and a request that can never be
   * served should not sit in the list as "waiting".
   * @returns the chrtID to order, or null (failed, or wait for the next tick)
   */
  const checkStock = async (request: RedistributionRequest, cred: PortalCredential, keyName: string, srcName: string): Promise<number | null> => {
    const nmId = Number(request.nmId);
    let raw: unknown;
    try {
      raw = await deps.wb.portal.transferList(cred, [nmId]);
    } catch (error) {
      await onReadError(request, cred, keyName, "transferList", error);
      return null;
    }
    const parsed = stocksSchema.safeParse(raw);
    if (!parsed.success) {
      log.warn({ requestId: request.id }, "transferList answer has an unexpected shape; waiting");
      return null;
    }
    const atSource = parsed.data.filter((s) => s.nmID === nmId).flatMap((s) => s.chrts).filter((c) => c.warehouseID === request.srcOfficeId);
    let chrtId: number;
    if (request.chrtId !== null) {
      chrtId = Number(request.chrtId);
    } else {
      const sizes = [...new Set(atSource.map((c) => c.chrtID))];
      if (sizes.length > 1) {
        await fail(request, ["WAITING"], `У артикула ${nmId} на складе «${srcName}» несколько размеров. Создайте заявку с выбранным размером.`);
        return null;
      }
      chrtId = sizes[0] ?? 0;
    }
    const available = atSource.filter((c) => c.chrtID === chrtId).reduce((sum, c) => sum + c.count, 0);
    if (available < request.quantity) {
      await fail(request, ["WAITING"], `Недостаточно остатка: на складе «${srcName}» доступно ${available} шт., а в заявке ${request.quantity} шт.`);
      return null;
    }
    return chrtId;
  };

  /** Places the order after winning WAITING→SUBMITTED. Never places it twice. */
  const submit = async (request: RedistributionRequest, cred: PortalCredential, keyName: string, chrtId: number, fromName: string, toName: string): Promise<void> => {
    const order: TransferOrderLine = {
      nmID: Number(request.nmId),
      srcOfficeID: request.srcOfficeId,
      items: [{ dstOfficeID: request.dstOfficeId, chrtID: chrtId, count: request.quantity }],
    };
    // Crash safety: from here on the request is SUBMITTED in Postgres BEFORE WB is called.
    // If this process dies between the transition and WB's answer, no tick ever orders
    // again (they all see SUBMITTED, not WAITING): we may have ordered once or not at
    // all, but never twice. Such a request stays SUBMITTED until `staleSubmittedMs`
    // passes, then a tick marks it FAILED asking the user to check the portal.
    try {
      await deps.wb.portal.transferOrder(cred, [order]);
    } catch (error) {
      await onOrderError(request, cred, keyName, error);
      return;
    }
    await cache.invalidate(cred.supplierId); // quotas were spent: others re-read them
    if (!(await redistributions.transition(request.id, ["SUBMITTED"], "DONE"))) {
      // Only the stale sweep moves SUBMITTED elsewhere, and only long after the call.
      log.error({ requestId: request.id }, "order placed but the request is no longer SUBMITTED");
    }
    log.info({ requestId: request.id, nmId: order.nmID, src: order.srcOfficeID, dst: request.dstOfficeId, quantity: request.quantity }, "redistribution submitted");
    await apiKeys.touch(cred.credentialId, new Date(now()));
    await notify(
      request,
      "redistribution_success",
      redistributionSuccessText({ nmId: Number(request.nmId), fromName, toName, quantity: request.quantity }),
      dedupe.success(request.id),
    );
    await operations.log(request.userId, "redistribution.submitted", {
      requestId: request.id,
      nmId: order.nmID,
      chrtId,
      srcOfficeId: request.srcOfficeId,
      dstOfficeId: request.dstOfficeId,
      quantity: request.quantity,
    });
    await stopWatching(request.id);
  };

  const onOrderError = async (request: RedistributionRequest, cred: PortalCredential, keyName: string, error: unknown): Promise<void> => {
    const cls = classifyWbError(error);
    switch (cls.kind) {
      case "unauthorized":
        return await failUnauthorized(request, ["SUBMITTED"], cred.credentialId, keyName);
      case "bad_request":
        // WB refused the order (e.g. the quota went between our read and the order): not applied.
        await cache.invalidate(cred.supplierId);
        await redistributions.transition(request.id, ["SUBMITTED"], "WAITING", "WB отклонил заявку (квота закончилась?), ждём снова");
        log.info({ requestId: request.id, error: cls.message }, "order rejected by WB; back to WAITING");
        return;
      case "rate_limited":
        await cache.holdOff(cred.supplierId, cls.retryAfterMs);
        await redistributions.transition(request.id, ["SUBMITTED"], "WAITING", null);
        return;
      case "not_sent":
        await redistributions.transition(request.id, ["SUBMITTED"], "WAITING", null);
        return;
      case "disabled":
        await redistributions.transition(request.id, ["SUBMITTED"], "WAITING", DISABLED_REASON);
        return await notifyDisabled(request, cred.credentialId);
      case "captcha":
        return await fail(request, ["SUBMITTED"], "WB просит подтвердить действие в кабинете (капча). Мы её не обходим: оформите перераспределение в кабинете WB.");
      default:
        // Timeout, 5xx, a broken answer or an unexpected error: WB may or may not have
        // taken the order. Ordering again could move the stock twice, so we stop here
        // and ask a human to look.
        log.error({ requestId: request.id, error: cls.kind === "transient" ? cls.name : error instanceof Error ? error.name : "unknown" }, "order outcome unknown; failing for a human to check");
        return await fail(request, ["SUBMITTED"], "WB не подтвердил заявку на перераспределение. Проверьте в кабинете WB, создана ли она, прежде чем создавать новую.");
    }
  };

  const watch = async (request: RedistributionRequest): Promise<void> => {
    const loaded = await loadCredential(request);
    if (!loaded) return;
    const { cred, keyName } = loaded;
    const quotas = await readLimits(request, cred, keyName);
    if (!quotas) return;
    if (request.error === DISABLED_REASON) await setWaitingReason(request, null); // WB turned it back on
    const src = quotas.find((q) => q.officeID === request.srcOfficeId);
    const dst = quotas.find((q) => q.officeID === request.dstOfficeId);
    if (!src || !dst || src.srcQuota < request.quantity || dst.dstQuota < request.quantity) {
      await maybeTouch(request.id);
      return;
    }
    const fromName = officeName(request.srcOfficeName, src, request.srcOfficeId);
    const toName = officeName(request.dstOfficeName, dst, request.dstOfficeId);
    const chrtId = await checkStock(request, cred, keyName, fromName);
    if (chrtId === null) return;
    // The idempotency guard: only the worker that moves WAITING→SUBMITTED orders.
    if (!(await redistributions.transition(request.id, ["WAITING"], "SUBMITTED"))) {
      log.debug({ requestId: request.id }, "another worker is submitting this request");
      return;
    }
    await submit(request, cred, keyName, chrtId, fromName, toName);
  };

  /** A SUBMITTED request seen by a tick: its order is in flight, or its worker died. */
  const checkSubmitted = async (request: RedistributionRequest): Promise<void> => {
    const since = request.submittedAt?.getTime() ?? request.updatedAt.getTime();
    if (now() - since < options.staleSubmittedMs) return; // in flight: keep the watcher for the sweep
    await fail(request, ["SUBMITTED"], "Заявка отправлена в WB, но подтверждения не пришло. Проверьте в кабинете WB, создана ли она, прежде чем создавать новую.");
  };

  /**
   * A DONE request seen by a tick: make sure the user heard (the winner may have died
   * right after DONE; the dedupe key makes this a no-op otherwise), then stop watching.
   * Within the first seconds the winner is still publishing its own (richer) message.
   */
  const finishDone = async (request: RedistributionRequest): Promise<void> => {
    const age = now() - (request.submittedAt?.getTime() ?? 0);
    if (age < WINNER_GRACE_MS) return;
    if (age < RENOTIFY_DONE_WITHIN_MS) {
      const text = redistributionSuccessText({
        nmId: Number(request.nmId),
        fromName: officeName(request.srcOfficeName, undefined, request.srcOfficeId),
        toName: officeName(request.dstOfficeName, undefined, request.dstOfficeId),
        quantity: request.quantity,
      });
      await notify(request, "redistribution_success", text, dedupe.success(request.id));
    }
    await stopWatching(request.id);
  };

  return async (job) => {
    const payload = redistributeJobSchema.safeParse(job.data);
    if (!payload.success) {
      log.error({ jobId: job.id }, "redistribute job with a bad payload; ignored");
      return;
    }
    const request = await redistributions.get(payload.data.requestId);
    if (!request) return await stopWatching(payload.data.requestId);
    switch (request.status) {
      case "WAITING":
        return await watch(request);
      case "SUBMITTED":
        return await checkSubmitted(request);
      case "DONE":
        return await finishDone(request);
      default:
        return await stopWatching(request.id);
    }
  };
}
