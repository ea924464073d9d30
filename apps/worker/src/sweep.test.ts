import { afterEach, describe, expect, it } from "vitest";
import type { Slot } from "@wbslots/domain";
import { bookJobId } from "@wbslots/queues";
import { startHarness, type Harness } from "./harness";
import { slotKey } from "./keys";
import { packSnapshot, unpackSnapshot, type SnapshotView } from "./snapshots";
import { newlyOpened, sweepFreshSnapshot } from "./sweep";

const slot = (warehouseId: number, date: string, coefficient: number, boxTypeId: 2 | 5 | 6 = 2): Slot => ({ warehouseId, warehouseName: "", date, boxTypeId, coefficient, allowUnload: true });

function view(slots: readonly Slot[], fetchedAt = 1): SnapshotView {
  const parsed = unpackSnapshot(packSnapshot(fetchedAt, slots));
  if (!parsed) throw new Error("bad snapshot");
  return parsed;
}

const keysOf = (opened: Map<number, Slot[]>): string[] => [...opened.values()].flat().map((s) => `${slotKey(s)}@${s.coefficient}`).sort();

describe("newlyOpened", () => {
  const cases: { name: string; previous: Slot[] | null; next: Slot[]; expected: string[] }[] = [
    { name: "nothing before: every open slot", previous: null, next: [slot(1, "2030-01-02", 0), slot(2, "2030-01-02", 3)], expected: ["1:2030-01-02:2@0", "2:2030-01-02:2@3"] },
    { name: "unchanged: nothing", previous: [slot(1, "2030-01-02", 0)], next: [slot(1, "2030-01-02", 0)], expected: [] },
    { name: "a new date in a known warehouse", previous: [slot(1, "2030-01-02", 0)], next: [slot(1, "2030-01-02", 0), slot(1, "2030-01-03", 1)], expected: ["1:2030-01-03:2@1"] },
    { name: "the same cell for another box type", previous: [slot(1, "2030-01-02", 0, 2)], next: [slot(1, "2030-01-02", 0, 2), slot(1, "2030-01-02", 0, 5)], expected: ["1:2030-01-02:5@0"] },
    { name: "a coefficient fell: cheaper now", previous: [slot(1, "2030-01-02", 5)], next: [slot(1, "2030-01-02", 1)], expected: ["1:2030-01-02:2@1"] },
    { name: "a coefficient rose: nobody matches anew", previous: [slot(1, "2030-01-02", 1)], next: [slot(1, "2030-01-02", 5)], expected: [] },
    { name: "a slot closed: nothing", previous: [slot(1, "2030-01-02", 1)], next: [], expected: [] },
    { name: "closed cells (−1) are never open", previous: [], next: [slot(1, "2030-01-02", -1)], expected: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(keysOf(newlyOpened(c.previous ? view(c.previous) : null, view(c.next)))).toEqual(c.expected);
    });
  }
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});


describe("sweep of a fresh snapshot (match on the read)", () => {
  it("enqueues a book job at once for exactly the tasks a newly opened slot fits", async () => {
    h = await startHarness();
    const ctx = h.context();
    const seller = await h.newSeller();
    const otherSeller = await h.newSeller();
    const user = await h.newUser(2);
    const sessionOf = async (sellerId: string) => {
      const { id } = await h!.portalSession(user, sellerId);
      const row = (await h!.repos.apiKeys.list(user)).find((k) => k.id === id);
      if (!row?.supplierId) throw new Error("no portal session");
      return { id, supplierId: row.supplierId };
    };
    const mine = await sessionOf(seller);
    const other = await sessionOf(otherSeller);
    expect(other.supplierId).not.toBe(mine.supplierId);
    const date = h.day(3);

    const fits = await h.task(user, mine.id, { warehouseId: 507, maxCoefficient: 1, days: [1, 5] });
    const tooDear = await h.task(user, mine.id, { warehouseId: 507, maxCoefficient: 0, days: [1, 5] });
    const otherWarehouse = await h.task(user, mine.id, { warehouseId: 117501, maxCoefficient: 5, days: [1, 5] });
    const otherDates = await h.task(user, mine.id, { warehouseId: 507, maxCoefficient: 5, days: [6, 9] });
    const otherAccount = await h.task(user, other.id, { warehouseId: 507, maxCoefficient: 5, days: [1, 5] });
    const suppressed = await h.task(user, mine.id, { warehouseId: 507, maxCoefficient: 5, days: [1, 5] });
    const paused = await h.task(user, mine.id, { warehouseId: 507, maxCoefficient: 5, days: [1, 5] });
    await h.repos.tasks.setStatus(paused, "PAUSED", "user");
    const opened = slot(507, date, 1);
    await ctx.redis.set(ctx.keys.suppress(suppressed, slotKey(opened)), "1", "PX", 60_000);

    const before = view([slot(117501, date, 9)], 1);
    const after = view([slot(117501, date, 9), opened], 2);
    const result = await sweepFreshSnapshot(ctx, "portal", mine.supplierId, before, after);
    // Candidates: the watched tasks of this account on warehouse 507 (fits, tooDear, otherDates, suppressed).
    expect(result).toEqual({ warehouses: 1, candidates: 4, enqueued: 1 });

    const queued = async (taskId: number): Promise<boolean> => (await h!.queues.book.getJob(bookJobId(taskId))) !== undefined;
    expect(await queued(fits)).toBe(true);
    for (const id of [tooDear, otherWarehouse, otherDates, otherAccount, suppressed, paused]) expect(await queued(id), `task ${id}`).toBe(false);
    const job = await h.queues.book.getJob(bookJobId(fits));
    expect(job?.data).toMatchObject({ taskId: fits, slot: { warehouseId: 507, date, boxTypeId: 2, coefficient: 1, source: "portal" } });

    // The same snapshot again (or one where nothing new opened) sweeps nothing; so does a first read.
    await h.queues.book.drain(true);
    expect(await sweepFreshSnapshot(ctx, "portal", mine.supplierId, after, view([slot(117501, date, 9), opened], 3))).toEqual({ warehouses: 0, candidates: 0, enqueued: 0 });
    expect(await sweepFreshSnapshot(ctx, "portal", mine.supplierId, null, after)).toEqual({ warehouses: 0, candidates: 0, enqueued: 0 });
    expect(await queued(fits)).toBe(false);
    // The official source of the same account is a different stream: no portal task is swept by it.
    expect((await sweepFreshSnapshot(ctx, "official", mine.supplierId, before, after)).enqueued).toBe(0);
  });
});
