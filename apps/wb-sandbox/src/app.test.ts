import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DISABLED_TEXT, PORTAL_PATHS, startSandbox, windowDates, type RunningSandbox } from "./index";

let sb: RunningSandbox;
const portalPath = (method: string): string => Object.entries(PORTAL_PATHS).find(([, m]) => m === method)![0];

async function call(method: string, path: string, init: { body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const res = await fetch(`${sb.url}${path}`, {
    method,
    headers: { ...(init.body === undefined ? {} : { "content-type": "application/json" }), ...init.headers },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* text body */
  }
  return { status: res.status, headers: res.headers, body, text };
}

const admin = async <T>(path: string, body?: unknown): Promise<T> => (await call("POST", `/__sandbox/${path}`, { body: body ?? {} })).body as T;

async function seller(type: "personal" | "service" | "base" = "personal"): Promise<{ sellerId: string; token: string }> {
  const { sellerId } = await admin<{ sellerId: string }>("sellers", { name: "ИП Тест" });
  const { token } = await admin<{ token: string }>("tokens", { sellerId, type });
  return { sellerId, token };
}

function rpc(method: string, session: { authorizev3: string; supplierId: string }, params: unknown, headers: Record<string, string> = {}) {
  return call("POST", portalPath(method), {
    body: { params, jsonrpc: "2.0", id: "json-rpc_1" },
    headers: { authorizev3: session.authorizev3, cookie: `x-supplier-id=${session.supplierId}`, ...headers },
  });
}

beforeAll(async () => {
  sb = await startSandbox({ port: 0 });
});
afterAll(async () => {
  await sb.close();
});
beforeEach(async () => {
  await call("POST", "/__sandbox/reset");
});

describe("admin API (CONTRACT.md)", () => {
  it("creates sellers, JWT-shaped tokens with acc/sid/s/exp, sessions", async () => {
    const { sellerId, token } = await seller("service");
    expect(sellerId).toMatch(/^[0-9a-f-]{36}$/);
    const parts = token.split(".");
    expect(parts).toHaveLength(3);
    const payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString()) as Record<string, unknown>;
    expect(payload).toMatchObject({ acc: 4, sid: sellerId, t: false });
    expect(Math.floor((payload.s as number) / 2 ** 10) % 2).toBe(1);
    expect(payload.exp as number).toBeGreaterThan(Date.now() / 1000 + 179 * 86400);
    const session = await admin<{ authorizev3: string; supplierId: string }>("sessions", { sellerId });
    expect(session.supplierId).toBe(sellerId);
    expect(session.authorizev3.split(".")).toHaveLength(3);
  });

  it("sets slots, records the opening time, logs requests and resets", async () => {
    const since = new Date().toISOString();
    const { token } = await seller();
    const date = windowDates(Date.now())[3]!;
    const set = await admin<{ openedAt: string | null }>("slots", { warehouseId: 507, date, boxTypeId: 2, coefficient: 1, allowUnload: true });
    expect(set.openedAt).not.toBeNull();
    const res = await call("GET", "/api/tariffs/v1/acceptance/coefficients?warehouseIDs=507,117501", { headers: { Authorization: token } });
    expect(res.status).toBe(200);
    const rows = res.body as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(14 * 2 * 3);
    const open = rows.filter((r) => r.allowUnload === true);
    expect(open).toEqual([expect.objectContaining({ warehouseID: 507, boxTypeID: 2, coefficient: 1, date: `${date}T00:00:00Z`, isSortingCenter: false })]);
    expect(typeof open[0]!.storageCoef).toBe("string");
    const log = (await call("GET", `/__sandbox/requests?since=${since}`)).body as Array<Record<string, unknown>>;
    expect(log.find((r) => r.method === "coefficients")).toMatchObject({ path: "/api/tariffs/v1/acceptance/coefficients", status: 200 });
    await call("POST", "/__sandbox/reset");
    expect(((await call("GET", "/__sandbox/requests")).body as unknown[]).length).toBeLessThanOrEqual(1);
    const after = await call("GET", "/api/tariffs/v1/acceptance/coefficients", { headers: { Authorization: token } });
    expect(after.status).toBe(401);
  });
});

describe("auth", () => {
  it("answers WB's 401 problem+json for unknown, Bearer, revoked and expired tokens", async () => {
    const { sellerId, token } = await seller();
    const bad = await call("GET", "/ping", { headers: { Authorization: "garbage" } });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("content-type")).toContain("application/problem+json");
    expect(bad.body).toMatchObject({ title: "unauthorized", status: 401, statusText: "Unauthorized" });
    expect(Object.keys(bad.body as object).sort()).toEqual(["code", "detail", "origin", "requestId", "status", "statusText", "timestamp", "title"]);
    expect((await call("GET", "/ping", { headers: { Authorization: `Bearer ${token}` } })).status).toBe(401);
    expect((await call("GET", "/ping", { headers: { Authorization: token } })).body).toMatchObject({ Status: "OK" });
    await admin("tokens/revoke", { token });
    expect((await call("GET", "/ping", { headers: { Authorization: token } })).status).toBe(401);
    const { token: expired } = await admin<{ token: string }>("tokens", { sellerId, type: "personal", expiresInDays: -1 });
    const res = await call("GET", "/ping", { headers: { Authorization: expired } });
    expect(res.status).toBe(401);
    expect((res.body as { detail: string }).detail).toContain("expired");
  });

  it("portal needs authorizev3 + x-supplier-id cookie of the same seller", async () => {
    const a = await seller();
    const b = await seller();
    const session = await admin<{ authorizev3: string; supplierId: string }>("sessions", { sellerId: a.sellerId });
    expect((await rpc("draft/create", session, {})).status).toBe(200);
    expect((await rpc("draft/create", { ...session, supplierId: b.sellerId }, {})).status).toBe(401);
    expect((await rpc("draft/create", { ...session, authorizev3: "x.y.z" }, {})).status).toBe(401);
    const refreshed = await rpc("auth/token", session, {});
    const token = (refreshed.body as { result: { data: { token: string } } }).result.data.token;
    expect((await rpc("draft/create", { ...session, authorizev3: token }, {})).status).toBe(200);
  });
});

