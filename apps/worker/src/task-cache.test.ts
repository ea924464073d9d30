import { describe, expect, it } from "vitest";
import type { TaskWithCredential } from "@wbslots/db";
import { TaskCache } from "./task-cache";

/** A task row as `TaskRepository.getMany` returns it (only what `toCachedTask` reads matters). */
function row(id: number, maxCoefficient = 1): TaskWithCredential {
  const date = new Date(Date.UTC(2030, 0, 2));
  return {
    id,
    userId: 1n,
    credentialId: null,
    warehouseId: 507,
    warehouseName: "Коледино",
    dateFrom: date,
    dateTo: date,
    boxTypeId: 2,
    maxCoefficient,
    goods: null,
    status: "ACTIVE",
    statusReason: null,
    isActive: true,
    lastCheckedAt: null,
    lastSnapshotAgeMs: null,
    refreshIntervalMs: null,
    preparedDraftId: null,
    preparedPreorderId: null,
    preparedAt: null,
    createdAt: date,
    updatedAt: date,
    credential: null,
  } as TaskWithCredential;
}

/** A loader over an in-memory table that counts its queries. */
function table(n: number) {
  const rows = new Map<number, TaskWithCredential>();
  for (let id = 1; id <= n; id += 1) rows.set(id, row(id));
  const queries: number[] = [];
  const load = async (ids: readonly number[]): Promise<TaskWithCredential[]> => {
    queries.push(ids.length);
    return ids.flatMap((id) => rows.get(id) ?? []);
  };
  return { rows, queries, load };
}

describe("TaskCache", () => {
  it("loads concurrent misses in one query and serves hits without one", async () => {
    const t = table(10);
    let now = 0;
    const cache = new TaskCache(t.load, () => now, 5000, 3, 0);
    const got = await Promise.all([1, 2, 3, 4].map((id) => cache.get(id)));
    expect(got.map((task) => task?.id)).toEqual([1, 2, 3, 4]);
    expect(t.queries).toEqual([4]);
    now = 4999;
    await cache.get(2);
    expect(t.queries).toEqual([4]);
    expect(await cache.get(99)).toBeNull();
    expect(t.queries).toEqual([4, 1]);
  });

  it("refreshes entries in use ahead of expiry, 1,000 rows a query, so hits never wait", async () => {
    const t = table(2500);
    let now = 0;
    const cache = new TaskCache(t.load, () => now, 5000, 3, 500);
    const ids = [...t.rows.keys()];
    await Promise.all(ids.map((id) => cache.get(id)));
    cache.close();
    expect(t.queries).toEqual([1000, 1000, 500]);
    t.rows.set(7, row(7, 9)); // the row changes in Postgres
    // Not due yet: nothing loaded.
    now = 3000;
    for (const id of ids) await cache.get(id);
    await cache.refreshAhead();
    expect(t.queries).toHaveLength(3);
    // Due (within two rounds of the TTL): everything in use is reloaded in three queries.
    now = 4100;
    await cache.refreshAhead();
    expect(t.queries.slice(3)).toEqual([1000, 1000, 500]);
    now = 8000; // past the first load's TTL, within the refresh's
    expect((await cache.get(7))?.maxCoefficient).toBe(9);
    expect(t.queries).toHaveLength(6);
  });

  it("drops entries nobody used for two TTLs and never overwrites an entry invalidated during a refresh", async () => {
    const t = table(3);
    let now = 0;
    const cache = new TaskCache(t.load, () => now, 5000, 3, 500);
    await Promise.all([1, 2, 3].map((id) => cache.get(id)));
    cache.close();
    now = 4500;
    await cache.get(1);
    await cache.get(2);
    now = 10_001; // task 3 unused since 0, tasks 1 and 2 used at 4500
    await cache.refreshAhead();
    expect(cache.size).toBe(2);
    expect(t.queries.at(-1)).toBe(2);

    // A refresh in flight while this process changes task 1 and reloads it.
    let releaseRefresh: () => void = () => undefined;
    const refreshGate = new Promise<void>((resolve) => (releaseRefresh = resolve));
    const staleRows = [row(1, 1)];
    const refreshing = new TaskCache(
      async (ids) => {
        if (ids.length === 1 && refreshingStarted) {
          await refreshGate;
          return staleRows;
        }
        return ids.flatMap((id) => t.rows.get(id) ?? []);
      },
      () => now,
      5000,
      3,
      500,
    );
    let refreshingStarted = false;
    now = 0;
    await refreshing.get(1);
    refreshing.close();
    now = 4500;
    refreshingStarted = true;
    const inFlight = refreshing.refreshAhead();
    refreshing.invalidate(1);
    t.rows.set(1, row(1, 7));
    refreshingStarted = false;
    expect((await refreshing.get(1))?.maxCoefficient).toBe(7);
    releaseRefresh();
    await inFlight;
    expect((await refreshing.get(1))?.maxCoefficient).toBe(7);
  });
});
