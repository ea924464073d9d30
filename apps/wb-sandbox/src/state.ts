/**
 * The sandbox's world: sellers, tokens, portal sessions, the slot grid, drafts,
 * preorders, bookings, redistribution quotas and stock, injected faults, the
 * request log. Pure in-memory state; all mutations are synchronous, so two
 * concurrent bookings of one cell cannot both win.
 */
import { randomBytes, randomUUID } from "node:crypto";
import catalogJson from "./data/warehouses.json";
import { TokenBuckets, type MethodName } from "./limits";
import { createJwtCodec, type JwtCodec, type TokenTypeName } from "./jwt";

/** One catalog warehouse (real WB data, see data/README). */
export interface Warehouse {
  readonly id: number;
  readonly name: string;
  readonly address?: string;
}

/** Box types of the official API: 2 Короба, 5 Монопаллеты, 6 Суперсейф. */
export const BOX_TYPE_IDS = [2, 5, 6] as const;
/** An official box type id. */
export type SandboxBoxTypeId = (typeof BOX_TYPE_IDS)[number];
/** Official boxTypeID → portal acceptanceType (inferred, see SHAPES doc). */
export const BOX_TO_ACCEPTANCE: Record<SandboxBoxTypeId, number> = { 2: 6, 5: 4, 6: 5 };
/** Box type names for the official rows. */
export const BOX_TYPE_NAMES: Record<SandboxBoxTypeId, string> = { 2: "Короба", 5: "Монопаллеты", 6: "Суперсейф" };

/** The real warehouse catalog bundled with the sandbox. */
export const CATALOG: readonly Warehouse[] = catalogJson as Warehouse[];

/** How many days ahead the coefficients window covers. */
export const WINDOW_DAYS = 14;
const DAY_MS = 86_400_000;
const MOSCOW_OFFSET_MS = 3 * 3_600_000;

/**
 * The Moscow calendar date of an instant.
 * @returns `YYYY-MM-DD`
 */
export function moscowDate(ms: number): string {
  return new Date(ms + MOSCOW_OFFSET_MS).toISOString().slice(0, 10);
}

/**
 * The 14 Moscow dates of the window starting today.
 * @returns dates in order
 */
export function windowDates(now: number): string[] {
  return Array.from({ length: WINDOW_DAYS }, (_, i) => moscowDate(now + i * DAY_MS));
}

/** One acceptance cell. */
export interface Cell {
  coefficient: number;
  allowUnload: boolean;
  /** When the cell last became bookable (ms), null while closed. */
  openedAt: number | null;
}

/** Is a cell bookable? */
export function isOpen(cell: Pick<Cell, "coefficient" | "allowUnload">): boolean {
  return cell.allowUnload && cell.coefficient >= 0;
}

/** A registered seller. */
export interface Seller {
  readonly sellerId: string;
  readonly name: string;
  readonly oid: number;
}

/** An issued official token. */
export interface TokenRecord {
  readonly sellerId: string;
  readonly type: TokenTypeName;
  readonly exp: number;
  revoked: boolean;
}

/** An issued portal session. */
export interface SessionRecord {
  readonly sellerId: string;
  readonly exp: number;
}

/** A draft (portal). */
export interface Draft {
  readonly sellerId: string;
  goods: { barcode: string; quantity: number }[];
}

/** A preorder created by supply/create. */
export interface Preorder {
  readonly preorderId: number;
  readonly sellerId: string;
  readonly draftId: string;
  readonly warehouseId: number;
  readonly boxTypeId: SandboxBoxTypeId;
  readonly createdAt: number;
  supplyId: number | null;
  deliveryDate: string | null;
  updatedAt: number | null;
}

/** A booking made by plan/add. */
export interface Booking {
  readonly at: string;
  readonly sellerId: string;
  readonly warehouseId: number;
  readonly date: string;
  readonly boxTypeId: number;
  readonly preorderId: number;
  readonly supplyId: number;
  readonly coefficient: number;
  readonly slotOpenedAt: string | null;
}

/** A fault kind per CONTRACT.md. */
export type FaultKind = "disabled" | "captcha" | "latency" | "error5xx" | "timeout" | "garbage";

/** An injected fault. */
export interface Fault {
  readonly kind: FaultKind;
  readonly value?: number | string;
}

/** One request log line. */
export interface RequestLogEntry {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  readonly sellerId: string | null;
  readonly status: number;
}

/** A quota row of a seller's office. */
export interface Quota {
  srcQuota: number;
  dstQuota: number;
}

/** A stock row: one size of one article at one warehouse. */
export interface StockRow {
  readonly sellerId: string;
  readonly nmId: number;
  readonly chrtId: number;
  readonly warehouseId: number;
  count: number;
  sizeName: string;
}

