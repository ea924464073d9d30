import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMasterKey } from "@wbslots/crypto";
import { createRepositories, type CredentialView, type Repositories } from "@wbslots/db";
import { testDatabase } from "@wbslots/testkit/vitest";
import { credentialRefreshMs } from "./features/monitor/credentials";
import type { BotContext } from "./context";
import { tasksPrefetch } from "./features/tasks";
import { TASKS_PAGE_SIZE } from "./features/tasks/format";
import { loadSender, loadTaskPage } from "./hot-reads";

/** The raw hot-path reads return what the repository methods they replace return. */
describe("hot reads (raw SQL) = repository reads", () => {
  let repos: Repositories;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await testDatabase();
    drop = db.drop;
    repos = createRepositories({ databaseUrl: db.url, masterKey: parseMasterKey(randomBytes(32).toString("base64")) });
  });
  afterAll(async () => {
    await repos?.close();
    await drop?.();
  });

  const key = (userId: bigint, kind: "OFFICIAL_TOKEN" | "PORTAL_SESSION", tokenType: string | null): Promise<CredentialView> =>
    repos.apiKeys.create({ userId, kind, name: `k-${tokenType ?? kind}`, secret: `secret-${randomBytes(8).toString("hex")}`, tokenType, sellerId: "s1" });

  it("loadSender: unknown user, no conversation, a conversation with JSON data", async () => {
    const id = 7_100_000_001n;
    expect(await loadSender(repos.pool, id)).toBeNull();
    expect(await repos.users.getWithConversation(id)).toBeNull();
    await repos.users.register({ id, username: "u", firstName: "U" }, 2);
    expect(await loadSender(repos.pool, id)).toEqual(await repos.users.getWithConversation(id));
    expect(await loadSender(repos.pool, id)).toEqual({ conversation: null });
    const data = { taskId: 5, cal: { year: 2026, month: 12, start: "2026-12-01" }, list: [1, "два", null, true], big: 1.5, nested: { deep: { x: [] } } };
    await repos.conversations.set(id, "tasks.dates", data);
    const raw = await loadSender(repos.pool, id);
    expect(raw).toEqual(await repos.users.getWithConversation(id));
    expect(raw).toEqual({ conversation: { scene: "tasks.dates", data } });
  });

  it("loadTaskPage: the fields, order and paging of tasks.list, refresh facts of the user's own credential only", async () => {
    const id = 7_100_000_002n;
    const other = 7_100_000_003n;
    await repos.users.register({ id, username: null, firstName: "A" }, 2);
    await repos.users.register({ id: other, username: null, firstName: "B" }, 2);
    const base = await key(id, "OFFICIAL_TOKEN", "base");
    const personal = await key(id, "OFFICIAL_TOKEN", "personal");
    const portal = await key(id, "PORTAL_SESSION", null);
    const foreign = await key(other, "OFFICIAL_TOKEN", "base");
    const credentialIds = [base.id, personal.id, portal.id, null, foreign.id, base.id, personal.id];
    for (const [i, credentialId] of credentialIds.entries()) {
      const task = await repos.tasks.create({
        userId: id,
        credentialId,
        warehouseId: 500 + i,
        warehouseName: `Склад <${i}>`,
        dateFrom: "2026-12-01",
        dateTo: `2026-12-1${i}`,
        boxTypeId: i % 2 === 0 ? 2 : 5,
        maxCoefficient: i,
      });
      if (i === 1) await repos.tasks.setStatus(task.id, "PAUSED");
      if (i === 2) await repos.tasks.setStatus(task.id, "NEEDS_ACTION", "Нужна капча");
      if (i === 3) await repos.prisma.monitoringTask.update({ where: { id: task.id }, data: { lastCheckedAt: new Date(), lastSnapshotAgeMs: 1234, refreshIntervalMs: 10_000 } });
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    await repos.tasks.create({ userId: other, credentialId: foreign.id, warehouseId: 1, warehouseName: "Чужой", dateFrom: "2026-12-01", dateTo: "2026-12-02", boxTypeId: 2, maxCoefficient: 0 });
    const keys = new Map((await repos.apiKeys.list(id)).map((k) => [k.id, k]));
    for (const [take, skip] of [
      [6, 0],
      [6, 5],
      [3, 2],
      [6, 30],
    ] as const) {
      const expected = (await repos.tasks.list(id, { take, skip })).map((t) => {
        const k = t.credentialId ? keys.get(t.credentialId) : undefined;
        return {
          id: t.id,
          status: t.status,
          warehouseId: t.warehouseId,
          warehouseName: t.warehouseName,
          dateFrom: t.dateFrom,
          dateTo: t.dateTo,
          boxTypeId: t.boxTypeId,
          maxCoefficient: t.maxCoefficient,
          lastCheckedAt: t.lastCheckedAt,
          lastSnapshotAgeMs: t.lastSnapshotAgeMs,
          refreshIntervalMs: t.refreshIntervalMs,
          statusReason: t.statusReason,
          credentialRefreshMs: k ? credentialRefreshMs(k) : null,
        };
      });
      const raw = await loadTaskPage(repos.pool, id, take, skip);
      expect(raw).toEqual(expected);
      for (const row of raw) {
        expect(row.dateFrom).toBeInstanceOf(Date);
        expect(typeof row.id).toBe("number");
      }
    }
    // The page read together with the sender is the same page.
    await repos.conversations.set(id, "monitor.dates", { a: [1, { b: "в" }] });
    for (const [take, skip] of [
      [6, 0],
      [6, 5],
      [6, 30],
    ] as const) {
      const sender = await loadSender(repos.pool, id, { take, skip });
      expect(sender).toEqual({ ...(await repos.users.getWithConversation(id)), taskPage: await loadTaskPage(repos.pool, id, take, skip) });
    }
    expect((await loadSender(repos.pool, id, { take: 6, skip: 30 }))?.taskPage).toEqual([]);
    expect(await loadSender(repos.pool, 7_100_000_099n, { take: 6, skip: 0 })).toBeNull();
    const all = await loadTaskPage(repos.pool, id, 50, 0);
    expect(all).toHaveLength(credentialIds.length);
    // The other user's credential on this user's task gives no refresh facts (as apiKeys.list(userId) did).
    expect(all.find((t) => t.warehouseId === 504)?.credentialRefreshMs).toBeNull();
    expect(all.find((t) => t.warehouseId === 500)?.credentialRefreshMs).toBe(credentialRefreshMs(base));
    expect(all.find((t) => t.warehouseId === 502)?.credentialRefreshMs).toBe(credentialRefreshMs(portal));
  });
});

describe("tasksPrefetch", () => {
  const ctxOf = (update: { callbackQuery?: { data: string }; message?: { text: string } }): BotContext => update as unknown as BotContext;
  it("asks for the first page only for a «📋 Мои задачи» press or a /tasks command", () => {
    const first = { take: TASKS_PAGE_SIZE + 1, skip: 0 };
    expect(tasksPrefetch(ctxOf({ callbackQuery: { data: "menu:tasks" } }))).toEqual(first);
    expect(tasksPrefetch(ctxOf({ message: { text: "/tasks" } }))).toEqual(first);
    expect(tasksPrefetch(ctxOf({ message: { text: "/tasks@wb_slots_bot" } }))).toEqual(first);
    expect(tasksPrefetch(ctxOf({ callbackQuery: { data: "task:list:2" } }))).toBeNull();
    expect(tasksPrefetch(ctxOf({ callbackQuery: { data: "menu:main" } }))).toBeNull();
    expect(tasksPrefetch(ctxOf({ message: { text: "/taskson" } }))).toBeNull();
    expect(tasksPrefetch(ctxOf({ message: { text: "задачи" } }))).toBeNull();
  });
});
