import { afterEach, describe, expect, it } from "vitest";
import { startHarness, sleep, waitFor, type Harness } from "./harness";
import { workerKeys } from "./keys";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Makes the next monitor tick read WB again (drops the pacing gate and the snapshot version). */
async function forceRefresh(harness: Harness, sellerId: string): Promise<void> {
  const keys = workerKeys(harness.config.QUEUE_PREFIX);
  await harness.cache.del(keys.fetchGate("official", sellerId), keys.snapshotVersion("official", sellerId));
}

describe("key rotation", () => {
  it("a revoked token with a valid sibling: tasks move to the sibling, one invalid_key message", async () => {
    h = await startHarness();
    const sellerId = await h.newSeller();
    const userId = await h.newUser(2);
    const revoked = await h.officialKey(userId, sellerId, "Старый");
    const sibling = await h.officialKey(userId, sellerId, "Новый");
    const tasks = [await h.task(userId, revoked.id, { maxCoefficient: 0 }), await h.task(userId, revoked.id, { maxCoefficient: 0 })];
    await h.admin("tokens/revoke", { token: revoked.token });
    await h.app.start();
    // Reads rotate over both keys; force reads until the revoked one has been used.
    await waitFor(
      "the revoked key to be noticed",
      async () => {
        if ((await h!.repos.apiKeys.get(revoked.id))?.isValid === false) return true;
        await forceRefresh(h!, sellerId);
        await sleep(300);
        return false;
      },
      15_000,
    );
    for (const id of tasks) {
      const task = await waitFor("moved", async () => {
        const row = await h!.repos.tasks.get(id);
        return row?.credentialId === sibling.id ? row : null;
      });
      expect(task.status).toBe("ACTIVE");
    }
    const [message] = await waitFor("invalid_key", async () => {
      const list = await h!.notifications(userId, "invalid_key");
      return list.length > 0 ? list : null;
    });
    expect(message?.text).toContain("Старый");
    expect(message?.text).toContain("Новый");
    await forceRefresh(h, sellerId);
    await sleep(1500);
    expect(await h.notifications(userId, "invalid_key")).toHaveLength(1);
    expect((await h.repos.apiKeys.get(sibling.id))?.isValid).toBe(true);
  });

  it("a revoked token without a sibling: its tasks need action (no_valid_key) and the message points to /keys", async () => {
    h = await startHarness();
    const sellerId = await h.newSeller();
    const userId = await h.newUser(2);
    const only = await h.officialKey(userId, sellerId);
    const taskId = await h.task(userId, only.id, { maxCoefficient: 0 });
    await h.admin("tokens/revoke", { token: only.token });
    await h.app.start();
    const task = await waitFor("NEEDS_ACTION", async () => {
      const row = await h!.repos.tasks.get(taskId);
      return row?.status === "NEEDS_ACTION" ? row : null;
    });
    expect(task.statusReason).toBe("no_valid_key");
    expect(task.credentialId).toBe(only.id);
    const [message] = await waitFor("invalid_key", async () => {
      const list = await h!.notifications(userId, "invalid_key");
      return list.length > 0 ? list : null;
    });
    expect(message?.text).toContain("/keys");
    expect(await h.repos.operations.count("credential.invalid")).toBe(1);
  });
});
