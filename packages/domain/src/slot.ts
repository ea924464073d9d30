/**
 * The normalized acceptance slot every WB source (official coefficients, the
 * portal report) is mapped to. Pure data: no I/O.
 */

/** WB box type ids: 2 Короба, 5 Монопаллеты, 6 Суперсейф. */
export const BOX_TYPES = { 2: "Короба", 5: "Монопаллеты", 6: "Суперсейф" } as const;

/** A WB box type id we support. */
export type BoxTypeId = keyof typeof BOX_TYPES;

/** All supported box type ids, in display order. */
export const BOX_TYPE_IDS: readonly BoxTypeId[] = [2, 5, 6];

/**
 * Narrows a number to a supported box type id.
 * @returns true for 2, 5 and 6
 */
export function isBoxTypeId(value: number): value is BoxTypeId {
  return value === 2 || value === 5 || value === 6;
}

/** A calendar date without time, `YYYY-MM-DD` (WB's dates are Moscow dates). */
export type IsoDate = string;

/** Where a snapshot of slots came from. */
export type SlotSource = "official" | "portal";

/** One acceptance cell: a warehouse, a date and a box type with its coefficient. */
export interface Slot {
  readonly warehouseId: number;
  readonly warehouseName: string;
  readonly date: IsoDate;
  readonly boxTypeId: BoxTypeId;
  /** −1 closed; 0 free; ≥1 cost multiplier. */
  readonly coefficient: number;
  readonly allowUnload: boolean;
}