/** One executed redistribution line. */
export interface TransferRecord {
  readonly at: string;
  readonly sellerId: string;
  readonly nmId: number;
  readonly chrtId: number;
  readonly srcOfficeId: number;
  readonly dstOfficeId: number;
  readonly count: number;
}

/** Result of a booking attempt. */
export type BookResult =
  | { ok: true; supplyId: number; repeated: boolean }
  | { ok: false; reason: "not_found" | "closed" | "taken" | "bad_date" };

/**
 * A small deterministic PRNG (mulberry32).
 * @returns a function giving floats in [0, 1)
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The whole mutable sandbox state. */
export class SandboxState {
  readonly jwt: JwtCodec = createJwtCodec();
  readonly warehouses: ReadonlyMap<number, Warehouse> = new Map(CATALOG.map((w) => [w.id, w]));
  readonly sellers = new Map<string, Seller>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly sessions = new Map<string, SessionRecord>();
  /** Mutated only by {@link setCell}, {@link book} and {@link reset}: they bump {@link dateVersion}. */
  private readonly cellMap = new Map<string, Cell>();
  /** Counts cell changes and resets: the source of every {@link dateVersion}. */
  private cellGeneration = 0;
  /** The generation at the last {@link reset}: the version of every date not changed since. */
  private resetGeneration = 0;
  /** date → the generation of its last cell change since the last reset. */
  private readonly dateGenerations = new Map<string, number>();
  readonly drafts = new Map<string, Draft>();
  readonly preorders = new Map<number, Preorder>();
  /** cell key → preorderId that booked it. */
  readonly bookedCells = new Map<string, number>();
  readonly bookings: Booking[] = [];
  readonly quotas = new Map<string, Quota>();
  readonly stock = new Map<string, StockRow>();
  readonly transfers: TransferRecord[] = [];
  readonly faults = new Map<string, Fault>();
  readonly requests: RequestLogEntry[] = [];
  readonly buckets = new TokenBuckets();
  private nextPreorderId = 40_000_000;
  private nextSupplyId = 30_000_000;
  private nextOid = 4_000_000;

  constructor(readonly now: () => number) {}

  /** Back to the initial state: everything cleared, every cell closed. */
  reset(): void {
    this.cellGeneration += 1;
    this.resetGeneration = this.cellGeneration;
    this.dateGenerations.clear();
    for (const m of [this.sellers, this.tokens, this.sessions, this.cellMap, this.drafts, this.preorders, this.bookedCells, this.quotas, this.stock, this.faults]) {
      m.clear();
    }
    this.bookings.length = 0;
    this.transfers.length = 0;
    this.requests.length = 0;
    this.buckets.clear();
  }

  /** Every cell ever set, by {@link SandboxState.cellKey}. */
  get cells(): ReadonlyMap<string, Cell> {
    return this.cellMap;
  }


  /**
   * Changes whenever a cell of `date` changes (and on reset): answers built from
   * one date's cells can be reused while it stays. Unique over the state's life.
   */
  dateVersion(date: string): number {
    return this.dateGenerations.get(date) ?? this.resetGeneration;
  }

  private bump(date: string): void {
    this.cellGeneration += 1;
    this.dateGenerations.set(date, this.cellGeneration);
  }

  /** Key of a cell. */
  static cellKey(warehouseId: number, date: string, boxTypeId: number): string {
    return `${warehouseId}|${date}|${boxTypeId}`;
  }

  /** The current cell (closed when never set). */
  cell(warehouseId: number, date: string, boxTypeId: number): Cell {
    return this.cellMap.get(SandboxState.cellKey(warehouseId, date, boxTypeId)) ?? { coefficient: -1, allowUnload: false, openedAt: null };
  }

  /**
   * Sets one cell; records the time it became bookable.
   * @returns the stored cell
   */
  setCell(warehouseId: number, date: string, boxTypeId: number, coefficient: number, allowUnload: boolean): Cell {
    const key = SandboxState.cellKey(warehouseId, date, boxTypeId);
    const prev = this.cell(warehouseId, date, boxTypeId);
    const open = isOpen({ coefficient, allowUnload });
    const openedAt = open ? (isOpen(prev) && prev.openedAt !== null ? prev.openedAt : this.now()) : null;
    const next: Cell = { coefficient, allowUnload, openedAt };
    this.cellMap.set(key, next);
    this.bump(date);
    if (open) this.bookedCells.delete(key);
    return next;
  }

  /** Registers a seller. */
  addSeller(name?: string): Seller {
    const seller: Seller = { sellerId: randomUUID(), name: name ?? "ИП Песочница", oid: this.nextOid++ };
    this.sellers.set(seller.sellerId, seller);
    return seller;
  }

