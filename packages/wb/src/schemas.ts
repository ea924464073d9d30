/**
 * zod schemas of every WB answer we read. Official ones follow the OpenAPI specs
 * in /shared/wb-openapi (checked by contract.test.ts against the spec examples);
 * portal ones follow real captures (acceptanceCoefficientsReport) and the
 * reverse-engineered shapes of the others.
 */
import { z } from "zod";

const nullableString = z.string().nullable().optional();

/** `GET /ping`. */
export const pingSchema = z.object({ TS: z.string(), Status: z.string() });

/** `GET /api/v1/seller-info`. */
export const sellerInfoSchema = z.object({ name: z.string(), sid: z.string(), tin: z.string().optional(), tradeMark: z.string().optional() });

/** One row of `GET /api/tariffs/v1/acceptance/coefficients` (models.AcceptanceCoefficient). */
export const coefficientSchema = z.object({
  date: z.string(),
  coefficient: z.number(),
  warehouseID: z.number().int(),
  warehouseName: z.string(),
  /** Absent in the Sept-2024 schema; present now. */
  allowUnload: z.boolean().optional(),
  boxTypeName: z.string().optional(),
  /** Absent for «QR-поставка с коробами». */
  boxTypeID: z.number().int().optional(),
  storageCoef: nullableString,
  deliveryCoef: nullableString,
  deliveryBaseLiter: nullableString,
  deliveryAdditionalLiter: nullableString,
  storageBaseLiter: nullableString,
  storageAdditionalLiter: nullableString,
  isSortingCenter: z.boolean().optional(),
});
/** The coefficients answer. */
export const coefficientsSchema = z.array(coefficientSchema);

/** `GET /api/v1/warehouses`. */
export const warehousesSchema = z.array(
  z.object({
    ID: z.number().int(),
    name: z.string(),
    address: z.string().optional(),
    workTime: z.string().optional(),
    isActive: z.boolean().optional(),
    isTransitActive: z.boolean().optional(),
  }),
);

/** `POST /api/v1/acceptance/options`. */
export const optionsSchema = z.object({
  result: z.array(
    z.object({
      barcode: z.string(),
      warehouses: z
        .array(z.object({ warehouseID: z.number().int(), canBox: z.boolean(), canMonopallet: z.boolean(), canSupersafe: z.boolean(), isBoxOnPallet: z.boolean().optional() }))
        .nullable()
        .optional(),
      error: z.object({ title: z.string(), detail: z.string() }).optional(),
      isError: z.boolean().optional(),
    }),
  ),
  requestId: z.string().optional(),
});

/** One item of `POST /api/v1/supplies` (models.Supply). */
export const supplySchema = z.object({
  phone: z.string().optional(),
  supplyID: z.number().int().nullable(),
  preorderID: z.number().int(),
  createDate: z.string(),
  supplyDate: z.string().nullable(),
  factDate: z.string().nullable(),
  updatedDate: z.string().nullable(),
  statusID: z.number().int(),
  boxTypeID: z.number().int(),
  isBoxOnPallet: z.boolean().optional(),
});
/** The supplies list. */
export const suppliesSchema = z.array(supplySchema);

/** `GET /api/v1/supplies/{ID}` (models.SupplyDetails). */
export const supplyDetailsSchema = z.object({
  phone: z.string().optional(),
  statusID: z.number().int(),
  virtualTypeID: z.number().int().optional(),
  boxTypeID: z.number().int(),
  createDate: z.string(),
  supplyDate: z.string().nullable(),
  factDate: z.string().nullable(),
  updatedDate: z.string().nullable(),
  warehouseID: z.number().int(),
  warehouseName: z.string(),
  actualWarehouseID: z.number().int().nullable().optional(),
  actualWarehouseName: z.string().optional(),
  transitWarehouseID: z.number().int().nullable().optional(),
  transitWarehouseName: z.string().optional(),
  acceptanceCost: z.number().nullable().optional(),
  paidAcceptanceCoefficient: z.number().nullable().optional(),
  rejectReason: z.string().nullable().optional(),
  supplierAssignName: z.string().nullable().optional(),
  storageCoef: nullableString,
  deliveryCoef: nullableString,
  quantity: z.number().int(),
  readyForSaleQuantity: z.number().int().optional(),
  acceptedQuantity: z.number().int().optional(),
  unloadingQuantity: z.number().int().optional(),
  depersonalizedQuantity: z.number().int().nullable().optional(),
  isBoxOnPallet: z.boolean().optional(),
});

