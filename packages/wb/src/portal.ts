/**
 * The seller-portal JSON-RPC endpoints (unofficial; WB may change them any time
 * and its offer cl. 9.9.6 restricts portal integrations: opt-in per user).
 */
import type { z } from "zod";
import { utf8FromLatin1, type WbHttp } from "./http";
import { PORTAL_LIMITS, type PortalMethod } from "./limits";
import {
  anyResultSchema,
  authTokenSchema,
  draftCreateSchema,
  planAddSchema,
  portalReportSchema,
  portalWarehousesSchema,
  supplyCreateSchema,
  transferLimitsSchema,
  transferListSchema,
  transferOrderSchema,
} from "./schemas";
import type { CallOptions } from "./official";

/** A decrypted portal session (never logged). */
export interface PortalCredential {
  readonly credentialId: string;
  /** The `authorizev3` header value (JWT). */
  readonly authorizev3: string;
  /** The `x-supplier-id` cookie value (supplier UUID): the limiter key. */
  readonly supplierId: string;
}

/** Base URLs of the portal hosts. */
export interface PortalUrls {
  /** `https://seller-supply.wildberries.ru` */
  readonly sellerSupply: string;
  /** `https://seller.wildberries.ru` (session refresh) */
  readonly seller: string;
}

/** One line of a redistribution order. */
export interface TransferOrderLine {
  readonly nmID: number;
  readonly srcOfficeID: number;
  readonly items: readonly { dstOfficeID: number; chrtID: number; count: number }[];
}

/** Paths of the portal methods (after the host). */
export const PORTAL_METHOD_PATHS: Readonly<Record<PortalMethod, string>> = {
  acceptanceCoefficientsReport: "/ns/sm-supply/supply-manager/api/v1/supply/acceptanceCoefficientsReport",
  getWarehouseFilterItems: "/ns/sm-supply/supply-manager/api/v1/warehouse/getWarehouseFilterItems",
  "draft/create": "/ns/sm-draft/supply-manager/api/v1/draft/create",
  "draft/UpdateDraftGoods": "/ns/sm-draft/supply-manager/api/v1/draft/UpdateDraftGoods",
  "supply/create": "/ns/sm-supply/supply-manager/api/v1/supply/create",
  "plan/add": "/ns/sm/supply-manager/api/v1/plan/add",
  "transfer/AvailableLimits": "/ns/goods-return/supply-manager/api/v1/transfer/AvailableLimits",
  "transfer/list": "/ns/goods-return/supply-manager/api/v1/transfer/list",
  "transfer/order": "/ns/goods-return/supply-manager/api/v1/transfer/order",
  "auth/token": "/ns/suppliers-auth/suppliers-portal-core/auth/token",
};

/** The portal client. */
export interface PortalClient {
  /** Coefficients of every warehouse for the account (the portal's report). */
  acceptanceCoefficientsReport(cred: PortalCredential, range: { dateFrom: string; dateTo: string }, opts?: CallOptions): Promise<z.infer<typeof portalReportSchema>>;
  /** Warehouses the portal offers. */
  getWarehouses(cred: PortalCredential, opts?: CallOptions): Promise<z.infer<typeof portalWarehousesSchema>["items"]>;
  /** Creates an empty draft. @returns draftID */
  createDraft(cred: PortalCredential, opts?: CallOptions): Promise<string>;
  /** Replaces the goods of a draft. */
  updateDraftGoods(cred: PortalCredential, draftId: string, goods: readonly { barcode: string; quantity: number }[], opts?: CallOptions): Promise<void>;
  /** Creates a preorder from a draft. @returns preorderId */
  createSupply(cred: PortalCredential, input: { draftId: string; warehouseId: number; boxTypeId: number; transitWarehouseId?: number | null; isBoxOnPallet?: boolean }, opts?: CallOptions): Promise<number>;
  /** Books a delivery date for a preorder. Never retried. */
  planAdd(cred: PortalCredential, input: { preorderId: number; deliveryDate: string; warehouseId: number; monopalletCount?: number }, opts?: CallOptions): Promise<{ supplyId: number }>;
  /** Redistribution quotas per office. */
  transferLimits(cred: PortalCredential, opts?: CallOptions): Promise<z.infer<typeof transferLimitsSchema>["data"]["quotas"]>;
  /** Stock per article, size and warehouse. */
  transferList(cred: PortalCredential, nmIds: readonly number[], opts?: CallOptions): Promise<z.infer<typeof transferListSchema>["transfers"]>;
  /** Orders a redistribution (consumes quotas and stock). Never retried. */
  transferOrder(cred: PortalCredential, transfers: readonly TransferOrderLine[], opts?: CallOptions): Promise<z.infer<typeof transferOrderSchema>>;
  /** Refreshes the session. @returns the new authorizev3 and its expiry */
  refreshSession(cred: PortalCredential, opts?: CallOptions): Promise<{ authorizev3: string; expiresAt: Date }>;
}

