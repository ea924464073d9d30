import type { Redis } from "ioredis";
import { isBoxTypeId, isSlotOpen, type Slot, type SlotSource } from "@wbslots/domain";
import type { WorkerKeys } from "./keys";

/** A parsed snapshot, indexed for O(slots of one warehouse) matching. */
export interface SnapshotView {
  /** The snapshot's version (its `fetchedAt` as a string). */
  readonly version: string;
  /** When the WB read started (ms since epoch): age = now − fetchedAt. */
  readonly fetchedAt: number;
  /** Open slots only (allowUnload and coefficient ≥ 0), by warehouse id. */
  readonly byWarehouse: ReadonlyMap<number, readonly Slot[]>;
  /** Number of open slots. */
  readonly size: number;
}

/** Stored form of one open slot: `[warehouseId, date, boxTypeId, coefficient]`. */
type Packed = [number, string, number, number];

const SNAPSHOT_TTL_MS = 2 * 3600_000;

/** The longest a WB read may take: 3 attempts × 10 s timeout plus backoff (see packages/wb/src/http.ts). */
export const READ_IN_FLIGHT_MS = 35_000;

/**
 * Packs open slots for Redis (closed cells are dropped: they never match).
 * @returns the JSON text stored in the snapshot key
 */
export function packSnapshot(fetchedAt: number, slots: readonly Slot[]): string {
  const packed: Packed[] = [];
  for (const slot of slots) if (isSlotOpen(slot)) packed.push([slot.warehouseId, slot.date, slot.boxTypeId, slot.coefficient]);
  return JSON.stringify({ fetchedAt, slots: packed });
}

/**
 * Parses a stored snapshot and indexes it by warehouse.
 * @returns the view, or null when the text is not a snapshot
 */
export function unpackSnapshot(text: string): SnapshotView | null {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof raw !== "object" || raw === null) return null;
  const { fetchedAt, slots } = raw as { fetchedAt?: unknown; slots?: unknown };
  if (typeof fetchedAt !== "number" || !Array.isArray(slots)) return null;
  const byWarehouse = new Map<number, Slot[]>();
  let size = 0;
  for (const item of slots as unknown[]) {
    if (!Array.isArray(item) || item.length !== 4) continue;
    const [warehouseId, date, boxTypeId, coefficient] = item as unknown[];
    if (typeof warehouseId !== "number" || typeof date !== "string" || typeof boxTypeId !== "number" || typeof coefficient !== "number") continue;
    if (!isBoxTypeId(boxTypeId)) continue;
    const slot: Slot = { warehouseId, warehouseName: "", date, boxTypeId, coefficient, allowUnload: true };
    const list = byWarehouse.get(warehouseId);
    if (list) list.push(slot);
    else byWarehouse.set(warehouseId, [slot]);
    size += 1;
  }
  return { version: String(fetchedAt), fetchedAt, byWarehouse, size };
}

/** A snapshot ready to store: its stored text and its parsed view (the same data). */
export interface PreparedSnapshot {
  readonly text: string;
  readonly view: SnapshotView;
}

/**
 * Packs slots read from WB and parses them back into the view every process will see.
 * @returns the text to store and its view
 */
export function prepareSnapshot(fetchedAt: number, slots: readonly Slot[]): PreparedSnapshot {
  const text = packSnapshot(fetchedAt, slots);
  const view = unpackSnapshot(text);
  if (!view) throw new Error("snapshot round trip failed");
  return { text, view };
}

interface LocalEntry {
  view: SnapshotView | null;
  checkedAt: number;
}

/**
 * Slot snapshots per (source, WB account) in Redis, with a per-process parsed
 * copy. A monitor job costs one tiny `GET …:snapver` at most every `recheckMs`
 * per account and process; the big JSON is parsed once per new version.
 */
export class SnapshotStore {
  private readonly local = new Map<string, LocalEntry>();
  private readonly reading = new Map<string, Promise<SnapshotView | null>>();
  private readonly recheckMs: number;

  constructor(private readonly deps: { redis: Redis; keys: WorkerKeys; now: () => number; recheckMs?: number }) {
    this.recheckMs = deps.recheckMs ?? 250;
  }

