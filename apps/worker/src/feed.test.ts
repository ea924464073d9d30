import { afterEach, describe, expect, it } from "vitest";
import { PORTAL_REPORT_REFRESH_MS } from "@wbslots/wb";
import { SlotFeed } from "./feed";
import { sleep, startHarness, type Harness } from "./harness";
import { SnapshotStore } from "./snapshots";
import { SourceFlags } from "./sources";

let h: Harness | undefined;
let feed: SlotFeed | undefined;
afterEach(async () => {
  feed?.close();
  feed = undefined;
  await h?.close();
  h = undefined;
});

describe("slot feed pacing", () => {
  it("after one ask, reads the account once per period on its own, then stops when nobody asks", async () => {
    h = await startHarness();
    const ctx = h.context();
    const sellerId = await h.newSeller();
    const userId = await h.newUser();
    const { id } = await h.portalSession(userId, sellerId);
    const [task] = await h.repos.tasks.getMany([await h.task(userId, id)]);
    const seed = task?.credential;
    if (!seed?.supplierId) throw new Error("no portal credential");
    feed = new SlotFeed(ctx, new SnapshotStore({ redis: ctx.redis, keys: ctx.keys, now: ctx.now }), new SourceFlags(ctx), async () => undefined);

    // One monitor tick asks (and reads); no tick asks again.
    expect(await feed.current("portal", seed.supplierId, PORTAL_REPORT_REFRESH_MS, seed)).not.toBeNull();
    await sleep(4_000);
    const paced = (await h.requests("acceptanceCoefficientsReport")).filter((r) => r.status === 200);
    // Read at 0, then at ~1.1, 2.2 and 3.3 s by the pacer alone.
    expect(paced.length).toBeGreaterThanOrEqual(3);
    expect(paced.length).toBeLessThanOrEqual(5);
    // The sandbox logs a request when its answer is sent, so each time carries that read's
    // build time: the first (cold) read is left out, the rest get 150 ms of room.
    const warm = paced.slice(1);
    const gaps = warm.slice(1).map((r, i) => Date.parse(r.at) - Date.parse(warm[i]!.at));
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(PORTAL_REPORT_REFRESH_MS - 150);

    // Nobody asked for 5 s: the pacer stops, WB is not read any more.
    await sleep(3_000);
    const settled = (await h.requests("acceptanceCoefficientsReport")).length;
    await sleep(2_500);
    expect((await h.requests("acceptanceCoefficientsReport")).length).toBe(settled);
    expect(await h.requests()).not.toContainEqual(expect.objectContaining({ status: 429 }));
  }, 30_000);
});
