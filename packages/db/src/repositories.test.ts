import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseMasterKey } from "@wbslots/crypto";
import { testDatabase } from "@wbslots/testkit/vitest";
import { CredentialLimitError, DuplicateCredentialError, NotFoundError, createDatabase, createRepositories, type Repositories } from "./index";

const masterKey = parseMasterKey(randomBytes(32).toString("base64"));
let repos: Repositories;
let drop: () => Promise<void>;
let nextUserId = 1000n;

async function newUser(trial = 2): Promise<bigint> {
  nextUserId += 1n;
  await repos.users.register({ id: nextUserId, username: `u${nextUserId}` }, trial);
  return nextUserId;
}

async function newTask(userId: bigint, overrides: Partial<{ dateFrom: string; dateTo: string; credentialId: string | null }> = {}) {
  return await repos.tasks.create({
    userId,
    credentialId: overrides.credentialId ?? null,
    warehouseId: 507,
    warehouseName: "Коледино",
    dateFrom: overrides.dateFrom ?? "2026-12-01",
    dateTo: overrides.dateTo ?? "2026-12-10",
    boxTypeId: 2,
    maxCoefficient: 1,
  });
}

beforeAll(async () => {
  const db = await testDatabase();
  drop = db.drop;
  repos = createRepositories({ databaseUrl: db.url, masterKey, poolSize: 20 });
});

afterAll(async () => {
  await repos.close();
  await drop();
});

describe("users", () => {
  it("registers once with the free catches and refreshes the profile later", async () => {
    const first = await repos.users.register({ id: 42n, username: "seller" }, 2);
    expect(first.created).toBe(true);
    expect(first.user.trialBookings).toBe(2);
    const again = await repos.users.register({ id: 42n, username: "renamed" }, 5);
    expect(again.created).toBe(false);
    expect(again.user.trialBookings).toBe(2);
    expect(again.user.username).toBe("renamed");
  });

  it("consumes free catches first, then paid ones, then refuses", async () => {
    const id = await newUser(1);
    await repos.users.refundCatch(id, "PAID");
    expect(await repos.users.consumeCatch(id)).toBe("TRIAL");
    expect(await repos.users.consumeCatch(id)).toBe("PAID");
    expect(await repos.users.consumeCatch(id)).toBeNull();
    expect(await repos.users.catches(id)).toEqual({ trial: 0, paid: 0 });
  });

  it("two concurrent consumers of the last free catch: exactly one succeeds", async () => {
    for (let round = 0; round < 10; round += 1) {
      const id = await newUser(1);
      const results = await Promise.all(Array.from({ length: 8 }, () => repos.users.consumeCatch(id)));
      expect(results.filter((r) => r !== null)).toEqual(["TRIAL"]);
      expect(await repos.users.catches(id)).toEqual({ trial: 0, paid: 0 });
    }
  });

  it("marks users inactive and active", async () => {
    const id = await newUser();
    await repos.users.setActive(id, false);
    expect((await repos.users.get(id))?.isActive).toBe(false);
  });
});

