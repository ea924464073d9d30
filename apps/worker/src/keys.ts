import type { SlotSource } from "@wbslots/domain";

/**
 * The worker's own Redis key layout (besides BullMQ's queues). Every key starts
 * with `{prefix}:wk:` so tests with a unique prefix never collide.
 *
 * | key | value | ttl |
 * | --- | --- | --- |
 * | `snap:{source}:{account}` | JSON `{fetchedAt, credentialId, slots:[[wh,date,box,coef],…]}` (open slots only) | 2 h |
 * | `snapver:{source}:{account}` | the snapshot's `fetchedAt` (its version) | 2 h |
 * | `fetch:{source}:{account}` | single-flight fetch gate (SET NX PX = refresh period) | period |
 * | `rr:{source}:{account}` | round-robin counter over the credentials of one account | 1 d |
 * | `srcoff:{source}:{account}` | JSON `{since, credentialId}`: WB switched this source off for the account | none (cleared by the probe) |
 * | `srcoffu:{source}:{account}` | set of user ids told about it | none |
 * | `suppress:{taskId}:{wh}:{date}:{box}` | a slot not to book again for this task (captcha, taken) | minutes |
 * | `lock:reconcile` | one reconcile at a time across workers | 30 s |
 */
export interface WorkerKeys {
  /** Root of every key below (for SCAN). */
  readonly root: string;
  snapshot(source: SlotSource, account: string): string;
  snapshotVersion(source: SlotSource, account: string): string;
  fetchGate(source: SlotSource, account: string): string;
  roundRobin(source: SlotSource, account: string): string;
  sourceOff(source: SlotSource, account: string): string;
  sourceOffUsers(source: SlotSource, account: string): string;
  suppress(taskId: number, slotKey: string): string;
  reconcileLock(): string;
}

/**
 * Builds the key layout for one prefix (QUEUE_PREFIX in production, a unique one in tests).
 * @returns the key builders
 */
export function workerKeys(prefix: string): WorkerKeys {
  const root = `${prefix}:wk:`;
  return {
    root,
    snapshot: (source, account) => `${root}snap:${source}:${account}`,
    snapshotVersion: (source, account) => `${root}snapver:${source}:${account}`,
    fetchGate: (source, account) => `${root}fetch:${source}:${account}`,
    roundRobin: (source, account) => `${root}rr:${source}:${account}`,
    sourceOff: (source, account) => `${root}srcoff:${source}:${account}`,
    sourceOffUsers: (source, account) => `${root}srcoffu:${source}:${account}`,
    suppress: (taskId, slotKey) => `${root}suppress:${taskId}:${slotKey}`,
    reconcileLock: () => `${root}lock:reconcile`,
  };
}

/**
 * Parses a `srcoff:{source}:{account}` key back (the probe walks them with SCAN).
 * @returns source and account, or null for any other key
 */
export function parseSourceOffKey(root: string, key: string): { source: SlotSource; account: string } | null {
  if (!key.startsWith(`${root}srcoff:`)) return null;
  const rest = key.slice(`${root}srcoff:`.length);
  const colon = rest.indexOf(":");
  if (colon <= 0) return null;
  const source = rest.slice(0, colon);
  const account = rest.slice(colon + 1);
  if ((source !== "official" && source !== "portal") || account === "") return null;
  return { source, account };
}

/**
 * A slot's identity inside one task: warehouse, date and box type.
 * @returns `{wh}:{date}:{box}`
 */
export function slotKey(slot: { warehouseId: number; date: string; boxTypeId: number }): string {
  return `${slot.warehouseId}:${slot.date}:${slot.boxTypeId}`;
}
