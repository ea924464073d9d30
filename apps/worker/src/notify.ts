import { enqueueNotification, type NotificationButton, type NotificationKind } from "@wbslots/queues";
import type { WorkerContext } from "./context";

/**
 * Publishes a message to a user through the bot's notifications queue.
 * @param dedupeKey one event → one message, however often it is published
 */
export async function notifyUser(
  ctx: Pick<WorkerContext, "queues" | "now">,
  userId: bigint,
  kind: NotificationKind,
  text: string,
  options: { dedupeKey?: string; buttons?: NotificationButton[][] } = {},
): Promise<void> {
  await enqueueNotification(
    ctx.queues,
    { userId: userId.toString(), kind, text, createdAt: ctx.now(), ...(options.buttons ? { buttons: options.buttons } : {}) },
    options.dedupeKey,
  );
}

/**
 * The portal page where a user books a supply by hand (captcha, no portal session).
 * @returns the deep link
 */
export function portalSuppliesUrl(sellerUrl: string): string {
  return `${sellerUrl.replace(/\/+$/, "")}/supplies-management/all-supplies`;
}

/**
 * The one-tap button to the portal supplies page.
 * @returns an inline keyboard with one URL button
 */
export function portalButton(sellerUrl: string): NotificationButton[][] {
  return [[{ text: "Открыть в кабинете WB", url: portalSuppliesUrl(sellerUrl) }]];
}
