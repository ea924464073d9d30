import { afterEach, describe, expect, it } from "vitest";
import { startHarness, waitFor, type Harness } from "./harness";
import { ensurePrepared, portalCredentialFor, prepareJobId, prepareTask } from "./prepare";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});


async function count(harness: Harness, method: string): Promise<number> {
  return (await harness.requests(method)).length;
}

describe("prepare ahead", () => {
  it("concurrent prepare jobs make one draft and one preorder and store them on the task", async () => {
    h = await startHarness();
    const { taskId } = await h.sellerWithTask(2);
    const ctx = h.context();

    const outcomes = await Promise.all(Array.from({ length: 6 }, () => prepareTask(ctx, taskId)));
    expect(outcomes.filter((o) => o === "prepared")).toHaveLength(1);
    expect(outcomes.filter((o) => o !== "prepared").every((o) => o === "locked" || o === "already")).toBe(true);
    expect(await count(h, "draft/create")).toBe(1);
    expect(await count(h, "draft/UpdateDraftGoods")).toBe(1);
    expect(await count(h, "supply/create")).toBe(1);
    const task = await h.repos.tasks.get(taskId);
    expect(task?.preparedPreorderId).toMatch(/^\d+$/);
    expect(task?.preparedDraftId).toBeTruthy();
    expect(task?.preparedAt).toBeInstanceOf(Date);
    // Already prepared: nothing more at WB.
    expect(await prepareTask(ctx, taskId)).toBe("already");
    expect(await count(h, "supply/create")).toBe(1);
  });

  it("ensurePrepared from many monitors (processes) prepares once through the book queue, then costs nothing", async () => {
    h = await startHarness();
    const { taskId } = await h.sellerWithTask(2);
    const contexts = [h.context(), h.context(), h.context()];
    await h.app.start();

    const row = await h.repos.tasks.get(taskId);
    if (!row) throw new Error("no task");
    await Promise.all(contexts.flatMap((ctx) => Array.from({ length: 4 }, () => ensurePrepared(ctx, row))));
    const prepared = await waitFor("the prepared preorder", async () => (await h!.repos.tasks.get(taskId))?.preparedPreorderId);
    await waitFor("the prepare job to be gone", async () => !(await h!.queues.book.getJob(prepareJobId(taskId))));
    // A late duplicate job (another process enqueued after the first finished) finds it prepared.
    await ensurePrepared(h.context(), row);
    await waitFor("the late job to be gone", async () => !(await h!.queues.book.getJob(prepareJobId(taskId))));
    expect(await count(h, "draft/create")).toBe(1);
    expect(await count(h, "supply/create")).toBe(1);
    expect((await h.repos.tasks.get(taskId))?.preparedPreorderId).toBe(prepared);

    // With the task row the monitor holds (prepared), no job is enqueued at all.
    const fresh = await h.repos.tasks.get(taskId);
    if (!fresh) throw new Error("no task");
    await ensurePrepared(h.context(), fresh);
    expect(await h.queues.book.getJob(prepareJobId(taskId))).toBeUndefined();
  });

  it("nothing to prepare without goods or a portal session; failures back off instead of throwing", async () => {
    h = await startHarness();
    const sellerId = await h.newSeller();
    const userId = await h.newUser(2);
    const key = await h.officialKey(userId, sellerId);
    const ctx = h.context();

    const noGoods = await h.task(userId, key.id, { goods: false });
    const row = await h.repos.tasks.get(noGoods);
    if (!row) throw new Error("no task");
    await ensurePrepared(ctx, row);
    expect(await h.queues.book.getJob(prepareJobId(noGoods))).toBeUndefined();
    expect(await prepareTask(ctx, noGoods)).toBe("skipped");

    const noSession = await h.task(userId, key.id);
    expect(await prepareTask(ctx, noSession)).toBe("no_session");
    expect(await prepareTask(ctx, noSession)).toBe("backoff");
    expect(await count(h, "draft/create")).toBe(0);
    expect((await h.repos.tasks.get(noSession))?.preparedPreorderId).toBeNull();
  });

  it("WB write budget used up: the preparation steps aside (rate_limited, backed off), no preorder", async () => {
    h = await startHarness();
    const { taskId } = await h.sellerWithTask(2);
    const ctx = h.context();
    const task = await h.repos.tasks.get(taskId);
    if (!task) throw new Error("no task");
    const cred = await portalCredentialFor(ctx, task);
    if (!cred) throw new Error("no portal credential");
    // The draft/create bucket holds a burst of 5.
    for (let i = 0; i < 5; i += 1) await h.wb.portal.createDraft(cred.portal);

    expect(await prepareTask(ctx, taskId)).toBe("rate_limited");
    expect(await h.cache.exists(`${ctx.keys.root}prep:backoff:${taskId}`)).toBe(1);
    expect(await prepareTask(ctx, taskId)).toBe("backoff");
    expect(await count(h, "draft/create")).toBe(5);
    expect(await count(h, "supply/create")).toBe(0);
    expect((await h.repos.tasks.get(taskId))?.preparedPreorderId).toBeNull();
  });
});