describe("api keys", () => {
  it("stores only ciphertext and a fingerprint; reveals the secret to workers", async () => {
    const userId = await newUser();
    const secret = `eyJhbGciOiJFUzI1NiJ9.${randomBytes(12).toString("hex")}.sig`;
    const view = await repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name: "Основной", secret, tokenType: "personal", sellerId: "s-1" });
    expect(view).not.toHaveProperty("encryptedKey");
    const raw = await repos.prisma.apiKey.findUniqueOrThrow({ where: { id: view.id } });
    expect(raw.encryptedKey).not.toContain(secret);
    expect(raw.fingerprint).not.toContain(secret);
    expect((await repos.apiKeys.reveal(view.id))?.secret).toBe(secret);
    expect(await repos.apiKeys.exists(userId, secret)).toBe(true);
  });

  it("refuses duplicates and more than five per user", async () => {
    const userId = await newUser();
    await repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name: "k0", secret: "secret-0" });
    await expect(repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name: "dup", secret: " secret-0 " })).rejects.toBeInstanceOf(DuplicateCredentialError);
    for (let i = 1; i < 5; i += 1) await repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name: `k${i}`, secret: `secret-${i}` });
    await expect(repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name: "k5", secret: "secret-5" })).rejects.toBeInstanceOf(CredentialLimitError);
    expect(await repos.apiKeys.list(userId)).toHaveLength(5);
  });

  it("concurrent adds cannot pass the limit", async () => {
    const userId = await newUser();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name: `k${i}`, secret: `concurrent-${i}` })),
    );
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    expect(await repos.apiKeys.list(userId)).toHaveLength(5);
  });

  it("owner checks on get, rename and delete", async () => {
    const owner = await newUser();
    const stranger = await newUser();
    const key = await repos.apiKeys.create({ userId: owner, kind: "OFFICIAL_TOKEN", name: "mine", secret: "owned-secret" });
    await expect(repos.apiKeys.getOwned(stranger, key.id)).rejects.toBeInstanceOf(NotFoundError);
    await expect(repos.apiKeys.rename(stranger, key.id, "hacked")).rejects.toBeInstanceOf(NotFoundError);
    await expect(repos.apiKeys.delete(stranger, key.id)).rejects.toBeInstanceOf(NotFoundError);
    await repos.apiKeys.rename(owner, key.id, "Новое имя 🚚");
    expect((await repos.apiKeys.getOwned(owner, key.id)).name).toBe("Новое имя 🚚");
    await repos.apiKeys.delete(owner, key.id);
    expect(await repos.apiKeys.list(owner)).toHaveLength(0);
  });

  it("finds valid siblings of the same seller for rotation", async () => {
    const userId = await newUser();
    const a = await repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name: "a", secret: "sib-a", sellerId: "seller-X" });
    const b = await repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name: "b", secret: "sib-b", sellerId: "seller-X" });
    await repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name: "c", secret: "sib-c", sellerId: "seller-Y" });
    await repos.apiKeys.markInvalid(a.id, "401");
    expect((await repos.apiKeys.validSiblings(a)).map((k) => k.id)).toEqual([b.id]);
    await repos.apiKeys.markInvalid(b.id, "401");
    expect(await repos.apiKeys.validSiblings(a)).toEqual([]);
  });
});

