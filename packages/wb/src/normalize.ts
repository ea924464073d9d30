/**
 * Maps both coefficient sources to the domain `Slot`.
 */
import { isBoxTypeId, type BoxTypeId, type Slot } from "@wbslots/domain";
import type { Coefficient, PortalReportRow } from "./schemas";

/** Portal `acceptanceType` → official boxTypeID (INFERENCE from the 2025 capture: 6 boxes, 4 monopallets, 5 supersafe). */
export const ACCEPTANCE_TYPE_TO_BOX: Readonly<Record<number, BoxTypeId>> = { 6: 2, 4: 5, 5: 6 };

const toDate = (value: string): string => value.slice(0, 10);

/**
 * Official coefficient rows → slots. Rows without a supported boxTypeID (QR
 * supplies) are dropped. A missing `allowUnload` (pre-2025 schema) means
 * "bookable when the coefficient is ≥ 0".
 * @returns one slot per warehouse/date/box type
 */
export function officialToSlots(rows: readonly Coefficient[]): Slot[] {
  const slots: Slot[] = [];
  for (const row of rows) {
    if (row.boxTypeID === undefined || !isBoxTypeId(row.boxTypeID)) continue;
    slots.push({
      warehouseId: row.warehouseID,
      warehouseName: row.warehouseName,
      date: toDate(row.date),
      boxTypeId: row.boxTypeID,
      coefficient: row.coefficient,
      allowUnload: row.allowUnload ?? row.coefficient >= 0,
    });
  }
  return slots;
}

/**
 * Portal report rows → slots (`acceptanceType` mapped with {@link ACCEPTANCE_TYPE_TO_BOX}).
 * @returns one slot per warehouse/date/box type
 */
export function portalToSlots(rows: readonly PortalReportRow[]): Slot[] {
  const slots: Slot[] = [];
  for (const row of rows) {
    const boxTypeId = ACCEPTANCE_TYPE_TO_BOX[row.acceptanceType];
    if (boxTypeId === undefined) continue;
    slots.push({
      warehouseId: row.warehouseID,
      warehouseName: row.warehouseName,
      date: toDate(row.date),
      boxTypeId,
      coefficient: row.coefficient,
      allowUnload: row.allowUnload ?? row.coefficient >= 0,
    });
  }
  return slots;
}