  /** Issues an official token. */
  issueToken(sellerId: string, type: TokenTypeName, expiresInDays: number, sMask: number): string {
    const iat = Math.floor(this.now() / 1000);
    const exp = iat + Math.round(expiresInDays * 86_400);
    const seller = this.sellers.get(sellerId);
    const token = this.jwt.sign({
      acc: { base: 1, test: 2, personal: 3, service: 4 }[type],
      ent: 1,
      exp,
      for: type === "service" ? "asid:sandbox-service" : "self",
      id: randomUUID(),
      iid: seller?.oid ?? 0,
      oid: seller?.oid ?? 0,
      s: sMask,
      sid: sellerId,
      t: type === "test",
      uid: seller?.oid ?? 0,
    });
    this.tokens.set(token, { sellerId, type, exp: exp * 1000, revoked: false });
    return token;
  }

  /** Issues a portal session (authorizev3 JWT). */
  issueSession(sellerId: string, ttlSeconds: number): string {
    const exp = Math.floor(this.now() / 1000) + ttlSeconds;
    const token = this.jwt.sign({ sid: sellerId, exp, user: randomBytes(4).readUInt32BE(0), nonce: randomBytes(6).toString("hex") });
    this.sessions.set(token, { sellerId, exp: exp * 1000 });
    return token;
  }

  /** Creates an empty draft. */
  createDraft(sellerId: string): string {
    const draftId = randomUUID();
    this.drafts.set(draftId, { sellerId, goods: [] });
    return draftId;
  }

  /** Creates a preorder from a draft. */
  createPreorder(sellerId: string, draftId: string, warehouseId: number, boxTypeId: SandboxBoxTypeId): Preorder {
    const preorder: Preorder = {
      preorderId: this.nextPreorderId++,
      sellerId,
      draftId,
      warehouseId,
      boxTypeId,
      createdAt: this.now(),
      supplyId: null,
      deliveryDate: null,
      updatedAt: null,
    };
    this.preorders.set(preorder.preorderId, preorder);
    return preorder;
  }

  /**
   * Books the cell of a preorder on a date. Synchronous: one winner per cell.
   * Idempotent per preorder: a second call for the same preorder and date
   * returns the same supplyId without a second booking.
   */
  book(sellerId: string, preorderId: number, date: string, warehouseId?: number): BookResult {
    const preorder = this.preorders.get(preorderId);
    if (!preorder || preorder.sellerId !== sellerId) return { ok: false, reason: "not_found" };
    if (preorder.supplyId !== null) {
      return preorder.deliveryDate === date ? { ok: true, supplyId: preorder.supplyId, repeated: true } : { ok: false, reason: "taken" };
    }
    const wh = warehouseId ?? preorder.warehouseId;
    if (wh !== preorder.warehouseId || !windowDates(this.now()).includes(date)) return { ok: false, reason: "bad_date" };
    const key = SandboxState.cellKey(wh, date, preorder.boxTypeId);
    if (this.bookedCells.has(key)) return { ok: false, reason: "taken" };
    const cell = this.cell(wh, date, preorder.boxTypeId);
    if (!isOpen(cell)) return { ok: false, reason: "closed" };
    const supplyId = this.nextSupplyId++;
    preorder.supplyId = supplyId;
    preorder.deliveryDate = date;
    preorder.updatedAt = this.now();
    this.bookedCells.set(key, preorderId);
    // Capacity of a sandbox cell is one supply: it shows as closed afterwards.
    this.cellMap.set(key, { coefficient: cell.coefficient, allowUnload: false, openedAt: null });
    this.bump(date);
    this.bookings.push({
      at: new Date(this.now()).toISOString(),
      sellerId,
      warehouseId: wh,
      date,
      boxTypeId: preorder.boxTypeId,
      preorderId,
      supplyId,
      coefficient: cell.coefficient,
      slotOpenedAt: cell.openedAt === null ? null : new Date(cell.openedAt).toISOString(),
    });
    return { ok: true, supplyId, repeated: false };
  }

  /** Key of a quota row. */
  static quotaKey(sellerId: string, officeId: number): string {
    return `${sellerId}|${officeId}`;
  }

  /** Key of a stock row. */
  static stockKey(sellerId: string, nmId: number, chrtId: number, warehouseId: number): string {
    return `${sellerId}|${nmId}|${chrtId}|${warehouseId}`;
  }

  /** Name of a warehouse from the catalog. */
  warehouseName(id: number): string {
    return this.warehouses.get(id)?.name ?? `Склад ${id}`;
  }

  /** Records a request. */
  logRequest(entry: RequestLogEntry): void {
    this.requests.push(entry);
    if (this.requests.length > 200_000) this.requests.splice(0, 100_000);
  }

  /** The logical method's fault, if any. */
  fault(method: MethodName): Fault | undefined {
    return this.faults.get(method);
  }
}