/**
 * Creates the portal client over the shared HTTP layer.
 * @returns the client
 */
export function createPortalClient(http: WbHttp, urls: PortalUrls): PortalClient {
  let seq = 0;
  const call = <S extends z.ZodType>(cred: PortalCredential, method: PortalMethod, params: unknown, schema: S, kind: "read" | "write", opts?: CallOptions, latin1Body = false): Promise<z.infer<S>> =>
    http.execute({
      credentialId: cred.credentialId,
      baseUrl: method === "auth/token" ? urls.seller : urls.sellerSupply,
      method,
      limitKey: { account: cred.supplierId, subject: "portal", group: method },
      limit: PORTAL_LIMITS[method],
      httpMethod: "POST",
      path: PORTAL_METHOD_PATHS[method],
      json: { params, jsonrpc: "2.0", id: `json-rpc_${++seq}` },
      headers: { authorizev3: cred.authorizev3, cookie: `x-supplier-id=${encodeURIComponent(cred.supplierId)}` },
      schema,
      kind,
      rpc: true,
      ...(opts?.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
      ...(latin1Body ? { latin1Body } : {}),
    });

  return {
    acceptanceCoefficientsReport: async (cred, range, opts) => {
      // ~7,000 rows read every second or so per account: decoded as latin1 (see WbCall.latin1Body);
      // the only non-ASCII text we keep, the warehouse names, repaired once per distinct name.
      const answer = await call(cred, "acceptanceCoefficientsReport", range, portalReportSchema, "read", opts, true);
      const names = new Map<string, string>();
      for (const row of answer.report) {
        let name = names.get(row.warehouseName);
        if (name === undefined) {
          name = utf8FromLatin1(row.warehouseName);
          names.set(row.warehouseName, name);
        }
        row.warehouseName = name;
      }
      return answer;
    },
    getWarehouses: async (cred, opts) => (await call(cred, "getWarehouseFilterItems", {}, portalWarehousesSchema, "read", opts)).items,
    createDraft: async (cred, opts) => (await call(cred, "draft/create", {}, draftCreateSchema, "write", opts)).draftID,
    updateDraftGoods: async (cred, draftId, goods, opts) => {
      await call(cred, "draft/UpdateDraftGoods", { draftID: draftId, barcodes: goods }, anyResultSchema, "write", opts);
    },
    createSupply: async (cred, input, opts) => {
      const result = await call(
        cred,
        "supply/create",
        { boxTypeID: input.boxTypeId, draftID: input.draftId, warehouseId: input.warehouseId, transitWarehouseId: input.transitWarehouseId ?? null, isBoxOnPallet: input.isBoxOnPallet ?? false },
        supplyCreateSchema,
        "write",
        opts,
      );
      return result.ids[0]!.Id;
    },
    planAdd: async (cred, input, opts) => {
      const result = await call(
        cred,
        "plan/add",
        { preOrderId: input.preorderId, deliveryDate: input.deliveryDate, warehouseId: input.warehouseId, ...(input.monopalletCount === undefined ? {} : { monopalletCount: input.monopalletCount }) },
        planAddSchema,
        "write",
        opts,
      );
      return { supplyId: result.id.supplyId };
    },
    transferLimits: async (cred, opts) => (await call(cred, "transfer/AvailableLimits", {}, transferLimitsSchema, "read", opts)).data.quotas,
    transferList: async (cred, nmIds, opts) => (await call(cred, "transfer/list", { nmIDs: nmIds }, transferListSchema, "read", opts)).transfers,
    transferOrder: (cred, transfers, opts) => call(cred, "transfer/order", { transfers }, transferOrderSchema, "write", opts),
    refreshSession: async (cred, opts) => {
      const result = await call(cred, "auth/token", {}, authTokenSchema, "write", opts);
      return { authorizev3: result.data.token, expiresAt: new Date(result.data.exp * 1000) };
    },
  };
}
