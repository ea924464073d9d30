import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testRedis } from "@wbslots/testkit/vitest";
import { startSandbox, windowDates, type RunningSandbox } from "@wbslots/wb-sandbox";
import {
  WbBadResponse,
  WbCaptchaRequired,
  WbCircuitOpen,
  WbMethodDisabled,
  WbRateLimited,
  WbServerError,
  WbSlotTaken,
  WbTimeout,
  WbUnauthorized,
  officialToSlots,
  portalToSlots,
  type WbRequestEvent,
} from "./index";
import { admin, adminGet, newSeller, sandboxClients } from "./testing.test-helpers";

let sb: RunningSandbox;
let gw: ReturnType<typeof sandboxClients>;
const events: WbRequestEvent[] = [];

beforeAll(async () => {
  sb = await startSandbox({ port: 0 });
  gw = sandboxClients(sb, testRedis(), { metrics: { onRequest: (e) => events.push(e) }, breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 } });
});
afterAll(async () => {
  await gw.close();
  await sb.close();
});

const requestsFor = async (sellerId: string, method: string) =>
  (await adminGet<Array<{ method: string; sellerId: string | null; status: number }>>(sb, "requests")).filter((r) => r.sellerId === sellerId && r.method === method);

describe("official client", () => {
  it("ping, sellerInfo, warehouses, coefficients, options, supplies", async () => {
    const s = await newSeller(sb);
    const { official } = gw.clients;
    expect((await official.ping(s.official)).Status).toBe("OK");
    expect((await official.sellerInfo(s.official)).sid).toBe(s.sellerId);
    const warehouses = await official.getWarehouses(s.official);
    expect(warehouses.find((w) => w.ID === 507)?.name).toBe("Коледино");
    const date = windowDates(Date.now())[1]!;
    await admin(sb, "slots", { warehouseId: 507, date, boxTypeId: 5, coefficient: 2, allowUnload: true });
    const rows = await official.getAcceptanceCoefficients(s.official, [507]);
    expect(rows).toHaveLength(42);
    const open = officialToSlots(rows).filter((x) => x.allowUnload && x.coefficient >= 0);
    expect(open).toEqual([{ warehouseId: 507, warehouseName: "Коледино", date, boxTypeId: 5, coefficient: 2, allowUnload: true }]);
    const options = await official.getAcceptanceOptions(s.official, [{ barcode: "2000000000011", quantity: 3 }], 507);
    expect(options.result[0]!.warehouses?.[0]?.warehouseID).toBe(507);
    expect(await official.listSupplies(s.official)).toEqual([]);
    expect(events.some((e) => e.method === "coefficients" && e.status === 200 && e.credentialId === s.official.credentialId)).toBe(true);
  });

  it("revoked token → WbUnauthorized (no token in the message)", async () => {
    const s = await newSeller(sb);
    await admin(sb, "tokens/revoke", { token: s.official.token });
    const error = await gw.clients.official.sellerInfo(s.official).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WbUnauthorized);
    expect(String((error as Error).message)).not.toContain(s.official.token);
  });

  it("disabled coefficients → WbMethodDisabled, not retried", async () => {
    const s = await newSeller(sb);
    await admin(sb, "faults", { method: "coefficients", kind: "disabled" });
    try {
      await expect(gw.clients.official.getAcceptanceCoefficients(s.official, [507])).rejects.toBeInstanceOf(WbMethodDisabled);
      expect(await requestsFor(s.sellerId, "coefficients")).toHaveLength(0); // 404 before auth: sellerId unknown
    } finally {
      await fetch(`${sb.url}/__sandbox/faults`, { method: "DELETE" });
    }
  });

  it("garbage → WbBadResponse with the failing path", async () => {
    const s = await newSeller(sb);
    await admin(sb, "faults", { method: "coefficients", kind: "garbage" });
    try {
      const error = await gw.clients.official.getAcceptanceCoefficients(s.official, [507]).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WbBadResponse);
      expect((error as WbBadResponse).path).toBe("0.date");
    } finally {
      await fetch(`${sb.url}/__sandbox/faults`, { method: "DELETE" });
    }
  });

  it("429 from WB → WbRateLimited(wb) with retryAfterMs from the header; then no request before it elapses", async () => {
    const s = await newSeller(sb);
    for (let i = 0; i < 3; i++) await fetch(`${sb.url}/ping`, { headers: { Authorization: s.official.token } }); // someone else drains the bucket
    const error = await gw.clients.official.ping(s.official).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WbRateLimited);
    expect((error as WbRateLimited).source).toBe("wb");
    expect((error as WbRateLimited).retryAfterMs).toBe(10_000);
    const second = await gw.clients.official.ping(s.official).catch((e: unknown) => e);
    expect(second).toBeInstanceOf(WbRateLimited);
    expect((second as WbRateLimited).source).toBe("local");
    expect((second as WbRateLimited).retryAfterMs).toBeGreaterThan(9000);
    expect((await requestsFor(s.sellerId, "ping")).map((r) => r.status)).toEqual([200, 200, 200, 429]);
  });

  it("local budget: the 4th ping within 30 s is refused locally, nothing sent", async () => {
    const s = await newSeller(sb);
    for (let i = 0; i < 3; i++) await gw.clients.official.ping(s.official);
    const error = await gw.clients.official.ping(s.official).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WbRateLimited);
    expect((error as WbRateLimited).source).toBe("local");
    expect(await requestsFor(s.sellerId, "ping")).toHaveLength(3);
  });

  it("5xx → retried, then WbServerError; the breaker opens and fails fast with WbCircuitOpen", async () => {
    const s = await newSeller(sb);
    await admin(sb, "faults", { method: "supplies", kind: "error5xx", value: 503 });
    try {
      await expect(gw.clients.official.listSupplies(s.official)).rejects.toBeInstanceOf(WbServerError);
      expect(await requestsFor(s.sellerId, "supplies")).toHaveLength(3);
      await expect(gw.clients.official.listSupplies(s.official)).rejects.toBeInstanceOf(WbCircuitOpen);
      expect(await requestsFor(s.sellerId, "supplies")).toHaveLength(3);
    } finally {
      await fetch(`${sb.url}/__sandbox/faults`, { method: "DELETE" });
    }
  });

  it("timeout → WbTimeout", async () => {
    const s = await newSeller(sb);
    await admin(sb, "faults", { method: "seller-info", kind: "timeout", value: 2000 });
    try {
      await expect(gw.clients.official.sellerInfo(s.official, { timeoutMs: 150 })).rejects.toBeInstanceOf(WbTimeout);
    } finally {
      await fetch(`${sb.url}/__sandbox/faults`, { method: "DELETE" });
    }
  });
});

