export { BOX_TYPES, BOX_TYPE_IDS, isBoxTypeId, type BoxTypeId, type IsoDate, type Slot, type SlotSource } from "./slot";
