/**
 * The bundled warehouse catalog (warehouses-data.ts) and the search behind the
 * warehouse picker. Pure: no I/O.
 */
import { WAREHOUSES_DATA } from "./warehouses-data";

/** A WB warehouse. */
export interface Warehouse {
  readonly id: number;
  readonly name: string;
  readonly address?: string;
}

/** One page of search results; `page` is 1-based and clamped to 1…pages. */
export interface WarehousePage {
  readonly items: Warehouse[];
  readonly page: number;
  readonly pages: number;
  readonly total: number;
}

/** Paging options for {@link searchWarehouses}. */
export interface WarehouseSearchOptions {
  /** 1-based; default 1. */
  readonly page?: number;
  /** Default {@link DEFAULT_WAREHOUSE_PAGE_SIZE}. */
  readonly pageSize?: number;
}

/** Default page size of the warehouse picker. */
export const DEFAULT_WAREHOUSE_PAGE_SIZE = 8;

/**
 * Major warehouses shown first, in this order: Коледино, Электросталь, Подольск, Казань, Тула,
 * Краснодар (Тихорецкая), Невинномысск, Екатеринбург (Испытателей, Перспективный), Новосибирск,
 * Санкт-Петербург (Шушары, Уткина Заводь), Белые Столбы, Волгоград, Обухово.
 */
export const POPULAR_WAREHOUSE_IDS: readonly number[] = [
  507, 120762, 117501, 117986, 206348, 130744, 208277, 1733, 300571, 686, 159402, 2737, 206236, 301983, 218210,
];

/** The whole catalog (names trimmed), sorted by id. Includes legacy entries. */
export const WAREHOUSES: readonly Warehouse[] = WAREHOUSES_DATA.map((w) =>
  w.address === undefined ? { id: w.id, name: w.name.trim() } : { id: w.id, name: w.name.trim(), address: w.address },
);

const BY_ID: ReadonlyMap<number, Warehouse> = new Map(WAREHOUSES.map((w) => [w.id, w]));

/** Short aliases users type, mapped to the normalized text they stand for. */
const ALIASES: Readonly<Record<string, string>> = {
  спб: "санкт-петербург",
  питер: "санкт-петербург",
  екб: "екатеринбург",
  мск: "москва",
  нск: "новосибирск",
};

/**
 * Normalizes text for matching: lower case, ё→е, collapsed whitespace, trimmed.
 */
export function normalizeSearchText(text: string): string {
  return text.toLowerCase().replace(/ё/g, "е").replace(/\s+/g, " ").trim();
}

/**
 * Whether an entry is an obviously dead legacy one: its name contains "old" as a word
 * or "(до …)" — e.g. «СЦ Барнаул old», «СЦ Иваново (до 03.05.23)». Such entries stay
 * resolvable by id but are left out of search results.
 */
export function isLegacyWarehouse(w: Pick<Warehouse, "name">): boolean {
  return /(^|[^a-zа-я])old([^a-zа-я]|$)/i.test(w.name) || /\(до\s/i.test(w.name);
}

/**
 * Looks a warehouse up by id (legacy entries included).
 */
export function warehouseById(id: number): Warehouse | undefined {
  return BY_ID.get(id);
}

/**
 * A display name for an id: the catalog name, or «Склад №{id}» for unknown ids.
 */
export function warehouseName(id: number): string {
  return BY_ID.get(id)?.name ?? `Склад №${id}`;
}

/**
 * The popular warehouses, in {@link POPULAR_WAREHOUSE_IDS} order.
 */
export function popularWarehouses(): Warehouse[] {
  return POPULAR_WAREHOUSE_IDS.map((id) => BY_ID.get(id)).filter((w): w is Warehouse => w !== undefined);
}

const POPULAR_RANK: ReadonlyMap<number, number> = new Map(POPULAR_WAREHOUSE_IDS.map((id, i) => [id, i]));

function compareForPicker(a: Warehouse, b: Warehouse): number {
  const ra = POPULAR_RANK.get(a.id);
  const rb = POPULAR_RANK.get(b.id);
  if (ra !== undefined || rb !== undefined) {
    if (ra === undefined) return 1;
    if (rb === undefined) return -1;
    return ra - rb;
  }
  return a.name.localeCompare(b.name, "ru") || a.id - b.id;
}

const SEARCHABLE: readonly { w: Warehouse; text: string }[] = WAREHOUSES.filter((w) => !isLegacyWarehouse(w))
  .slice()
  .sort(compareForPicker)
  .map((w) => ({ w, text: normalizeSearchText(w.name) }));

/**
 * Searches the catalog for the picker. Case-insensitive, ё = е; every word of the query
 * must occur in the name as a substring (aliases: спб, питер, екб, мск, нск); a query of
 * digits also matches the warehouse id exactly. Legacy entries are skipped. Popular
 * warehouses come first, then the rest alphabetically. An empty query lists everything
 * popular first.
 */
export function searchWarehouses(query: string, options: WarehouseSearchOptions = {}): WarehousePage {
  const pageSize = Math.max(1, Math.floor(Number.isFinite(options.pageSize) ? (options.pageSize as number) : DEFAULT_WAREHOUSE_PAGE_SIZE));
  const q = normalizeSearchText(typeof query === "string" ? query : "");
  const words = q === "" ? [] : q.split(" ").map((t) => ALIASES[t] ?? t);
  const idQuery = /^\d{1,12}$/.test(q) ? Number(q) : null;
  const matched = SEARCHABLE.filter(({ w, text }) => w.id === idQuery || words.every((t) => text.includes(t))).map(({ w }) => w);
  const total = matched.length;
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const requested = Math.floor(Number.isFinite(options.page) ? (options.page as number) : 1);
  const page = Math.min(pages, Math.max(1, requested));
  return { items: matched.slice((page - 1) * pageSize, page * pageSize), page, pages, total };
}
