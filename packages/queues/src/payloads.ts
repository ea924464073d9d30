import { z } from "zod";

/** Payload of a monitor job: ids only, never a secret. */
export const monitorJobSchema = z.object({ taskId: z.number().int().positive() }).strict();
export type MonitorJob = z.infer<typeof monitorJobSchema>;

/** The slot a book job is for. */
export const slotRefSchema = z
  .object({
    warehouseId: z.number().int().positive(),
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    boxTypeId: z.union([z.literal(2), z.literal(5), z.literal(6)]),
    coefficient: z.number().int().min(0),
    /** When the monitor saw the slot (ms since epoch): catch latency starts here. */
    seenAt: z.number().int().positive(),
    source: z.enum(["official", "portal"]),
  })
  .strict();
export type SlotRef = z.infer<typeof slotRefSchema>;

/** Payload of a book job. */
export const bookJobSchema = z.object({ taskId: z.number().int().positive(), slot: slotRefSchema }).strict();
export type BookJob = z.infer<typeof bookJobSchema>;

/** Payload of a redistribution watcher job. */
export const redistributeJobSchema = z.object({ requestId: z.number().int().positive() }).strict();
export type RedistributeJob = z.infer<typeof redistributeJobSchema>;

/** Maintenance job kinds. */
export const maintenanceJobSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("reconcile") }).strict(),
  z.object({ kind: z.literal("expire") }).strict(),
  z.object({ kind: z.literal("sweep-bookings") }).strict(),
  z.object({ kind: z.literal("probe-sources") }).strict(),
  z.object({ kind: z.literal("flush-checks") }).strict(),
]);
export type MaintenanceJob = z.infer<typeof maintenanceJobSchema>;

/** What a notification is about (for metrics, dedupe and tests). */
export const notificationKindSchema = z.enum([
  "booking_success",
  "redistribution_success",
  "needs_action",
  "invalid_key",
  "source_disabled",
  "source_restored",
  "trial_over",
  "task_expired",
  "task_paused",
  "booking_failed",
  "redistribution_failed",
  "info",
]);
export type NotificationKind = z.infer<typeof notificationKindSchema>;

const buttonSchema = z.union([
  z.object({ text: z.string().min(1).max(64), url: z.url() }).strict(),
  z.object({ text: z.string().min(1).max(64), callback_data: z.string().min(1).max(64) }).strict(),
]);

/**
 * Payload of a notification: the rendered Russian text (HTML parse mode) and
 * optional inline buttons. `userId` is the Telegram chat id as a decimal string
 * (JSON has no BigInt).
 */
export const notificationJobSchema = z
  .object({
    userId: z.string().regex(/^\d+$/),
    kind: notificationKindSchema,
    text: z.string().min(1).max(4096),
    buttons: z.array(z.array(buttonSchema).min(1).max(8)).max(10).optional(),
    /** When the event happened (ms since epoch), for delivery latency metrics. */
    createdAt: z.number().int().positive(),
  })
  .strict();
export type NotificationJob = z.infer<typeof notificationJobSchema>;
export type NotificationButton = z.infer<typeof buttonSchema>;