describe("rate limits", () => {
  it("token bucket with WB's headers: ping 3 per 30 s, shared by all tokens of a seller", async () => {
    const { sellerId, token } = await seller();
    const { token: second } = await admin<{ token: string }>("tokens", { sellerId, type: "personal" });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await call("GET", "/ping", { headers: { Authorization: i === 1 ? second : token } });
      expect(res.status).toBe(200);
      remaining.push(res.headers.get("x-ratelimit-remaining") ?? "");
    }
    expect(remaining).toEqual(["2", "1", "0"]);
    const limited = await call("GET", "/ping", { headers: { Authorization: second } });
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ title: "too many requests", status: 429 });
    expect(Number(limited.headers.get("x-ratelimit-retry"))).toBeGreaterThanOrEqual(9);
    expect(Number(limited.headers.get("x-ratelimit-retry"))).toBeLessThanOrEqual(10);
    expect(Number(limited.headers.get("x-ratelimit-reset"))).toBeGreaterThanOrEqual(29);
    expect(limited.headers.get("x-ratelimit-limit")).toBe("3");
  });

  it("Base token coefficients: 1 per hour", async () => {
    const { token } = await seller("base");
    expect((await call("GET", "/api/tariffs/v1/acceptance/coefficients?warehouseIDs=507", { headers: { Authorization: token } })).status).toBe(200);
    const res = await call("GET", "/api/tariffs/v1/acceptance/coefficients?warehouseIDs=507", { headers: { Authorization: token } });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get("x-ratelimit-retry"))).toBeGreaterThan(3500);
  });
});

