/**
 * What the redistribution watcher needs from the WB gateway (`@wbslots/wb`), described
 * structurally so this folder does not depend on the gateway's internal types, plus
 * zod normalisers for its answers and a classifier for its typed errors.
 *
 * The gateway's portal client already parses WB's JSON with zod; we parse again at our
 * boundary because the exact return shape of `transferLimits` / `transferList` (bare
 * array, `{quotas}`, or WB's `{data:{quotas}}`) is the gateway's choice, and a wrong
 * shape here must become "wait for the next tick", never a wrong transfer.
 */
import { z } from "zod";

/** A portal session as the gateway wants it (never logged, never in a job payload). */
export interface PortalCredential {
  readonly credentialId: string;
  readonly authorizev3: string;
  readonly supplierId: string;
}

/** One line of `transfer/order`. */
export interface TransferOrderLine {
  readonly nmID: number;
  readonly srcOfficeID: number;
  readonly items: readonly { readonly dstOfficeID: number; readonly chrtID: number; readonly count: number }[];
}

/** The three portal calls of the redistribution contour (`createWbClients(...).portal`). */
export interface PortalTransferApi {
  /** `transfer/AvailableLimits`. */
  transferLimits(cred: PortalCredential): Promise<unknown>;
  /** `transfer/list` `{nmIDs}`. */
  transferList(cred: PortalCredential, nmIds: number[]): Promise<unknown>;
  /** `transfer/order` `{transfers}` — a write: never retried by us. */
  transferOrder(cred: PortalCredential, transfers: TransferOrderLine[]): Promise<unknown>;
}

const quotaSchema = z.object({
  officeID: z.number().int(),
  officeName: z.string().nullish(),
  srcQuota: z.number(),
  dstQuota: z.number(),
});

/** A redistribution quota of one office. */
export type Quota = z.infer<typeof quotaSchema>;

/** `transferLimits` answer in any of the shapes a gateway may return. */
export const quotasSchema = z.union([
  z.array(quotaSchema),
  z.object({ quotas: z.array(quotaSchema) }).transform((v) => v.quotas),
  z.object({ data: z.object({ quotas: z.array(quotaSchema) }) }).transform((v) => v.data.quotas),
]);

const chrtSchema = z.object({
  count: z.number().int(),
  chrtID: z.number().int(),
  sizeName: z.string().nullish(),
  warehouseID: z.number().int(),
  warehouseName: z.string().nullish(),
});

const stockSchema = z.object({ nmID: z.number().int(), chrts: z.array(chrtSchema) });

/** Stock of one article by size and warehouse. */
export type Stock = z.infer<typeof stockSchema>;

/** `transferList` answer in any of the shapes a gateway may return. */
export const stocksSchema = z.union([z.array(stockSchema), z.object({ transfers: z.array(stockSchema) }).transform((v) => v.transfers)]);

/** How the watcher treats a failed WB call. */
export type WbErrorClass =
  | { kind: "unauthorized" }
  | { kind: "rate_limited"; retryAfterMs: number }
  | { kind: "disabled" }
  | { kind: "bad_request"; message: string }
  | { kind: "captcha" }
  /** The call surely did not reach WB (circuit open). */
  | { kind: "not_sent" }
  /** 5xx, timeout, broken answer: transient for reads, ambiguous for the order. */
  | { kind: "transient"; name: string }
  /** Not a WB gateway error at all (a bug, the database): rethrown. */
  | { kind: "foreign" };

const WB_ERROR_NAMES = new Set([
  "WbError",
  "WbUnauthorized",
  "WbRateLimited",
  "WbMethodDisabled",
  "WbCaptchaRequired",
  "WbSlotTaken",
  "WbBadRequest",
  "WbServerError",
  "WbTimeout",
  "WbBadResponse",
  "WbCircuitOpen",
  "WbTokenInvalid",
]);

/**
 * Classifies an error of the WB gateway. The gateway's errors set
 * `name = new.target.name`, so this works by name; it does not need the classes
 * (and keeps working if two copies of the package are loaded).
 * @returns the class of the error
 */
export function classifyWbError(error: unknown): WbErrorClass {
  if (!(error instanceof Error) || !WB_ERROR_NAMES.has(error.name)) return { kind: "foreign" };
  switch (error.name) {
    case "WbUnauthorized":
    case "WbTokenInvalid":
      return { kind: "unauthorized" };
    case "WbRateLimited": {
      const retry = (error as Error & { retryAfterMs?: unknown }).retryAfterMs;
      return { kind: "rate_limited", retryAfterMs: typeof retry === "number" && Number.isFinite(retry) && retry > 0 ? retry : 1000 };
    }
    case "WbMethodDisabled":
      return { kind: "disabled" };
    case "WbBadRequest":
    case "WbSlotTaken":
      return { kind: "bad_request", message: error.message };
    case "WbCaptchaRequired":
      return { kind: "captcha" };
    case "WbCircuitOpen":
      return { kind: "not_sent" };
    default:
      return { kind: "transient", name: error.name };
  }
}