  /** @returns the freshest snapshot known for the account and source, or null */
  async read(source: SlotSource, account: string): Promise<SnapshotView | null> {
    const id = `${source}|${account}`;
    const entry = this.local.get(id);
    if (entry && this.deps.now() - entry.checkedAt < this.recheckMs) return entry.view;
    const pending = this.reading.get(id);
    if (pending) return await pending;
    const promise = this.load(id, source, account, entry).finally(() => this.reading.delete(id));
    this.reading.set(id, promise);
    return await promise;
  }

  private async load(id: string, source: SlotSource, account: string, entry: LocalEntry | undefined): Promise<SnapshotView | null> {
    const checkedAt = this.deps.now();
    const version = await this.deps.redis.get(this.deps.keys.snapshotVersion(source, account));
    if (entry && version !== null && entry.view?.version === version) {
      entry.checkedAt = checkedAt;
      return entry.view;
    }
    let view: SnapshotView | null = null;
    if (version !== null) {
      const text = await this.deps.redis.get(this.deps.keys.snapshot(source, account));
      view = text === null ? null : unpackSnapshot(text);
    }
    this.local.set(id, { view, checkedAt });
    return view;
  }

  /**
   * Stores a fresh snapshot (data first, then its version) and updates the local copy.
   * @param snapshot from {@link prepareSnapshot}
   */
  async write(source: SlotSource, account: string, snapshot: PreparedSnapshot): Promise<void> {
    await this.deps.redis
      .multi()
      .set(this.deps.keys.snapshot(source, account), snapshot.text, "PX", SNAPSHOT_TTL_MS)
      .set(this.deps.keys.snapshotVersion(source, account), snapshot.view.version, "PX", SNAPSHOT_TTL_MS)
      .exec();
    this.local.set(`${source}|${account}`, { view: snapshot.view, checkedAt: this.deps.now() });
  }

  /**
   * The single-flight gate: at most one WB read per (source, account) per
   * `periodMs`, across every worker process. It is taken for the longest a read
   * may last (`inFlightMs`), so a slow read never lets a second one start; when
   * the read ends, {@link SnapshotStore.settleGate} shortens it to the rest of
   * the period, counted from the read's start (as WB counts). It is never simply
   * released: its expiry is what paces the reads.
   * @returns true when this caller may read WB now
   */
  async tryGate(source: SlotSource, account: string, periodMs: number, inFlightMs = READ_IN_FLIGHT_MS): Promise<boolean> {
    const ok = await this.deps.redis.set(this.deps.keys.fetchGate(source, account), "1", "PX", Math.max(1, Math.round(Math.max(periodMs, inFlightMs))), "NX");
    return ok === "OK";
  }

  /**
   * After a successful read: keep the gate only for what is left of the period
   * that began when the read started.
   */
  async settleGate(source: SlotSource, account: string, periodMs: number, startedAt: number): Promise<void> {
    const left = Math.round(startedAt + periodMs - this.deps.now());
    if (left > 0) await this.deps.redis.set(this.deps.keys.fetchGate(source, account), "1", "PX", left);
    else await this.deps.redis.del(this.deps.keys.fetchGate(source, account));
  }

  /** Re-arms the gate for `ms` (e.g. WB's `X-Ratelimit-Retry`, or a short retry after a transient error). */
  async holdGate(source: SlotSource, account: string, ms: number): Promise<void> {
    await this.deps.redis.set(this.deps.keys.fetchGate(source, account), "1", "PX", Math.max(1, Math.round(ms)));
  }

  /** @returns how long the gate stays closed (ms; 0 when open) */
  async gateLeftMs(source: SlotSource, account: string): Promise<number> {
    return Math.max(0, await this.deps.redis.pttl(this.deps.keys.fetchGate(source, account)));
  }

  /** Opens the gate at once (the reading credential was rejected: let a sibling try). */
  async openGate(source: SlotSource, account: string): Promise<void> {
    await this.deps.redis.del(this.deps.keys.fetchGate(source, account));
  }
}