describe("booking", () => {
  it("draft → supply/create → plan/add; two concurrent bookers of one cell: exactly one wins; repeat is idempotent", async () => {
    const date = windowDates(Date.now())[2]!;
    await admin("slots", { warehouseId: 507, date, boxTypeId: 2, coefficient: 0, allowUnload: true });
    const sessions = await Promise.all([seller(), seller()].map(async (p) => admin<{ authorizev3: string; supplierId: string }>("sessions", { sellerId: (await p).sellerId })));
    const preorders = await Promise.all(
      sessions.map(async (s) => {
        const draft = (await rpc("draft/create", s, {})).body as { result: { draftID: string } };
        await rpc("draft/UpdateDraftGoods", s, { draftID: draft.result.draftID, barcodes: [{ barcode: "2000000000011", quantity: 10 }] });
        const created = (await rpc("supply/create", s, { draftID: draft.result.draftID, warehouseId: 507, boxTypeID: 2, transitWarehouseId: null, isBoxOnPallet: false })).body as { result: { ids: [{ Id: number }] } };
        return created.result.ids[0].Id;
      }),
    );
    const answers = await Promise.all(sessions.map((s, i) => rpc("plan/add", s, { preOrderId: preorders[i], deliveryDate: `${date}T00:00:00Z`, warehouseId: 507 })));
    const bodies = answers.map((a) => a.body as { result?: { id: { supplyId: number } }; error?: { code: number } });
    expect(bodies.filter((b) => b.result).length).toBe(1);
    expect(bodies.filter((b) => b.error?.code === 409).length).toBe(1);
    const winner = bodies.findIndex((b) => b.result);
    const again = (await rpc("plan/add", sessions[winner]!, { preOrderId: preorders[winner], deliveryDate: date, warehouseId: 507 })).body as { result: { id: { supplyId: number } } };
    expect(again.result.id.supplyId).toBe(bodies[winner]!.result!.id.supplyId);
    const bookings = (await call("GET", "/__sandbox/bookings")).body as Array<Record<string, unknown>>;
    expect(bookings).toHaveLength(1);
    expect(bookings[0]).toMatchObject({ warehouseId: 507, date, boxTypeId: 2, preorderId: preorders[winner], coefficient: 0 });
    expect(bookings[0]!.slotOpenedAt).toEqual(expect.any(String));
  });
});