describe("tasks", () => {
  it("creates, lists, pauses, resumes and deletes with ownership", async () => {
    const owner = await newUser();
    const stranger = await newUser();
    const task = await newTask(owner);
    expect(task.status).toBe("ACTIVE");
    expect((await repos.tasks.list(owner)).map((t) => t.id)).toEqual([task.id]);
    await expect(repos.tasks.setStatusOwned(stranger, task.id, "PAUSED", ["ACTIVE"])).rejects.toBeInstanceOf(NotFoundError);
    const paused = await repos.tasks.setStatusOwned(owner, task.id, "PAUSED", ["ACTIVE", "NEEDS_ACTION"]);
    expect(paused.isActive).toBe(false);
    expect(await repos.tasks.watchingIds()).not.toContain(task.id);
    await repos.tasks.setStatusOwned(owner, task.id, "ACTIVE", ["PAUSED"]);
    expect(await repos.tasks.watchingIds()).toContain(task.id);
    const moved = await repos.tasks.updateDatesOwned(owner, task.id, "2026-12-05", "2026-12-06");
    expect(moved.dateFrom.toISOString().slice(0, 10)).toBe("2026-12-05");
    await expect(repos.tasks.deleteOwned(stranger, task.id)).rejects.toBeInstanceOf(NotFoundError);
    await repos.tasks.deleteOwned(owner, task.id);
    expect(await repos.tasks.get(task.id)).toBeNull();
  });

  it("expires tasks whose dates passed, once", async () => {
    const userId = await newUser();
    const old = await newTask(userId, { dateFrom: "2026-01-01", dateTo: "2026-01-05" });
    const current = await newTask(userId, { dateFrom: "2026-01-01", dateTo: "2026-02-05" });
    const expired = await repos.tasks.expireBefore("2026-01-06");
    expect(expired.map((t) => t.id)).toContain(old.id);
    expect(expired.map((t) => t.id)).not.toContain(current.id);
    expect(expired.find((t) => t.id === old.id)?.userId).toBe(userId);
    expect((await repos.tasks.expireBefore("2026-01-06")).map((t) => t.id)).not.toContain(old.id);
    expect((await repos.tasks.get(old.id))?.status).toBe("EXPIRED");
  });

  it("records many checks in one statement, never going backwards", async () => {
    const userId = await newUser();
    const a = await newTask(userId);
    const b = await newTask(userId);
    const t1 = new Date("2026-11-25T10:00:00Z");
    const t0 = new Date("2026-11-25T09:00:00Z");
    await repos.tasks.recordChecks([
      { id: a.id, checkedAt: t1, snapshotAgeMs: 1200, refreshIntervalMs: 10_000 },
      { id: b.id, checkedAt: t1, snapshotAgeMs: null, refreshIntervalMs: null },
    ]);
    await repos.tasks.recordChecks([{ id: a.id, checkedAt: t0, snapshotAgeMs: 1, refreshIntervalMs: 1 }]);
    const after = await repos.tasks.get(a.id);
    expect(after?.lastCheckedAt?.toISOString()).toBe(t1.toISOString());
    expect(after?.lastSnapshotAgeMs).toBe(1200);
    expect(after?.refreshIntervalMs).toBe(10_000);
    const other = await repos.tasks.get(b.id);
    expect(other?.lastCheckedAt?.toISOString()).toBe(t1.toISOString());
    expect(other?.lastSnapshotAgeMs).toBeNull();
    // Milliseconds survive, and a batch far beyond Postgres's 65,535 parameters is one statement.
    const t2 = new Date("2026-11-25T11:00:00.123Z");
    const many = Array.from({ length: 20_000 }, (_, i) => ({ id: 1_000_000 + i, checkedAt: t2, snapshotAgeMs: i, refreshIntervalMs: 1100 }));
    await repos.tasks.recordChecks([...many, { id: b.id, checkedAt: t2, snapshotAgeMs: 7, refreshIntervalMs: 1100 }]);
    const latest = await repos.tasks.get(b.id);
    expect(latest?.lastCheckedAt?.toISOString()).toBe(t2.toISOString());
    expect(latest?.lastSnapshotAgeMs).toBe(7);
    expect(latest?.refreshIntervalMs).toBe(1100);
  });

  it("getMany (straight to pg) returns exactly what Prisma's findMany + include returns", async () => {
    const userId = await newUser();
    const token = await repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name: "Токен", secret: "gm-1", tokenType: "service", sellerId: "seller-gm" });
    const session = await repos.apiKeys.create({ userId, kind: "PORTAL_SESSION", name: "Сессия", secret: "gm-2", supplierId: "supplier-gm" });
    const plain = await newTask(userId);
    const withToken = await newTask(userId, { credentialId: token.id, dateFrom: "2026-12-31", dateTo: "2027-01-02" });
    const withSession = await repos.tasks.create({ userId, credentialId: session.id, warehouseId: 117501, warehouseName: "Подольск «3»", dateFrom: "2026-12-01", dateTo: "2026-12-01", boxTypeId: 5, maxCoefficient: 20, goods: null });
    await repos.tasks.recordChecks([{ id: withToken.id, checkedAt: new Date("2026-11-25T10:00:00.123Z"), snapshotAgeMs: 900, refreshIntervalMs: 10_000 }]);
    await repos.tasks.setPrepared(withSession.id, { draftId: "d-gm", preorderId: "p-gm" });
    await repos.tasks.setStatus(plain.id, "NEEDS_ACTION", "captcha");
    await repos.apiKeys.markInvalid(token.id, "WB 401");
    const ids = [plain.id, withToken.id, withSession.id, 999_999_999];
    const viaPrisma = await repos.prisma.monitoringTask.findMany({
      where: { id: { in: ids } },
      include: { credential: { select: { id: true, userId: true, kind: true, name: true, isValid: true, tokenType: true, sellerId: true, supplierId: true } } },
    });
    const viaPg = await repos.tasks.getMany(ids);
    const byId = <T extends { id: number }>(rows: T[]): T[] => [...rows].sort((a, b) => a.id - b.id);
    expect(viaPg).toHaveLength(3);
    expect(byId(viaPg)).toEqual(byId(viaPrisma));
    expect(viaPg.find((t) => t.id === withToken.id)?.credential).toMatchObject({ isValid: false, sellerId: "seller-gm", tokenType: "service" });
    expect(await repos.tasks.getMany([])).toEqual([]);
  });

  it("Prisma runs on the pool the bulk statements use (one set of connections)", async () => {
    const db = await testDatabase();
    const { prisma, pool } = createDatabase({ databaseUrl: db.url, poolSize: 3 });
    try {
      expect(pool.totalCount).toBe(0);
      await prisma.user.count();
      expect(pool.totalCount).toBe(1);
    } finally {
      await prisma.$disconnect();
      await db.drop();
    }
    expect(pool.ended).toBe(true);
  });

  it("moves tasks to another credential and pauses all of a user", async () => {
    const userId = await newUser();
    const k1 = await repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name: "1", secret: "mv-1" });
    const k2 = await repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name: "2", secret: "mv-2" });
    const task = await newTask(userId, { credentialId: k1.id });
    expect(await repos.tasks.moveToCredential(k1.id, k2.id)).toBe(1);
    expect((await repos.tasks.watchingByCredential(k2.id)).map((t) => t.id)).toEqual([task.id]);
    expect(await repos.tasks.pauseAllOfUser(userId, "blocked")).toEqual([task.id]);
    expect((await repos.tasks.get(task.id))?.status).toBe("PAUSED");
  });

  it("stores a prepared draft and preorder once; clears them (optionally only a given preorder)", async () => {
    const userId = await newUser();
    const task = await newTask(userId);
    expect(task).toMatchObject({ preparedDraftId: null, preparedPreorderId: null, preparedAt: null });
    const stores = await Promise.all([
      repos.tasks.setPrepared(task.id, { draftId: "d1", preorderId: "p1" }),
      repos.tasks.setPrepared(task.id, { draftId: "d2", preorderId: "p2" }),
    ]);
    expect(stores.filter(Boolean)).toHaveLength(1);
    const stored = await repos.tasks.get(task.id);
    expect([stored?.preparedPreorderId, stored?.preparedDraftId]).toContainEqual(stores[0] ? "p1" : "p2");
    expect(stored?.preparedAt).toBeInstanceOf(Date);
    expect(await repos.tasks.setPrepared(task.id, { draftId: "d3", preorderId: "p3" })).toBe(false);
    expect(await repos.tasks.clearPrepared(task.id, "not-it")).toBe(false);
    expect(await repos.tasks.clearPrepared(task.id, stored?.preparedPreorderId ?? "")).toBe(true);
    expect(await repos.tasks.get(task.id)).toMatchObject({ preparedDraftId: null, preparedPreorderId: null, preparedAt: null });
    expect(await repos.tasks.clearPrepared(task.id)).toBe(false);
    expect(await repos.tasks.setPrepared(task.id, { draftId: null, preorderId: "p4" })).toBe(true);
    expect(await repos.tasks.clearPrepared(task.id)).toBe(true);
  });
});

