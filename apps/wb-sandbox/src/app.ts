/**
 * The WB sandbox HTTP app: WB's official paths, the portal JSON-RPC paths and the
 * `/__sandbox` admin API (CONTRACT.md), all on one Fastify instance.
 */
import { randomBytes } from "node:crypto";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { z } from "zod";
import type { Logger } from "@wbslots/logger";
import { CATEGORY_BITS, DEFAULT_CATEGORY_BITS, categoryMask, type TokenTypeName } from "./jwt";
import { bucketSpecFor, type BucketSpec, type LimitSubject, type MethodName, type PortalMethod } from "./limits";
import {
  BOX_TO_ACCEPTANCE,
  BOX_TYPE_IDS,
  BOX_TYPE_NAMES,
  CATALOG,
  SandboxState,
  isOpen,
  moscowDate,
  mulberry32,
  windowDates,
  type FaultKind,
  type SandboxBoxTypeId,
} from "./state";

/** Options of {@link createSandboxApp}. */
export interface SandboxOptions {
  logger?: Logger;
  /** Seed of the random slot script; unset = every cell stays closed until set. */
  seed?: number;
  /** Clock (ms since epoch); tests may freeze or shift it. */
  now?: () => number;
  /** Per-method bucket overrides (tests). */
  limits?: Partial<Record<MethodName, BucketSpec>>;
  /** Period of the seeded slot script, ms (default 2000). */
  scriptTickMs?: number;
}

/** The text WB answers for switched-off methods (release note 570). */
export const DISABLED_TEXT = "This method is temporarily disabled. Link: https://dev.wildberries.ru/release-notes?id=570";

/** JSON-RPC error codes the sandbox's portal answers with (documented in README). */
export const RPC_ERRORS = {
  invalidRequest: -32600,
  badParams: 400,
  notFound: 404,
  slotTaken: 409,
  slotClosed: 410,
  insufficient: 422,
  captcha: 498,
} as const;

declare module "fastify" {
  interface FastifyRequest {
    wbMethod: string;
    wbSellerId: string | null;
  }
}

const PORTAL_BASE = "/supply-manager/api/v1/";

/** Portal path → logical method. */
export const PORTAL_PATHS: Record<string, PortalMethod> = {
  [`/ns/sm-supply${PORTAL_BASE}supply/acceptanceCoefficientsReport`]: "acceptanceCoefficientsReport",
  [`/ns/sm-supply${PORTAL_BASE}supply/getAcceptanceCosts`]: "getAcceptanceCosts",
  [`/ns/sm-supply${PORTAL_BASE}warehouse/getWarehouseFilterItems`]: "getWarehouseFilterItems",
  [`/ns/sm-draft${PORTAL_BASE}draft/create`]: "draft/create",
  [`/ns/sm-draft${PORTAL_BASE}draft/UpdateDraftGoods`]: "draft/UpdateDraftGoods",
  [`/ns/sm-supply${PORTAL_BASE}supply/create`]: "supply/create",
  [`/ns/sm${PORTAL_BASE}plan/add`]: "plan/add",
  [`/ns/goods-return${PORTAL_BASE}transfer/AvailableLimits`]: "transfer/AvailableLimits",
  [`/ns/goods-return${PORTAL_BASE}transfer/list`]: "transfer/list",
  [`/ns/goods-return${PORTAL_BASE}transfer/order`]: "transfer/order",
  "/ns/suppliers-auth/suppliers-portal-core/auth/token": "auth/token",
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());
const requestId = (): string => randomBytes(16).toString("hex");

/** WB's problem+json error body. */
function problem(status: number, title: string, detail: string, statusText: string, now: number): Record<string, unknown> {
  return {
    title,
    detail,
    code: `${randomBytes(4).toString("hex")}-sandbox`,
    requestId: requestId(),
    origin: "s2s-api-auth-catalog",
    status,
    statusText,
    timestamp: new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z"),
  };
}

const tokenTypeSchema = z.enum(["personal", "service", "base", "test"]);
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}/);

const adminSchemas = {
  seller: z.object({ name: z.string().optional() }).optional(),
  token: z.object({
    sellerId: z.string(),
    type: tokenTypeSchema,
    expiresInDays: z.number().optional(),
    /** Extra (not in CONTRACT): category bit numbers; default all but read-only. */
    categories: z.array(z.number().int().min(0).max(31)).optional(),
  }),
  revoke: z.object({ token: z.string() }),
  session: z.object({ sellerId: z.string(), ttlSeconds: z.number().int().positive().optional() }),
  slot: z.object({
    warehouseId: z.number().int(),
    date: isoDate,
    boxTypeId: z.union([z.literal(2), z.literal(5), z.literal(6)]),
    coefficient: z.number(),
    allowUnload: z.boolean(),
  }),
  fault: z.object({
    method: z.string(),
    kind: z.enum(["disabled", "captcha", "latency", "error5xx", "timeout", "garbage"]),
    value: z.union([z.number(), z.string()]).optional(),
  }),
  quota: z.object({ sellerId: z.string(), officeId: z.number().int(), srcQuota: z.number().int().min(0), dstQuota: z.number().int().min(0) }),
  stock: z.object({
    sellerId: z.string(),
    nmId: z.number().int(),
    chrtId: z.number().int(),
    warehouseId: z.number().int(),
    count: z.number().int().min(0),
    sizeName: z.string().optional(),
  }),
};