describe("portal client", () => {
  it("report, warehouses, booking flow, idempotent plan/add, race loser gets WbSlotTaken", async () => {
    const a = await newSeller(sb);
    const b = await newSeller(sb);
    const { portal } = gw.clients;
    const date = windowDates(Date.now())[4]!;
    await admin(sb, "slots", { warehouseId: 117501, date, boxTypeId: 2, coefficient: 0, allowUnload: true });
    const report = await portal.acceptanceCoefficientsReport(a.portal, { dateFrom: `${date}T00:00:00Z`, dateTo: `${date}T00:00:00Z` });
    const open = portalToSlots(report.report).filter((x) => x.allowUnload);
    expect(open).toEqual([expect.objectContaining({ warehouseId: 117501, date, boxTypeId: 2, coefficient: 0 })]);
    expect((await portal.getWarehouses(a.portal)).length).toBeGreaterThan(100);
    const prepare = async (cred: typeof a.portal) => {
      const draftId = await portal.createDraft(cred);
      await portal.updateDraftGoods(cred, draftId, [{ barcode: "2000000000011", quantity: 5 }]);
      return portal.createSupply(cred, { draftId, warehouseId: 117501, boxTypeId: 2 });
    };
    const [pa, pb] = await Promise.all([prepare(a.portal), prepare(b.portal)]);
    const results = await Promise.allSettled([
      portal.planAdd(a.portal, { preorderId: pa, deliveryDate: date, warehouseId: 117501 }),
      portal.planAdd(b.portal, { preorderId: pb, deliveryDate: date, warehouseId: 117501 }),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]!.reason).toBeInstanceOf(WbSlotTaken);
    const winner = results[0]!.status === "fulfilled" ? { cred: a.portal, pre: pa } : { cred: b.portal, pre: pb };
    const again = await portal.planAdd(winner.cred, { preorderId: winner.pre, deliveryDate: date, warehouseId: 117501 });
    expect(again.supplyId).toBe((won[0] as PromiseFulfilledResult<{ supplyId: number }>).value.supplyId);
    const bookings = await adminGet<Array<{ preorderId: number }>>(sb, "bookings");
    expect(bookings.filter((x) => x.preorderId === pa || x.preorderId === pb)).toHaveLength(1);
    // the official side sees the supply
    const winnerOfficial = winner.cred === a.portal ? a.official : b.official;
    const supplies = await gw.clients.official.listSupplies(winnerOfficial);
    expect(supplies[0]).toMatchObject({ preorderID: winner.pre, statusID: 2 });
    const details = await gw.clients.official.getSupply(winnerOfficial, winner.pre, true);
    expect(details).toMatchObject({ warehouseID: 117501, quantity: 5 });
    expect(await gw.clients.official.getSupplyGoods(winnerOfficial, winner.pre, true)).toHaveLength(1);
    expect(await gw.clients.official.getSupplyPackage(winnerOfficial, winner.pre, true)).toEqual([]);
  });

  it("captcha → WbCaptchaRequired; bad session → WbUnauthorized; refreshSession gives a working session", async () => {
    const s = await newSeller(sb);
    await admin(sb, "faults", { method: "plan/add", kind: "captcha" });
    try {
      await expect(gw.clients.portal.planAdd(s.portal, { preorderId: 1, deliveryDate: windowDates(Date.now())[1]!, warehouseId: 507 })).rejects.toBeInstanceOf(WbCaptchaRequired);
    } finally {
      await fetch(`${sb.url}/__sandbox/faults`, { method: "DELETE" });
    }
    await expect(gw.clients.portal.createDraft({ ...s.portal, authorizev3: "a.b.c" })).rejects.toBeInstanceOf(WbUnauthorized);
    const refreshed = await gw.clients.portal.refreshSession(s.portal);
    expect(refreshed.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(typeof (await gw.clients.portal.createDraft({ ...s.portal, authorizev3: refreshed.authorizev3 }))).toBe("string");
  });

  it("redistribution: limits, list, order consumes quotas; insufficient quota is a WbBadRequest", async () => {
    const s = await newSeller(sb);
    await admin(sb, "quotas", { sellerId: s.sellerId, officeId: 507, srcQuota: 5, dstQuota: 0 });
    await admin(sb, "quotas", { sellerId: s.sellerId, officeId: 206348, srcQuota: 0, dstQuota: 5 });
    await admin(sb, "stock", { sellerId: s.sellerId, nmId: 42, chrtId: 4242, warehouseId: 507, count: 9 });
    const { portal } = gw.clients;
    expect(await portal.transferLimits(s.portal)).toHaveLength(2);
    const stock = await portal.transferList(s.portal, [42]);
    expect(stock[0]!.chrts[0]).toMatchObject({ count: 9, dstWarehouseIDs: [206348] });
    await portal.transferOrder(s.portal, [{ nmID: 42, srcOfficeID: 507, items: [{ dstOfficeID: 206348, chrtID: 4242, count: 3 }] }]);
    const after = await portal.transferLimits(s.portal);
    expect(after.find((q) => q.officeID === 507)?.srcQuota).toBe(2);
    const error = await portal.transferOrder(s.portal, [{ nmID: 42, srcOfficeID: 507, items: [{ dstOfficeID: 206348, chrtID: 4242, count: 3 }] }]).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "WbBadRequest", rpcCode: 422 });
  });

  it("portal garbage → WbBadResponse at result", async () => {
    const s = await newSeller(sb);
    await admin(sb, "faults", { method: "acceptanceCoefficientsReport", kind: "garbage" });
    try {
      const error = await gw.clients.portal.acceptanceCoefficientsReport(s.portal, { dateFrom: "2020-01-01", dateTo: "2030-01-01" }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(WbBadResponse);
      expect((error as WbBadResponse).path).toBe("result");
    } finally {
      await fetch(`${sb.url}/__sandbox/faults`, { method: "DELETE" });
    }
  });
});