/** `GET /api/v1/supplies/{ID}/goods` (models.GoodInSupply[]). */
export const supplyGoodsSchema = z.array(
  z.object({
    barcode: z.string(),
    vendorCode: z.string().optional(),
    nmID: z.number().int(),
    needKiz: z.boolean().optional(),
    tnved: z.string().nullable().optional(),
    techSize: z.string().optional(),
    color: z.string().nullable().optional(),
    supplierBoxAmount: z.number().int().nullable().optional(),
    quantity: z.number().int(),
    readyForSaleQuantity: z.number().int().nullable().optional(),
    acceptedQuantity: z.number().int().nullable().optional(),
    unloadingQuantity: z.number().int().nullable().optional(),
  }),
);

/** `GET /api/v1/supplies/{ID}/package` (models.Box[]). */
export const supplyPackageSchema = z.array(
  z.object({ packageCode: z.string(), quantity: z.number().int(), barcodes: z.array(z.object({ barcode: z.string(), quantity: z.number().int() })) }),
);

// ---- portal ----

/** A JSON-RPC error object. */
export const rpcErrorSchema = z.object({ code: z.number(), message: z.string(), data: z.unknown().optional() });

/**
 * `supply/acceptanceCoefficientsReport` result: only the fields we use are
 * checked and kept. The captures (`data/portal/`) also carry
 * `isSortingCenter` and six tariff strings (`deliveryCoefficient`,
 * `storageCoefficient`, `…BaseLiter`, `…AdditionalLiter`); parsing them for
 * every row of a ~2 MB report, every second, per account, was a third of the
 * worker's allocations, so they are left unparsed (and dropped).
 */
export const portalReportSchema = z.object({
  report: z.array(
    z.object({
      date: z.string(),
      acceptanceType: z.number().int(),
      coefficient: z.number(),
      warehouseID: z.number().int(),
      warehouseName: z.string(),
      /** Absent in the 2024 captures. */
      allowUnload: z.boolean().optional(),
    }),
  ),
});

/** `warehouse/getWarehouseFilterItems` result. */
export const portalWarehousesSchema = z.object({ items: z.array(z.object({ warehouseID: z.number().int(), warehouseName: z.string() })) });

/** `draft/create` result. */
export const draftCreateSchema = z.object({ draftID: z.string().min(1) });

/** `supply/create` result. */
export const supplyCreateSchema = z.object({ ids: z.array(z.object({ Id: z.number().int(), boxTypeId: z.number().int().optional(), boxTypeName: z.string().optional() })).min(1) });

/** `plan/add` result. */
export const planAddSchema = z.object({ id: z.object({ supplyId: z.number().int() }) });

/** `transfer/AvailableLimits` result. */
export const transferLimitsSchema = z.object({
  data: z.object({
    quotas: z.array(z.object({ officeID: z.number().int(), officeName: z.string(), displayName: z.string().optional(), srcQuota: z.number().int(), dstQuota: z.number().int() })),
  }),
});

/** `transfer/list` result. */
export const transferListSchema = z.object({
  transfers: z.array(
    z.object({
      nmID: z.number().int(),
      chrts: z.array(
        z.object({
          count: z.number().int(),
          chrtID: z.number().int(),
          sizeName: z.string(),
          warehouseID: z.number().int(),
          warehouseName: z.string(),
          dstWarehouseIDs: z.array(z.number().int()),
        }),
      ),
    }),
  ),
});

/** `transfer/order` result (shape unknown beyond an object: `{file?, mime?}`). */
export const transferOrderSchema = z.looseObject({ file: z.string().nullable().optional(), mime: z.string().nullable().optional() });

/** `auth/token` result (session refresh). */
export const authTokenSchema = z.object({ data: z.object({ token: z.string().min(1), userID: z.number().optional(), exp: z.number() }) });

/** Any empty-ish JSON-RPC result. */
export const anyResultSchema = z.unknown();

/** Types of the parsed answers. */
export type Coefficient = z.infer<typeof coefficientSchema>;
/** A portal report row. */
export type PortalReportRow = z.infer<typeof portalReportSchema>["report"][number];
/** A warehouse of the official API. */
export type WbWarehouse = z.infer<typeof warehousesSchema>[number];
/** A supply of the official list. */
export type WbSupply = z.infer<typeof supplySchema>;
/** Supply details. */
export type WbSupplyDetails = z.infer<typeof supplyDetailsSchema>;
/** Acceptance options. */
export type WbAcceptanceOptions = z.infer<typeof optionsSchema>;
/** A redistribution quota. */
export type TransferQuota = z.infer<typeof transferLimitsSchema>["data"]["quotas"][number];
/** Stock of one article by size and warehouse. */
export type TransferStock = z.infer<typeof transferListSchema>["transfers"][number];