/**
 * The result of a portal handler: a result, a result already serialised as UTF-8
 * (`resultJson`, reused between identical answers), or a JSON-RPC error.
 */
type RpcOutcome = { result: unknown } | { resultJson: Buffer } | { error: { code: number; message: string; data?: unknown } };

/**
 * Builds the sandbox app (not listening yet).
 * @returns the Fastify instance and the state it serves
 */
export function createSandboxApp(options: SandboxOptions = {}): { app: FastifyInstance; state: SandboxState } {
  const now = options.now ?? Date.now;
  const state = new SandboxState(now);
  const logger = options.logger;
  const app = Fastify({ logger: false, forceCloseConnections: true, bodyLimit: 20 * 1024 * 1024 });

  app.decorateRequest("wbMethod", "unknown");
  app.decorateRequest("wbSellerId", null);
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      const error = new Error("invalid JSON body") as Error & { statusCode: number };
      error.statusCode = 400;
      done(error, undefined);
    }
  });

  app.addHook("onResponse", async (req, reply) => {
    const path = req.url.split("?")[0] ?? req.url;
    state.logRequest({ at: new Date(now()).toISOString(), method: req.wbMethod, path, sellerId: req.wbSellerId, status: reply.statusCode });
    logger?.debug({ method: req.wbMethod, path, status: reply.statusCode }, "sandbox request");
  });

  // ---- seeded slot script ----
  let timer: NodeJS.Timeout | undefined;
  const startScript = (): void => {
    if (options.seed === undefined) return;
    const rand = mulberry32(options.seed);
    const hot = CATALOG.slice(0, 30);
    timer = setInterval(() => {
      const wh = hot[Math.floor(rand() * hot.length)];
      const dates = windowDates(now());
      const date = dates[Math.floor(rand() * dates.length)];
      const box = BOX_TYPE_IDS[Math.floor(rand() * BOX_TYPE_IDS.length)];
      if (!wh || !date || box === undefined) return;
      const open = rand() < 0.5;
      const coefficients = [0, 0, 1, 1, 2, 3, 5, 10];
      const coefficient = open ? (coefficients[Math.floor(rand() * coefficients.length)] ?? 0) : -1;
      state.setCell(wh.id, date, box, coefficient, open);
    }, options.scriptTickMs ?? 2000);
    timer.unref();
  };
  startScript();
  app.addHook("onClose", async () => {
    if (timer) clearInterval(timer);
  });

  // ---- shared pipeline pieces ----
  const limitHeaders = (reply: FastifyReply, key: string, spec: BucketSpec): boolean => {
    const taken = state.buckets.take(key, spec, now());
    if (taken.ok) {
      reply.header("X-Ratelimit-Remaining", String(taken.remaining));
      return true;
    }
    reply
      .code(429)
      .header("X-Ratelimit-Retry", String(Math.ceil(taken.retryMs / 1000)))
      .header("X-Ratelimit-Reset", String(Math.ceil(taken.resetMs / 1000)))
      .header("X-Ratelimit-Limit", String(taken.limit))
      .type("application/problem+json")
      .send(problem(429, "too many requests", "Limited by global limiter", "Too Many Requests", now()));
    return false;
  };

  /** Applies latency/5xx/timeout faults; returns false when the reply is already handled. */
  const applyFaults = async (method: MethodName, reply: FastifyReply): Promise<boolean> => {
    const fault = state.fault(method);
    if (!fault) return true;
    const value = typeof fault.value === "number" ? fault.value : Number(fault.value);
    if (fault.kind === "latency") await sleep(Number.isFinite(value) ? value : 1000);
    if (fault.kind === "error5xx") {
      const status = Number.isFinite(value) && value >= 500 && value < 600 ? value : 500;
      reply.code(status).type("application/problem+json").send(problem(status, "internal server error", "sandbox injected 5xx", "Internal Server Error", now()));
      return false;
    }
    if (fault.kind === "timeout") {
      await sleep(Number.isFinite(value) ? value : 120_000);
      reply.raw.destroy();
      return false;
    }
    return true;
  };

  const sendDisabled = (reply: FastifyReply): void => {
    reply.code(404).type("text/plain; charset=utf-8").send(DISABLED_TEXT);
  };

  const isGarbage = (method: MethodName): "shape" | "malformed" | null => {
    const fault = state.fault(method);
    if (fault?.kind !== "garbage") return null;
    return fault.value === "malformed" ? "malformed" : "shape";
  };

  const unauthorized = (reply: FastifyReply, detail: string): void => {
    reply.code(401).type("application/problem+json").send(problem(401, "unauthorized", detail, "Unauthorized", now()));
  };

  // ---- official API ----
  type OfficialCtx = { sellerId: string; type: TokenTypeName; req: FastifyRequest };
  const official = (method: MethodName, needsSupplies: boolean, handler: (ctx: OfficialCtx) => unknown) =>
    async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      req.wbMethod = method;
      if (state.fault(method)?.kind === "disabled") return sendDisabled(reply);
      const header = req.headers.authorization;
      const token = typeof header === "string" ? header.trim() : "";
      if (!token) return unauthorized(reply, "empty Authorization header");
      if (token.toLowerCase().startsWith("bearer ")) return unauthorized(reply, "token problem; token is malformed: expected raw JWT without Bearer");
      const payload = state.jwt.verify(token);
      const record = state.tokens.get(token);
      if (!payload || !record) return unauthorized(reply, "token problem; token is malformed: could not verify signature");
      req.wbSellerId = record.sellerId;
      if (record.revoked) return unauthorized(reply, "token problem; token withdrawn");
      if (record.exp <= now()) return unauthorized(reply, "token problem; token is expired");
      const s = typeof payload.s === "number" ? payload.s : 0;
      if (needsSupplies && Math.floor(s / 2 ** CATEGORY_BITS.supplies) % 2 !== 1) {
        return unauthorized(reply, "token scope not allowed for this API route");
      }
      const spec = bucketSpecFor(method, record.type, options.limits);
      if (!limitHeaders(reply, `${record.sellerId}|${record.type}|${method}`, spec)) return reply;
      if (!(await applyFaults(method, reply))) return reply;
      const garbage = isGarbage(method);
      if (garbage === "malformed") return reply.type("application/json").send('{"broken": [');
      if (garbage === "shape") {
        return reply.send(method === "coefficients" ? [{ date: null, coefficient: "closed", warehouseID: "507" }] : { data: "garbage" });
      }
      const body = handler({ sellerId: record.sellerId, type: record.type, req });
      if (body instanceof HttpAnswer) return reply.code(body.status).send(body.body);
      return reply.send(body);
    };

  app.get("/ping", official("ping", false, () => ({ TS: new Date(now() + 3 * 3_600_000).toISOString().replace(/\.\d{3}Z$/, "+03:00"), Status: "OK" })));

  app.get("/api/v1/seller-info", official("seller-info", false, ({ sellerId }) => {
    const seller = state.sellers.get(sellerId);
    return { name: seller?.name ?? "", sid: sellerId, tin: "7700000000", tradeMark: seller?.name ?? "" };
  }));

  const coefficientRows = (warehouseIds: number[] | null): unknown[] => {
    const rows: unknown[] = [];
    const ids = warehouseIds ?? CATALOG.map((w) => w.id);
    for (const date of windowDates(now())) {
      for (const id of ids) {
        const wh = state.warehouses.get(id);
        if (!wh) continue;
        const sorting = /^сц\s/i.test(wh.name);
        for (const box of BOX_TYPE_IDS) {
          const cell = state.cell(id, date, box);
          const open = isOpen(cell);
          rows.push({
            date: `${date}T00:00:00Z`,
            coefficient: cell.coefficient,
            warehouseID: id,
            warehouseName: wh.name,
            allowUnload: cell.allowUnload,
            boxTypeName: BOX_TYPE_NAMES[box],
            boxTypeID: box,
            storageCoef: open ? "100" : null,
            deliveryCoef: open ? "125" : null,
            deliveryBaseLiter: open ? (box === 5 ? "1250" : "46") : null,
            deliveryAdditionalLiter: open ? (box === 5 ? null : "14") : null,
            storageBaseLiter: open ? (box === 5 ? "27.5" : "0.08") : null,
            storageAdditionalLiter: open ? (box === 5 ? null : "0.08") : null,
            isSortingCenter: sorting,
          });
        }
      }
    }
    return rows;
  };

  app.get("/api/tariffs/v1/acceptance/coefficients", official("coefficients", false, ({ req }) => {
    const raw = (req.query as Record<string, unknown>).warehouseIDs;
    if (raw === undefined || raw === "") return coefficientRows(null);
    const ids = String(raw).split(",").map((x) => Number(x.trim()));
    if (ids.some((id) => !Number.isInteger(id) || id <= 0)) {
      return new HttpAnswer(400, { status: 400, title: "bad request", detail: "Неверный формат warehouseIDs", requestId: requestId(), origin: "common-api" });
    }
    return coefficientRows(ids);
  }));

  app.get("/api/v1/warehouses", official("warehouses", true, () =>
    CATALOG.map((w) => ({ ID: w.id, name: w.name, address: w.address ?? "", workTime: "24/7", isActive: true, isTransitActive: false }))));

  app.post("/api/v1/acceptance/options", official("options", true, ({ req }) => {
    const parsed = z.array(z.object({ quantity: z.number().int().min(1).max(999_999), barcode: z.string() })).max(5000).safeParse(req.body);
    if (!parsed.success) return new HttpAnswer(400, { status: 400, title: "bad request", detail: "Неверный формат тела запроса", requestId: requestId(), origin: "supply-api" });
    const whRaw = (req.query as Record<string, unknown>).warehouseID;
    const ids = whRaw === undefined ? CATALOG.slice(0, 10).map((w) => w.id) : [Number(whRaw)];
    return {
      result: parsed.data.map((good) => ({
        barcode: good.barcode,
        warehouses: ids.map((id) => ({ warehouseID: id, canBox: true, canMonopallet: true, canSupersafe: false, isBoxOnPallet: false })),
      })),
      requestId: requestId(),
    };
  }));

  const supplyRow = (p: { preorderId: number; supplyId: number | null; createdAt: number; deliveryDate: string | null; updatedAt: number | null; boxTypeId: number }): Record<string, unknown> => ({
    phone: "+7 900 *** 00 00",
    supplyID: p.supplyId,
    preorderID: p.preorderId,
    createDate: new Date(p.createdAt).toISOString(),
    supplyDate: p.deliveryDate ? `${p.deliveryDate}T00:00:00+03:00` : null,
    factDate: null,
    updatedDate: p.updatedAt ? new Date(p.updatedAt).toISOString() : null,
    statusID: p.supplyId === null ? 1 : 2,
    boxTypeID: p.boxTypeId,
  });

  app.post("/api/v1/supplies", official("supplies", true, ({ sellerId, req }) => {
    const q = req.query as Record<string, unknown>;
    const limit = Math.min(1000, Math.max(1, Number(q.limit ?? 1000) || 1000));
    const offset = Math.max(0, Number(q.offset ?? 0) || 0);
    const mine = [...state.preorders.values()].filter((p) => p.sellerId === sellerId).reverse();
    return mine.slice(offset, offset + limit).map(supplyRow);
  }));

  const findSupply = (sellerId: string, req: FastifyRequest) => {
    const id = Number((req.params as { ID: string }).ID);
    const byPreorder = String((req.query as Record<string, unknown>).isPreorderID ?? "false") === "true";
    if (!Number.isInteger(id)) return new HttpAnswer(400, { status: 400, title: "bad request", detail: "Неверный формат ID", requestId: requestId(), origin: "supply-api" });
    const p = [...state.preorders.values()].find((x) => x.sellerId === sellerId && (byPreorder ? x.preorderId === id : x.supplyId === id));
    if (!p) return new HttpAnswer(404, { status: 404, title: "not found", detail: "Поставка не найдена", requestId: requestId(), origin: "supply-api" });
    return p;
  };

  app.get("/api/v1/supplies/:ID", official("supply", true, ({ sellerId, req }) => {
    const p = findSupply(sellerId, req);
    if (p instanceof HttpAnswer) return p;
    const goods = state.drafts.get(p.draftId)?.goods ?? [];
    const quantity = goods.reduce((n, g) => n + g.quantity, 0);
    return {
      ...supplyRow(p),
      virtualTypeID: undefined,
      warehouseID: p.warehouseId,
      warehouseName: state.warehouseName(p.warehouseId),
      actualWarehouseID: null,
      actualWarehouseName: "",
      transitWarehouseID: null,
      transitWarehouseName: "",
      acceptanceCost: null,
      paidAcceptanceCoefficient: null,
      rejectReason: null,
      supplierAssignName: null,
      storageCoef: null,
      deliveryCoef: null,
      quantity,
      readyForSaleQuantity: 0,
      acceptedQuantity: 0,
      unloadingQuantity: 0,
      depersonalizedQuantity: 0,
    };
  }));

  app.get("/api/v1/supplies/:ID/goods", official("supply/goods", true, ({ sellerId, req }) => {
    const p = findSupply(sellerId, req);
    if (p instanceof HttpAnswer) return p;
    return (state.drafts.get(p.draftId)?.goods ?? []).map((g, i) => ({
      barcode: g.barcode,
      vendorCode: `sandbox-${i + 1}`,
      nmID: 100_000 + i,
      needKiz: false,
      tnved: null,
      techSize: "0",
      color: null,
      supplierBoxAmount: null,
      quantity: g.quantity,
      readyForSaleQuantity: null,
      acceptedQuantity: null,
      unloadingQuantity: null,
    }));
  }));

  app.get("/api/v1/supplies/:ID/package", official("supply/package", true, ({ sellerId, req }) => {
    const p = findSupply(sellerId, req);
    if (p instanceof HttpAnswer) return p;
    return [];
  }));

  // ---- portal JSON-RPC ----
  const rpcError = (code: number, message: string, data?: unknown): RpcOutcome => ({ error: { code, message, ...(data === undefined ? {} : { data }) } });

  /**
   * The portal report's rows of one date, serialised and UTF-8 encoded (JSON
   * array items joined by commas, no brackets), kept while that date's cells
   * stay the same (`state.dateVersion`). The report is the same for every seller.
   */
  const reportChunks = new Map<string, { version: number; json: Buffer }>();
  const reportChunk = (date: string): Buffer => {
    const version = state.dateVersion(date);
    const cached = reportChunks.get(date);
    if (cached?.version === version) return cached.json;
    const rows: string[] = [];
    for (const wh of CATALOG) {
      for (const box of BOX_TYPE_IDS) {
        const cell = state.cell(wh.id, date, box);
        const open = isOpen(cell);
        rows.push(
          JSON.stringify({
            date: `${date}T00:00:00Z`,
            acceptanceType: BOX_TO_ACCEPTANCE[box],
            coefficient: cell.coefficient,
            warehouseID: wh.id,
            warehouseName: wh.name,
            allowUnload: cell.allowUnload,
            isSortingCenter: /^сц\s/i.test(wh.name),
            deliveryCoefficient: open ? "125" : "0",
            storageCoefficient: open ? "100" : "0",
            deliveryBaseLiter: open ? "46" : "0",
            deliveryAdditionalLiter: open ? "14" : "0",
            storageBaseLiter: open ? "0,08" : "0",
          }),
        );
      }
    }
    const json = Buffer.from(rows.join(","));
    reportChunks.set(date, { version, json });
    if (reportChunks.size > 64) for (const key of [...reportChunks.keys()].slice(0, 32)) reportChunks.delete(key);
    return json;
  };
  const REPORT_HEAD = Buffer.from('{"report":[');
  const REPORT_TAIL = Buffer.from("]}");
  const COMMA = Buffer.from(",");
  /** The last whole report built, by the versions of its dates (the same for every seller). */
  let lastReport: { key: string; json: Buffer } | null = null;

  const portalHandlers: Record<PortalMethod, (sellerId: string, params: Record<string, unknown>, req: FastifyRequest) => RpcOutcome> = {
    acceptanceCoefficientsReport: (_sellerId, params) => {
      const parsed = z.object({ dateFrom: z.string(), dateTo: z.string() }).safeParse(params);
      if (!parsed.success) return rpcError(RPC_ERRORS.badParams, "dateFrom and dateTo are required");
      const from = parsed.data.dateFrom.slice(0, 10);
      const to = parsed.data.dateTo.slice(0, 10);
      const dates = windowDates(now()).filter((d) => d >= from && d <= to);
      // ~7,000 rows, 2.4 MB: each date's rows are serialised once per state of that date's cells,
      // so opening or booking one cell re-serialises ~500 rows, not the whole report — the
      // simulated WB's CPU on this box is not what a benchmark of ours measures.
      const key = dates.map((d) => `${d}:${state.dateVersion(d)}`).join(",");
      if (lastReport?.key === key) return { resultJson: lastReport.json };
      const parts: Buffer[] = [REPORT_HEAD];
      for (const date of dates) {
        if (parts.length > 1) parts.push(COMMA);
        parts.push(reportChunk(date));
      }
      parts.push(REPORT_TAIL);
      lastReport = { key, json: Buffer.concat(parts) };
      return { resultJson: lastReport.json };
    },
    getAcceptanceCosts: (sellerId, params) => {
      const p = state.preorders.get(Number(params.preorderID));
      if (!p || p.sellerId !== sellerId) return rpcError(RPC_ERRORS.notFound, "preorder not found");
      const costs = windowDates(now()).map((date) => {
        const cell = state.cell(p.warehouseId, date, p.boxTypeId);
        return { date: `${date}T00:00:00Z`, coefficient: isOpen(cell) ? cell.coefficient : -1, cost: 0 };
      });
      return { result: { costs } };
    },
    getWarehouseFilterItems: () => ({ result: { items: CATALOG.map((w) => ({ warehouseID: w.id, warehouseName: w.name })) } }),
    "draft/create": (sellerId) => ({ result: { draftID: state.createDraft(sellerId) } }),
    "draft/UpdateDraftGoods": (sellerId, params) => {
      const parsed = z.object({ draftID: z.string(), barcodes: z.array(z.object({ barcode: z.string(), quantity: z.number().int().positive() })) }).safeParse(params);
      if (!parsed.success) return rpcError(RPC_ERRORS.badParams, "draftID and barcodes are required");
      const draft = state.drafts.get(parsed.data.draftID);
      if (!draft || draft.sellerId !== sellerId) return rpcError(RPC_ERRORS.notFound, "draft not found");
      draft.goods = parsed.data.barcodes;
      return { result: {} };
    },
    "supply/create": (sellerId, params) => {
      const parsed = z
        .object({ draftID: z.string(), warehouseId: z.number().int(), boxTypeID: z.number().int(), transitWarehouseId: z.number().int().nullable().optional(), isBoxOnPallet: z.boolean().optional() })
        .safeParse(params);
      if (!parsed.success) return rpcError(RPC_ERRORS.badParams, "draftID, warehouseId, boxTypeID are required");
      const draft = state.drafts.get(parsed.data.draftID);
      if (!draft || draft.sellerId !== sellerId) return rpcError(RPC_ERRORS.notFound, "draft not found");
      if (draft.goods.length === 0) return rpcError(RPC_ERRORS.badParams, "draft has no goods");
      const box = parsed.data.boxTypeID as SandboxBoxTypeId;
      if (!BOX_TYPE_IDS.includes(box)) return rpcError(RPC_ERRORS.badParams, "unknown boxTypeID");
      if (!state.warehouses.has(parsed.data.warehouseId)) return rpcError(RPC_ERRORS.badParams, "unknown warehouseId");
      const p = state.createPreorder(sellerId, parsed.data.draftID, parsed.data.warehouseId, box);
      return { result: { ids: [{ Id: p.preorderId, boxTypeId: box, boxTypeName: BOX_TYPE_NAMES[box] }] } };
    },
    "plan/add": (sellerId, params, req) => {
      if (state.fault("plan/add")?.kind === "captcha" && !req.headers["x-wb-captcha-token"]) {
        return rpcError(RPC_ERRORS.captcha, "captcha required", { action: "ADD_OR_UPDATE_SUPPLY", header: "x-wb-captcha-token" });
      }
      const parsed = z.object({ preOrderId: z.number().int(), deliveryDate: z.string(), warehouseId: z.number().int().optional(), monopalletCount: z.number().int().optional() }).safeParse(params);
      if (!parsed.success) return rpcError(RPC_ERRORS.badParams, "preOrderId and deliveryDate are required");
      const result = state.book(sellerId, parsed.data.preOrderId, parsed.data.deliveryDate.slice(0, 10), parsed.data.warehouseId);
      if (result.ok) return { result: { id: { supplyId: result.supplyId, preorderId: parsed.data.preOrderId } } };
      switch (result.reason) {
        case "not_found":
          return rpcError(RPC_ERRORS.notFound, "preorder not found");
        case "bad_date":
          return rpcError(RPC_ERRORS.badParams, "deliveryDate or warehouseId is not valid for this preorder");
        case "taken":
          return rpcError(RPC_ERRORS.slotTaken, "Слот уже занят: выбранная дата недоступна", { reason: "taken" });
        default:
          return rpcError(RPC_ERRORS.slotClosed, "Приёмка на выбранную дату недоступна", { reason: "closed" });
      }
    },
    "transfer/AvailableLimits": (sellerId) => {
      const quotas = [...state.quotas.entries()]
        .filter(([key]) => key.startsWith(`${sellerId}|`))
        .map(([key, q]) => {
          const officeID = Number(key.split("|")[1]);
          return { officeID, officeName: state.warehouseName(officeID), srcQuota: q.srcQuota, dstQuota: q.dstQuota };
        });
      return { result: { data: { quotas } } };
    },
    "transfer/list": (sellerId, params) => {
      const parsed = z.object({ nmIDs: z.array(z.number().int()) }).safeParse(params);
      if (!parsed.success) return rpcError(RPC_ERRORS.badParams, "nmIDs is required");
      const dst = [...state.quotas.entries()].filter(([key, q]) => key.startsWith(`${sellerId}|`) && q.dstQuota > 0).map(([key]) => Number(key.split("|")[1]));
      const transfers = parsed.data.nmIDs.map((nmID) => ({
        nmID,
        chrts: [...state.stock.values()]
          .filter((r) => r.sellerId === sellerId && r.nmId === nmID && r.count > 0)
          .map((r) => ({ count: r.count, chrtID: r.chrtId, sizeName: r.sizeName, warehouseID: r.warehouseId, warehouseName: state.warehouseName(r.warehouseId), dstWarehouseIDs: dst.filter((d) => d !== r.warehouseId) })),
      }));
      return { result: { transfers } };
    },
    "transfer/order": (sellerId, params) => {
      const parsed = z
        .object({ transfers: z.array(z.object({ nmID: z.number().int(), srcOfficeID: z.number().int(), items: z.array(z.object({ dstOfficeID: z.number().int(), chrtID: z.number().int(), count: z.number().int().positive() })).min(1) })).min(1) })
        .safeParse(params);
      if (!parsed.success) return rpcError(RPC_ERRORS.badParams, "transfers are required");
      // Validate everything first, then apply: an order is all-or-nothing.
      const src = new Map<number, number>();
      const dst = new Map<number, number>();
      const stockNeed = new Map<string, number>();
      for (const t of parsed.data.transfers) {
        for (const item of t.items) {
          src.set(t.srcOfficeID, (src.get(t.srcOfficeID) ?? 0) + item.count);
          dst.set(item.dstOfficeID, (dst.get(item.dstOfficeID) ?? 0) + item.count);
          const key = SandboxState.stockKey(sellerId, t.nmID, item.chrtID, t.srcOfficeID);
          stockNeed.set(key, (stockNeed.get(key) ?? 0) + item.count);
        }
      }
      for (const [office, need] of src) {
        if ((state.quotas.get(SandboxState.quotaKey(sellerId, office))?.srcQuota ?? 0) < need) return rpcError(RPC_ERRORS.insufficient, `Недостаточно квоты на вывоз со склада ${office}`, { reason: "src_quota", officeID: office });
      }
      for (const [office, need] of dst) {
        if ((state.quotas.get(SandboxState.quotaKey(sellerId, office))?.dstQuota ?? 0) < need) return rpcError(RPC_ERRORS.insufficient, `Недостаточно квоты на ввоз на склад ${office}`, { reason: "dst_quota", officeID: office });
      }
      for (const [key, need] of stockNeed) {
        if ((state.stock.get(key)?.count ?? 0) < need) return rpcError(RPC_ERRORS.insufficient, "Недостаточно остатка на складе", { reason: "stock" });
      }
      const at = new Date(now()).toISOString();
      for (const [office, need] of src) state.quotas.get(SandboxState.quotaKey(sellerId, office))!.srcQuota -= need;
      for (const [office, need] of dst) state.quotas.get(SandboxState.quotaKey(sellerId, office))!.dstQuota -= need;
      for (const t of parsed.data.transfers) {
        for (const item of t.items) {
          state.stock.get(SandboxState.stockKey(sellerId, t.nmID, item.chrtID, t.srcOfficeID))!.count -= item.count;
          state.transfers.push({ at, sellerId, nmId: t.nmID, chrtId: item.chrtID, srcOfficeId: t.srcOfficeID, dstOfficeId: item.dstOfficeID, count: item.count });
        }
      }
      return { result: {} };
    },
    "auth/token": (sellerId) => {
      const token = state.issueSession(sellerId, 7 * 86_400);
      const exp = state.sessions.get(token)?.exp ?? now();
      return { result: { data: { token, userID: state.sellers.get(sellerId)?.oid ?? 0, exp: Math.floor(exp / 1000) } } };
    },
  };

  const cookie = (req: FastifyRequest, name: string): string | undefined => {
    const raw = req.headers.cookie;
    if (!raw) return undefined;
    for (const part of raw.split(";")) {
      const [k, ...v] = part.trim().split("=");
      if (k === name) return decodeURIComponent(v.join("="));
    }
    return undefined;
  };

  for (const [path, method] of Object.entries(PORTAL_PATHS)) {
    app.post(path, async (req, reply) => {
      req.wbMethod = method;
      if (state.fault(method)?.kind === "disabled") return sendDisabled(reply);
      const auth = req.headers.authorizev3;
      const authorizev3 = typeof auth === "string" ? auth : "";
      const session = state.sessions.get(authorizev3);
      const supplierId = cookie(req, "x-supplier-id");
      if (!session || !state.jwt.verify(authorizev3) || session.exp <= now() || supplierId !== session.sellerId) {
        return reply.code(401).type("application/json").send({ code: 401, message: "unauthorized", detail: "session is invalid or expired" });
      }
      req.wbSellerId = session.sellerId;
      const spec = bucketSpecFor(method, "portal" satisfies LimitSubject, options.limits);
      if (!limitHeaders(reply, `${session.sellerId}|portal|${method}`, spec)) return reply;
      if (!(await applyFaults(method, reply))) return reply;
      const body = req.body as { params?: unknown; id?: unknown; jsonrpc?: unknown } | undefined;
      const id = typeof body?.id === "string" || typeof body?.id === "number" ? body.id : null;
      const garbage = isGarbage(method);
      if (garbage === "malformed") return reply.type("application/json").send("<html>502 Bad Gateway</html>");
      if (garbage === "shape") return reply.send({ id, jsonrpc: "2.0", result: "garbage" });
      const params = body?.params ?? {};
      const outcome: RpcOutcome =
        body?.jsonrpc !== "2.0" || typeof params !== "object" || params === null
          ? rpcError(RPC_ERRORS.invalidRequest, "Invalid Request")
          : portalHandlers[method](session.sellerId, params as Record<string, unknown>, req);
      if ("resultJson" in outcome) {
        const head = Buffer.from(`{"id":${JSON.stringify(id)},"jsonrpc":"2.0","result":`);
        return reply.type("application/json").send(Buffer.concat([head, outcome.resultJson, Buffer.from("}")]));
      }
      return reply.send({ id, jsonrpc: "2.0", ...outcome });
    });
  }

  // ---- admin API ----
  const admin = <T extends z.ZodType>(schema: T, handler: (body: z.infer<T>, req: FastifyRequest, reply: FastifyReply) => unknown) =>
    async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
      req.wbMethod = "admin";
      const parsed = schema.safeParse(req.body);
      if (!parsed.success) return reply.code(400).send({ error: "bad request", issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`) });
      return handler(parsed.data, req, reply);
    };

  app.post("/__sandbox/sellers", admin(adminSchemas.seller, (body) => ({ sellerId: state.addSeller(body?.name).sellerId })));

  app.post("/__sandbox/tokens", admin(adminSchemas.token, (body, _req, reply) => {
    if (!state.sellers.has(body.sellerId)) return reply.code(404).send({ error: "unknown sellerId" });
    const token = state.issueToken(body.sellerId, body.type, body.expiresInDays ?? 180, categoryMask(body.categories ?? DEFAULT_CATEGORY_BITS));
    return { token };
  }));

  app.post("/__sandbox/tokens/revoke", admin(adminSchemas.revoke, (body, _req, reply) => {
    const record = state.tokens.get(body.token);
    if (!record) return reply.code(404).send({ error: "unknown token" });
    record.revoked = true;
    return { ok: true };
  }));

  app.post("/__sandbox/sessions", admin(adminSchemas.session, (body, _req, reply) => {
    if (!state.sellers.has(body.sellerId)) return reply.code(404).send({ error: "unknown sellerId" });
    return { authorizev3: state.issueSession(body.sellerId, body.ttlSeconds ?? 7 * 86_400), supplierId: body.sellerId };
  }));

  app.post("/__sandbox/slots", admin(adminSchemas.slot, (body, _req, reply) => {
    if (!state.warehouses.has(body.warehouseId)) return reply.code(404).send({ error: "unknown warehouseId" });
    const date = body.date.slice(0, 10);
    const cell = state.setCell(body.warehouseId, date, body.boxTypeId, body.coefficient, body.allowUnload);
    return { warehouseId: body.warehouseId, date, boxTypeId: body.boxTypeId, coefficient: cell.coefficient, allowUnload: cell.allowUnload, openedAt: cell.openedAt === null ? null : new Date(cell.openedAt).toISOString() };
  }));

  app.get("/__sandbox/slots", async (req) => {
    req.wbMethod = "admin";
    return [...state.cells.entries()].map(([key, cell]) => {
      const [warehouseId, date, boxTypeId] = key.split("|");
      return { warehouseId: Number(warehouseId), date, boxTypeId: Number(boxTypeId), coefficient: cell.coefficient, allowUnload: cell.allowUnload, openedAt: cell.openedAt === null ? null : new Date(cell.openedAt).toISOString() };
    });
  });

  app.post("/__sandbox/faults", admin(adminSchemas.fault, (body) => {
    state.faults.set(body.method, { kind: body.kind as FaultKind, ...(body.value === undefined ? {} : { value: body.value }) });
    return { ok: true };
  }));

  app.delete("/__sandbox/faults", async (req) => {
    req.wbMethod = "admin";
    const method = (req.query as Record<string, unknown>).method;
    if (typeof method === "string") state.faults.delete(method);
    else state.faults.clear();
    return { ok: true };
  });

  app.get("/__sandbox/requests", async (req, reply) => {
    req.wbMethod = "admin";
    const since = (req.query as Record<string, unknown>).since;
    if (since === undefined) return state.requests;
    const t = Date.parse(String(since));
    if (Number.isNaN(t)) return reply.code(400).send({ error: "since must be an ISO date-time" });
    return state.requests.filter((r) => Date.parse(r.at) >= t);
  });

  app.get("/__sandbox/bookings", async (req) => {
    req.wbMethod = "admin";
    return state.bookings;
  });

  app.post("/__sandbox/quotas", admin(adminSchemas.quota, (body) => {
    state.quotas.set(SandboxState.quotaKey(body.sellerId, body.officeId), { srcQuota: body.srcQuota, dstQuota: body.dstQuota });
    return { ok: true };
  }));

  app.post("/__sandbox/stock", admin(adminSchemas.stock, (body) => {
    state.stock.set(SandboxState.stockKey(body.sellerId, body.nmId, body.chrtId, body.warehouseId), {
      sellerId: body.sellerId,
      nmId: body.nmId,
      chrtId: body.chrtId,
      warehouseId: body.warehouseId,
      count: body.count,
      sizeName: body.sizeName ?? "0",
    });
    return { ok: true };
  }));

  app.get("/__sandbox/transfers", async (req) => {
    req.wbMethod = "admin";
    return state.transfers;
  });

  app.post("/__sandbox/reset", async (req) => {
    req.wbMethod = "admin";
    state.reset();
    if (timer) clearInterval(timer);
    startScript();
    return { ok: true };
  });

  app.get("/__sandbox/health", async (req) => {
    req.wbMethod = "admin";
    return { ok: true, today: moscowDate(now()) };
  });

  return { app, state };
}

/** A non-200 answer from an official handler. */
class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}