describe("bookings", () => {
  const slot = { date: "2026-12-03", warehouseId: 507, coefficient: 0 };

  it("a second booking row for one task is impossible (unique constraint)", async () => {
    const userId = await newUser();
    const task = await newTask(userId);
    await repos.prisma.bookingResult.create({ data: { taskId: task.id, bookingDate: new Date("2026-12-03"), warehouseId: 507, coefficient: 0 } });
    await expect(
      repos.prisma.bookingResult.create({ data: { taskId: task.id, bookingDate: new Date("2026-12-04"), warehouseId: 507, coefficient: 0 } }),
    ).rejects.toMatchObject({ code: "P2002" });
  });

  it("concurrent reserves for one task charge once and share one row", async () => {
    const userId = await newUser(2);
    const task = await newTask(userId);
    const outcomes = await Promise.all(Array.from({ length: 6 }, () => repos.bookings.reserve(task.id, userId, slot)));
    expect(outcomes.filter((o) => o.kind === "reserved")).toHaveLength(1);
    expect(outcomes.filter((o) => o.kind === "resumed")).toHaveLength(5);
    expect(await repos.users.catches(userId)).toEqual({ trial: 1, paid: 0 });
  });

  it("fail refunds exactly once; a new reserve charges again; confirm is final", async () => {
    const userId = await newUser(1);
    const task = await newTask(userId);
    const first = await repos.bookings.reserve(task.id, userId, slot);
    if (first.kind !== "reserved") throw new Error(first.kind);
    expect(await repos.users.catches(userId)).toEqual({ trial: 0, paid: 0 });
    expect(await repos.bookings.reserve(task.id, userId, slot)).toMatchObject({ kind: "resumed" });
    const [f1, f2] = await Promise.all([repos.bookings.fail(first.booking.id, "boom"), repos.bookings.fail(first.booking.id, "boom")]);
    expect([f1, f2].filter(Boolean)).toHaveLength(1);
    expect(await repos.users.catches(userId)).toEqual({ trial: 1, paid: 0 });
    const second = await repos.bookings.reserve(task.id, userId, { ...slot, date: "2026-12-04" });
    if (second.kind !== "reserved") throw new Error(second.kind);
    await repos.bookings.advance(second.booking.id, "DRAFT_CREATED", { draftId: "d1" });
    await repos.bookings.advance(second.booking.id, "PREORDER_CREATED", { preorderId: "p1" });
    const confirmed = await repos.bookings.confirm(second.booking.id, "supply-1");
    expect(confirmed).toMatchObject({ status: "CONFIRMED", step: "PLANNED", wbBookingId: "supply-1", preorderId: "p1" });
    expect(await repos.bookings.fail(second.booking.id, "late")).toBe(false);
    expect(await repos.bookings.reserve(task.id, userId, slot)).toMatchObject({ kind: "already_confirmed" });
    expect(await repos.users.catches(userId)).toEqual({ trial: 0, paid: 0 });
    expect((await repos.bookings.listForUser(userId))[0]?.task.warehouseName).toBe("Коледино");
  });

  it("a reserve with a prepared preorder starts at PREORDER_CREATED; a resumed row keeps its own ids", async () => {
    const userId = await newUser(2);
    const task = await newTask(userId);
    const prepared = { draftId: "pd1", preorderId: "pp1" };
    const first = await repos.bookings.reserve(task.id, userId, slot, prepared);
    expect(first).toMatchObject({ kind: "reserved", booking: { status: "PENDING", step: "PREORDER_CREATED", draftId: "pd1", preorderId: "pp1" } });
    expect(await repos.bookings.reserve(task.id, userId, slot, { draftId: "other", preorderId: "other" })).toMatchObject({
      kind: "resumed",
      booking: { step: "PREORDER_CREATED", preorderId: "pp1" },
    });
    if (first.kind !== "reserved") throw new Error(first.kind);
    await repos.bookings.fail(first.booking.id, "slot_taken");
    // Re-reserving a FAILED row: with the prepared preorder again, then without any.
    expect(await repos.bookings.reserve(task.id, userId, slot, prepared)).toMatchObject({ kind: "reserved", booking: { step: "PREORDER_CREATED", preorderId: "pp1", error: null } });
    await repos.bookings.fail(first.booking.id, "slot_taken");
    expect(await repos.bookings.reserve(task.id, userId, slot, null)).toMatchObject({ kind: "reserved", booking: { step: "RESERVED", draftId: null, preorderId: null } });
    expect(await repos.users.catches(userId)).toEqual({ trial: 1, paid: 0 });
  });

  it("concurrent reserves of one user's tasks spend every catch once, free ones first; the row returned is the stored one", async () => {
    for (let round = 0; round < 5; round += 1) {
      const userId = await newUser(1);
      await repos.prisma.user.update({ where: { id: userId }, data: { paidBookings: 2 } });
      const tasks = await Promise.all(Array.from({ length: 6 }, () => newTask(userId)));
      const outcomes = await Promise.all(tasks.map((t) => repos.bookings.reserve(t.id, userId, slot)));
      const reserved = outcomes.flatMap((o) => (o.kind === "reserved" ? [o.booking] : []));
      expect(reserved.map((b) => b.chargedFrom).sort()).toEqual(["PAID", "PAID", "TRIAL"]);
      expect(outcomes.filter((o) => o.kind === "no_catches")).toHaveLength(3);
      expect(await repos.users.catches(userId)).toEqual({ trial: 0, paid: 0 });
      for (const booking of reserved) expect(await repos.bookings.byTask(booking.taskId)).toEqual(booking);
      expect(await repos.prisma.bookingResult.count({ where: { taskId: { in: tasks.map((t) => t.id) } } })).toBe(3);
    }
  });

  it("no catches left → no row, no charge", async () => {
    const userId = await newUser(0);
    const task = await newTask(userId);
    expect(await repos.bookings.reserve(task.id, userId, slot)).toEqual({ kind: "no_catches" });
    expect(await repos.bookings.byTask(task.id)).toBeNull();
  });
});

