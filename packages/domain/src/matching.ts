/**
 * Which slots a task wants. A slot is bookable when WB allows unloading and
 * 0 ≤ coefficient ≤ the user's maximum (−1 means closed whatever allowUnload says).
 */
import type { BoxTypeId, IsoDate, Slot } from "./slot";

/** What a task watches for. Dates are inclusive Moscow dates. */
export interface TaskFilter {
  /** Warehouses the user accepts, in the user's order of preference. Empty matches nothing. */
  readonly warehouseIds: readonly number[];
  readonly dateFrom: IsoDate;
  readonly dateTo: IsoDate;
  readonly boxTypeId: BoxTypeId;
  /** Highest acceptable coefficient, ≥ 0 (0 = free only). */
  readonly maxCoefficient: number;
}

/** The maximum-coefficient choices offered in the bot, in display order. */
export const MAX_COEFFICIENT_OPTIONS: readonly number[] = [0, 1, 2, 3, 5, 10, 20];

/**
 * Whether WB accepts deliveries in this cell at all: allowUnload and coefficient ≥ 0.
 */
export function isSlotOpen(slot: Slot): boolean {
  return slot.allowUnload && Number.isFinite(slot.coefficient) && slot.coefficient >= 0;
}

/**
 * Whether a slot satisfies a task filter: open, one of the warehouses, the box type,
 * dateFrom ≤ date ≤ dateTo, and coefficient ≤ maxCoefficient.
 */
export function isBookable(slot: Slot, filter: TaskFilter): boolean {
  return (
    isSlotOpen(slot) &&
    slot.coefficient <= filter.maxCoefficient &&
    slot.boxTypeId === filter.boxTypeId &&
    filter.warehouseIds.includes(slot.warehouseId) &&
    slot.date >= filter.dateFrom &&
    slot.date <= filter.dateTo
  );
}

/**
 * Orders slots best first: lowest coefficient, then earliest date, then the warehouse the
 * user listed first (`warehouseOrder`), then warehouse id. Usable as a sort comparator.
 */
export function compareSlots(a: Slot, b: Slot, warehouseOrder: readonly number[] = []): number {
  if (a.coefficient !== b.coefficient) return a.coefficient - b.coefficient;
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  const rank = (id: number): number => {
    const i = warehouseOrder.indexOf(id);
    return i === -1 ? Number.MAX_SAFE_INTEGER : i;
  };
  const r = rank(a.warehouseId) - rank(b.warehouseId);
  if (r !== 0) return r;
  return a.warehouseId - b.warehouseId;
}

/**
 * The bookable slots for a filter, best first (see {@link compareSlots}). Does not mutate input.
 */
export function findMatches(filter: TaskFilter, slots: readonly Slot[]): Slot[] {
  return slots.filter((s) => isBookable(s, filter)).sort((a, b) => compareSlots(a, b, filter.warehouseIds));
}

/**
 * The single best bookable slot, or null.
 */
export function bestMatch(filter: TaskFilter, slots: readonly Slot[]): Slot | null {
  return findMatches(filter, slots)[0] ?? null;
}