describe("portal report", () => {
  type Row = { date: string; acceptanceType: number; coefficient: number; warehouseID: number; allowUnload: boolean };
  const cellOf = async (session: { authorizev3: string; supplierId: string }, date: string): Promise<Row | undefined> => {
    const ask = () => rpc("acceptanceCoefficientsReport", session, { dateFrom: `${date}T00:00:00Z`, dateTo: `${date}T00:00:00Z` });
    let res = await ask();
    // WB's limit on this method: wait as long as its 429 says, then ask again.
    for (let i = 0; i < 3 && res.status === 429; i++) {
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(Number(res.headers.get("x-ratelimit-retry") ?? "1") * 1000) + 20));
      res = await ask();
    }
    expect(res.status).toBe(200);
    const body = res.body as { id: string; jsonrpc: string; result: { report: Row[] } };
    expect(body).toMatchObject({ id: "json-rpc_1", jsonrpc: "2.0" });
    expect(body.result.report.every((r) => r.date === `${date}T00:00:00Z`)).toBe(true);
    // Boxes (boxTypeId 2) are acceptanceType 6 in the portal report.
    return body.result.report.find((r) => r.warehouseID === 507 && r.acceptanceType === 6);
  };

  it("is the same for every seller and follows every cell change (open, repeat, booked, reset)", async () => {
    const date = windowDates(Date.now())[4]!;
    const [a, b] = await Promise.all([seller(), seller()].map(async (p) => admin<{ authorizev3: string; supplierId: string }>("sessions", { sellerId: (await p).sellerId })));
    expect(await cellOf(a!, date)).toMatchObject({ coefficient: -1, allowUnload: false });
    await admin("slots", { warehouseId: 507, date, boxTypeId: 2, coefficient: 3, allowUnload: true });
    expect(await cellOf(a!, date)).toMatchObject({ coefficient: 3, allowUnload: true });
    // The same answer again, and for another seller.
    expect(await cellOf(a!, date)).toMatchObject({ coefficient: 3, allowUnload: true });
    expect(await cellOf(b!, date)).toMatchObject({ coefficient: 3, allowUnload: true });
    await admin("slots", { warehouseId: 507, date, boxTypeId: 2, coefficient: 1, allowUnload: true });
    expect(await cellOf(b!, date)).toMatchObject({ coefficient: 1, allowUnload: true });
    // Booked: the cell shows closed.
    const draft = (await rpc("draft/create", a!, {})).body as { result: { draftID: string } };
    await rpc("draft/UpdateDraftGoods", a!, { draftID: draft.result.draftID, barcodes: [{ barcode: "2000000000011", quantity: 1 }] });
    const created = (await rpc("supply/create", a!, { draftID: draft.result.draftID, warehouseId: 507, boxTypeID: 2, transitWarehouseId: null, isBoxOnPallet: false })).body as { result: { ids: [{ Id: number }] } };
    const booked = (await rpc("plan/add", a!, { preOrderId: created.result.ids[0].Id, deliveryDate: `${date}T00:00:00Z`, warehouseId: 507 })).body as { result?: unknown };
    expect(booked.result).toBeDefined();
    expect(await cellOf(b!, date)).toMatchObject({ allowUnload: false });
    // Reset: every cell closed again.
    await admin("slots", { warehouseId: 507, date, boxTypeId: 2, coefficient: 2, allowUnload: true });
    expect(await cellOf(b!, date)).toMatchObject({ coefficient: 2, allowUnload: true });
    await call("POST", "/__sandbox/reset");
    const c = await admin<{ authorizev3: string; supplierId: string }>("sessions", { sellerId: (await seller()).sellerId });
    expect(await cellOf(c, date)).toMatchObject({ coefficient: -1, allowUnload: false });
  });

  it("spans several dates: a change on one date shows, the other dates' rows stay, the JSON stays whole", async () => {
    const days = windowDates(Date.now()).slice(6, 9);
    const session = await admin<{ authorizev3: string; supplierId: string }>("sessions", { sellerId: (await seller()).sellerId });
    const report = async (): Promise<Row[]> => {
      let res = await rpc("acceptanceCoefficientsReport", session, { dateFrom: `${days[0]}T00:00:00Z`, dateTo: `${days[2]}T00:00:00Z` });
      for (let i = 0; i < 3 && res.status === 429; i++) {
        await new Promise((resolve) => setTimeout(resolve, Math.ceil(Number(res.headers.get("x-ratelimit-retry") ?? "1") * 1000) + 20));
        res = await rpc("acceptanceCoefficientsReport", session, { dateFrom: `${days[0]}T00:00:00Z`, dateTo: `${days[2]}T00:00:00Z` });
      }
      expect(res.status).toBe(200);
      return (res.body as { result: { report: Row[] } }).result.report;
    };
    const boxes = (rows: Row[], date: string): Row | undefined => rows.find((r) => r.date === `${date}T00:00:00Z` && r.warehouseID === 507 && r.acceptanceType === 6);
    const before = await report();
    const perDate = days.map((d) => before.filter((r) => r.date === `${d}T00:00:00Z`).length);
    expect(perDate[0]).toBeGreaterThan(100);
    expect(perDate).toEqual([perDate[0], perDate[0], perDate[0]]);
    expect(before).toHaveLength(perDate[0]! * 3);
    await admin("slots", { warehouseId: 507, date: days[1], boxTypeId: 2, coefficient: 2, allowUnload: true });
    const one = await report();
    expect(one).toHaveLength(before.length);
    expect(days.map((d) => boxes(one, d)?.coefficient)).toEqual([-1, 2, -1]);
    await admin("slots", { warehouseId: 507, date: days[2], boxTypeId: 2, coefficient: 4, allowUnload: true });
    const two = await report();
    expect(two).toHaveLength(before.length);
    expect(days.map((d) => boxes(two, d)?.coefficient)).toEqual([-1, 2, 4]);
  });
});