describe("redistributions, payments, operations, conversations", () => {
  it("redistribution transitions are guarded", async () => {
    const userId = await newUser();
    const other = await newUser();
    const request = await repos.redistributions.create({ userId, credentialId: null, nmId: 123456789n, chrtId: 1n, srcOfficeId: 507, dstOfficeId: 117501, quantity: 3 });
    expect(await repos.redistributions.waitingIds()).toContain(request.id);
    await expect(repos.redistributions.getOwned(other, request.id)).rejects.toBeInstanceOf(NotFoundError);
    expect(await repos.redistributions.transition(request.id, ["WAITING"], "SUBMITTED")).toBe(true);
    expect(await repos.redistributions.transition(request.id, ["WAITING"], "SUBMITTED")).toBe(false);
    await expect(repos.redistributions.cancelOwned(userId, request.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it("a repeated successful_payment credits once", async () => {
    const userId = await newUser(0);
    const payment = { userId, telegramChargeId: "tg-charge-1", currency: "XTR", amount: 250, bookingsGranted: 10, payload: "plan:10" };
    const results = await Promise.all([repos.payments.record(payment), repos.payments.record(payment), repos.payments.record(payment)]);
    expect(results.filter((r) => r.credited)).toHaveLength(1);
    expect(await repos.users.catches(userId)).toEqual({ trial: 0, paid: 10 });
    expect(await repos.payments.list(userId)).toHaveLength(1);
  });

  it("operations log and conversation state", async () => {
    const userId = await newUser();
    await repos.operations.log(userId, "task.created", { taskId: 1 });
    expect((await repos.operations.list(userId))[0]).toMatchObject({ type: "task.created", payload: { taskId: 1 } });
    await repos.conversations.set(userId, "monitor.calendar", { year: 2026, month: 12 });
    expect(await repos.conversations.get(userId)).toEqual({ scene: "monitor.calendar", data: { year: 2026, month: 12 } });
    await repos.conversations.clear(userId);
    expect(await repos.conversations.get(userId)).toBeNull();
  });

  it("deleting a user cascades to keys and tasks", async () => {
    const userId = await newUser();
    await repos.apiKeys.create({ userId, kind: "OFFICIAL_TOKEN", name: "x", secret: "cascade" });
    await newTask(userId);
    await repos.prisma.user.delete({ where: { id: userId } });
    expect(await repos.prisma.apiKey.count({ where: { userId } })).toBe(0);
    expect(await repos.prisma.monitoringTask.count({ where: { userId } })).toBe(0);
  });
});
