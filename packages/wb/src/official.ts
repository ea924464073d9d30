/**
 * The official WB seller API (token in `Authorization`, raw JWT).
 */
import type { z } from "zod";
import type { WbHttp } from "./http";
import { officialLimit, type OfficialMethod, type TokenType } from "./limits";
import {
  coefficientsSchema,
  optionsSchema,
  pingSchema,
  sellerInfoSchema,
  suppliesSchema,
  supplyDetailsSchema,
  supplyGoodsSchema,
  supplyPackageSchema,
  warehousesSchema,
} from "./schemas";

/** A decrypted official credential (never logged). */
export interface OfficialCredential {
  /** Our id of the stored credential (logs, metrics, breaker key). */
  readonly credentialId: string;
  /** The raw JWT. */
  readonly token: string;
  /** Seller account UUID (`sid` claim): the limiter key. */
  readonly sellerId: string;
  readonly tokenType: TokenType;
}

/** Per-call options. */
export interface CallOptions {
  readonly timeoutMs?: number;
}

/** Filters of the supplies list (models.SuppliesFiltersRequest). */
export interface SuppliesFilter {
  readonly dates?: { from: string; till: string; type: "factDate" | "createDate" | "supplyDate" | "updatedDate" }[];
  readonly statusIDs?: number[];
}

/** Base URLs of the official hosts. */
export interface OfficialUrls {
  readonly common: string;
  readonly supplies: string;
}

/** The official client. */
export interface OfficialClient {
  /** `GET /ping` on common-api (3 per 30 s). */
  ping(cred: OfficialCredential, opts?: CallOptions): Promise<z.infer<typeof pingSchema>>;
  /** `GET /api/v1/seller-info`. */
  sellerInfo(cred: OfficialCredential, opts?: CallOptions): Promise<z.infer<typeof sellerInfoSchema>>;
  /** `GET /api/v1/warehouses` (supplies-api; may be disabled by WB). */
  getWarehouses(cred: OfficialCredential, opts?: CallOptions): Promise<z.infer<typeof warehousesSchema>>;
  /** `GET /api/tariffs/v1/acceptance/coefficients` for the next 14 days (all warehouses when omitted). */
  getAcceptanceCoefficients(cred: OfficialCredential, warehouseIds?: readonly number[], opts?: CallOptions): Promise<z.infer<typeof coefficientsSchema>>;
  /** `POST /api/v1/acceptance/options`. */
  getAcceptanceOptions(cred: OfficialCredential, goods: readonly { barcode: string; quantity: number }[], warehouseId?: number, opts?: CallOptions): Promise<z.infer<typeof optionsSchema>>;
  /** `POST /api/v1/supplies`. */
  listSupplies(cred: OfficialCredential, filter?: SuppliesFilter, page?: { limit?: number; offset?: number }, opts?: CallOptions): Promise<z.infer<typeof suppliesSchema>>;
  /** `GET /api/v1/supplies/{ID}` (`isPreorderID` when the id is a preorder). */
  getSupply(cred: OfficialCredential, id: number, isPreorderId?: boolean, opts?: CallOptions): Promise<z.infer<typeof supplyDetailsSchema>>;
  /** `GET /api/v1/supplies/{ID}/goods`. */
  getSupplyGoods(cred: OfficialCredential, id: number, isPreorderId?: boolean, opts?: CallOptions): Promise<z.infer<typeof supplyGoodsSchema>>;
  /** `GET /api/v1/supplies/{ID}/package`. */
  getSupplyPackage(cred: OfficialCredential, id: number, isPreorderId?: boolean, opts?: CallOptions): Promise<z.infer<typeof supplyPackageSchema>>;
}

/**
 * Creates the official client over the shared HTTP layer.
 * @returns the client
 */
export function createOfficialClient(http: WbHttp, urls: OfficialUrls): OfficialClient {
  const call = <S extends z.ZodType>(
    cred: OfficialCredential,
    method: OfficialMethod,
    host: keyof OfficialUrls,
    spec: { httpMethod: "GET" | "POST"; path: string; schema: S; searchParams?: Record<string, string | number | boolean>; json?: unknown },
    opts?: CallOptions,
  ): Promise<z.infer<S>> =>
    http.execute({
      credentialId: cred.credentialId,
      baseUrl: urls[host],
      method,
      limitKey: { account: cred.sellerId, subject: cred.tokenType, group: method },
      limit: officialLimit(method, cred.tokenType),
      headers: { Authorization: cred.token },
      kind: "read",
      ...spec,
      ...(opts?.timeoutMs === undefined ? {} : { timeoutMs: opts.timeoutMs }),
    });

  return {
    ping: (cred, opts) => call(cred, "ping", "common", { httpMethod: "GET", path: "/ping", schema: pingSchema }, opts),
    sellerInfo: (cred, opts) => call(cred, "seller-info", "common", { httpMethod: "GET", path: "/api/v1/seller-info", schema: sellerInfoSchema }, opts),
    getWarehouses: (cred, opts) => call(cred, "warehouses", "supplies", { httpMethod: "GET", path: "/api/v1/warehouses", schema: warehousesSchema }, opts),
    getAcceptanceCoefficients: (cred, warehouseIds, opts) =>
      call(
        cred,
        "coefficients",
        "common",
        {
          httpMethod: "GET",
          path: "/api/tariffs/v1/acceptance/coefficients",
          schema: coefficientsSchema,
          ...(warehouseIds && warehouseIds.length > 0 ? { searchParams: { warehouseIDs: warehouseIds.join(",") } } : {}),
        },
        opts,
      ),
    getAcceptanceOptions: (cred, goods, warehouseId, opts) =>
      call(
        cred,
        "options",
        "supplies",
        { httpMethod: "POST", path: "/api/v1/acceptance/options", schema: optionsSchema, json: goods, ...(warehouseId === undefined ? {} : { searchParams: { warehouseID: warehouseId } }) },
        opts,
      ),
    listSupplies: (cred, filter, page, opts) =>
      call(
        cred,
        "supplies",
        "supplies",
        { httpMethod: "POST", path: "/api/v1/supplies", schema: suppliesSchema, json: filter ?? {}, searchParams: { limit: page?.limit ?? 1000, offset: page?.offset ?? 0 } },
        opts,
      ),
    getSupply: (cred, id, isPreorderId, opts) =>
      call(cred, "supply", "supplies", { httpMethod: "GET", path: `/api/v1/supplies/${id}`, schema: supplyDetailsSchema, searchParams: { isPreorderID: Boolean(isPreorderId) } }, opts),
    getSupplyGoods: (cred, id, isPreorderId, opts) =>
      call(cred, "supply/goods", "supplies", { httpMethod: "GET", path: `/api/v1/supplies/${id}/goods`, schema: supplyGoodsSchema, searchParams: { isPreorderID: Boolean(isPreorderId) } }, opts),
    getSupplyPackage: (cred, id, isPreorderId, opts) =>
      call(cred, "supply/package", "supplies", { httpMethod: "GET", path: `/api/v1/supplies/${id}/package`, schema: supplyPackageSchema, searchParams: { isPreorderID: Boolean(isPreorderId) } }, opts),
  };
}