describe("redistribution", () => {
  it("quotas, stock, order consumes both and fails on insufficient quota", async () => {
    const { sellerId } = await seller();
    const session = await admin<{ authorizev3: string; supplierId: string }>("sessions", { sellerId });
    await admin("quotas", { sellerId, officeId: 507, srcQuota: 10, dstQuota: 0 });
    await admin("quotas", { sellerId, officeId: 117986, srcQuota: 0, dstQuota: 5 });
    await admin("stock", { sellerId, nmId: 111, chrtId: 222, warehouseId: 507, count: 8, sizeName: "M" });
    const limits = (await rpc("transfer/AvailableLimits", session, {})).body as { result: { data: { quotas: unknown[] } } };
    expect(limits.result.data.quotas).toHaveLength(2);
    const list = (await rpc("transfer/list", session, { nmIDs: [111] })).body as { result: { transfers: Array<{ chrts: Array<Record<string, unknown>> }> } };
    expect(list.result.transfers[0]!.chrts[0]).toMatchObject({ count: 8, chrtID: 222, sizeName: "M", warehouseID: 507, dstWarehouseIDs: [117986] });
    const order = (n: number) => rpc("transfer/order", session, { transfers: [{ nmID: 111, srcOfficeID: 507, items: [{ dstOfficeID: 117986, chrtID: 222, count: n }] }] });
    expect(((await order(6)).body as { error: { code: number } }).error.code).toBe(422);
    expect(((await order(4)).body as { result: unknown }).result).toBeDefined();
    expect(((await order(2)).body as { error: { code: number } }).error.code).toBe(422);
    expect(((await call("GET", "/__sandbox/transfers")).body as unknown[]).length).toBe(1);
  });
});

describe("faults", () => {
  it("disabled, error5xx, garbage, captcha, latency; DELETE clears", async () => {
    const { sellerId, token } = await seller();
    const auth = { headers: { Authorization: token } };
    await admin("faults", { method: "coefficients", kind: "disabled" });
    const disabled = await call("GET", "/api/tariffs/v1/acceptance/coefficients", auth);
    expect(disabled.status).toBe(404);
    expect(disabled.text).toBe(DISABLED_TEXT);
    await admin("faults", { method: "coefficients", kind: "error5xx", value: 503 });
    expect((await call("GET", "/api/tariffs/v1/acceptance/coefficients", auth)).status).toBe(503);
    await admin("faults", { method: "coefficients", kind: "garbage" });
    const garbage = await call("GET", "/api/tariffs/v1/acceptance/coefficients", auth);
    expect(garbage.status).toBe(200);
    expect(garbage.body).toEqual([{ date: null, coefficient: "closed", warehouseID: "507" }]);
    await admin("faults", { method: "seller-info", kind: "latency", value: 300 });
    const t0 = Date.now();
    expect((await call("GET", "/api/v1/seller-info", auth)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await admin("faults", { method: "plan/add", kind: "captcha" });
    const session = await admin<{ authorizev3: string; supplierId: string }>("sessions", { sellerId });
    const captcha = (await rpc("plan/add", session, { preOrderId: 1, deliveryDate: "2030-01-01" })).body as { error: { code: number } };
    expect(captcha.error.code).toBe(498);
    await call("DELETE", "/__sandbox/faults");
    expect((await call("GET", "/api/tariffs/v1/acceptance/coefficients?warehouseIDs=507", auth)).status).toBe(200);
  });
});
