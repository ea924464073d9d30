/**
 * WB faults against the real workers (two processes), the WB sandbox and the fake
 * Bot API:
 * - disabled method (official coefficients → WB's "temporarily disabled" 404):
 *   the portal source is used, the user is told once, and after the fault is
 *   cleared the probe picks the method up again by itself and says so;
 * - a 429 storm (the sandbox's limit made stricter than WB's published one):
 *   no request for that seller and method before `X-Ratelimit-Retry` elapsed
 *   (checked against the header each 429 actually carried, timed from when that
 *   answer left the sandbox, over every request's arrival time);
 * - 401 (revoked token): credential invalid, tasks moved to a sibling or put in
 *   NEEDS_ACTION, the user got the invalid-key message;
 * - 5xx, then timeouts (dropped connections): bounded retries, the breaker
 *   opens (no request for that credential during the cool-down window), and
 *   after the fault is cleared the credential recovers and a slot is caught;
 * - garbage bodies: workers keep running and a later slot is still caught.
 *
 * CI and large differ only in how many sellers share each fault.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RequestLogEntry } from "@wbslots/wb-sandbox";
import { removeMonitor } from "@wbslots/queues";
import { scaled, sleep, startResilienceStack, until, wbBookingsBySeller, type ResilienceStack } from "./support";

let stack: ResilienceStack;
/** Live limit overrides handed to the sandbox (it reads them on every request). */
const limits: Record<string, { intervalMs: number; burst: number }> = {};
const numbers: Record<string, unknown> = {};
let warehousePool: number[] = [];
const SELLERS_PER_FAULT = scaled(1, 4);
/** Every request as it arrived; `done`, `status` and `retry` (X-Ratelimit-Retry, s) once its answer left. */
const arrivals: { at: number; url: string; auth: string; done?: number; status?: number; retry?: number }[] = [];
/** Part of the breaker's 30 s cool-down during which requests are counted (must be 0). */
const COOL_DOWN_WINDOW_MS = scaled(10_000, 20_000);

/** Portal report requests that arrived with this session, whatever became of them. */
function arrivedFrom(authorizev3: string, since: number): number {
  return arrivals.filter((a) => a.auth === authorizev3 && a.at >= since && a.url.includes("acceptanceCoefficientsReport")).length;
}

beforeAll(async () => {
  stack = await startResilienceStack({ workers: 2, sandbox: { limits }, env: { LOG_LEVEL: "warn" } });
  warehousePool = [...stack.sandbox.state.warehouses.keys()];
  // Every request as it arrives, before any handler: a dropped connection ("timeout" fault) is never in the sandbox's own log.
  // The sandbox's own log is stamped when the answer is done (after a ~7,000-row report was built), so arrival and
  // answer times, and the X-Ratelimit-Retry actually sent, are taken here from the raw server.
  // Fastify hands its headers to writeHead() (not setHeader), so writeHead is wrapped to read them.
  stack.sandbox.app.server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const entry: (typeof arrivals)[number] = { at: Date.now(), url: req.url ?? "", auth: String(req.headers.authorizev3 ?? req.headers.authorization ?? "") };
    arrivals.push(entry);
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
    res.writeHead = ((...args: unknown[]) => {
      const headers = args.find((a): a is Record<string, unknown> => typeof a === "object" && a !== null && !Array.isArray(a));
      const retry = headers && Object.entries(headers).find(([k]) => k.toLowerCase() === "x-ratelimit-retry")?.[1];
      if (retry !== undefined) entry.retry = Number(retry);
      return writeHead(...args);
    }) as ServerResponse["writeHead"];
    res.once("finish", () => {
      entry.done = Date.now();
      entry.status = res.statusCode;
      const header = res.getHeader("x-ratelimit-retry");
      if (header !== undefined) entry.retry = Number(header);
    });
  });
}, 120_000);

afterAll(async () => {
  console.info(`wb-faults: ${JSON.stringify(numbers)}`);
  await stack?.stop();
});

afterEach(({ task }) => {
  if (task.result?.state === "fail") console.error(stack.logs().slice(-8000));
});

async function fault(method: string, kind: string, value?: number | string): Promise<void> {
  const res = await stack.sandbox.app.inject({ method: "POST", url: "/__sandbox/faults", payload: { method, kind, ...(value === undefined ? {} : { value }) } });
  expect(res.statusCode).toBe(200);
}

async function clearFaults(): Promise<void> {
  await stack.sandbox.app.inject({ method: "DELETE", url: "/__sandbox/faults" });
}

function requestsOf(sellerId: string, method?: string, since = 0): RequestLogEntry[] {
  return stack.sandbox.state.requests.filter((r) => r.sellerId === sellerId && (!method || r.method === method) && Date.parse(r.at) >= since);
}

function warehouse(): number {
  const id = warehousePool.shift();
  if (id === undefined) throw new Error("out of warehouses");
  return id;
}

/** A user with a portal session and one task on its own warehouse. */
async function portalSeller(): Promise<{ userId: bigint; sellerId: string; taskId: number; warehouseId: number; credentialId: string; authorizev3: string }> {
  const userId = await stack.newUser(5);
  const sellerId = await stack.newSeller();
  const session = await stack.portalSession(userId, sellerId);
  const warehouseId = warehouse();
  const taskId = await stack.task(userId, session.id, { warehouseId, days: [2, 6] });
  return { userId, sellerId, taskId, warehouseId, credentialId: session.id, authorizev3: session.authorizev3 };
}

/**
 * Pauses tasks whose phase is over and removes their monitors (what the bot does when a user pauses):
 * every watching seller costs the in-process sandbox a ~7,000-row report every 1.1 s.
 */
async function retire(taskIds: readonly number[]): Promise<void> {
  for (const id of taskIds) {
    if (await stack.repos.tasks.setStatus(id, "PAUSED", null, ["ACTIVE"])) await removeMonitor(stack.queues, id);
  }
}

async function expectCaught(t: { taskId: number; sellerId: string; warehouseId: number }, timeoutMs = 60_000): Promise<void> {
  stack.openSlot({ warehouseId: t.warehouseId, date: stack.day(4), coefficient: 0 });
  await until(`task ${t.taskId} booked`, async () => (await stack.repos.bookings.byTask(t.taskId))?.status === "CONFIRMED", timeoutMs, 250);
  expect(wbBookingsBySeller(stack.sandbox).get(t.sellerId)).toBe(1);
}

function textsTo(userId: bigint): string[] {
  return stack.telegram.sentTo(userId).map((c) => String(c.payload.text ?? ""));
}

/** Resolves when the user was told the disabled source is back (runs while other tests go on). */
let restored: Promise<void> = Promise.resolve();

describe("WB faults", () => {
  it("disabled method: the portal source is used, the user is told once, auto-recovery after the fault is cleared", async () => {
    const userId = await stack.newUser(5);
    const sellerId = await stack.newSeller();
    const official = await stack.officialKey(userId, sellerId);
    await stack.portalSession(userId, sellerId);
    const caughtWarehouse = warehouse();
    const watchingWarehouse = warehouse();
    await fault("coefficients", "disabled");
    const caughtTask = await stack.task(userId, official.id, { warehouseId: caughtWarehouse, days: [2, 6] });
    const watchingTask = await stack.task(userId, official.id, { warehouseId: watchingWarehouse, days: [2, 6] });
    const since = Date.now();
    await until("the user told the source is off, with the fallback", () => textsTo(userId).some((t) => t.includes("временно отключил") && t.includes("переключились")), 30_000);
    await until("fallback reads (portal report) for this seller", () => requestsOf(sellerId, "acceptanceCoefficientsReport", since).some((r) => r.status === 200), 20_000);
    await expectCaught({ taskId: caughtTask, sellerId, warehouseId: caughtWarehouse });
    await sleep(3000);
    expect(textsTo(userId).filter((t) => t.includes("временно отключил")), "told once").toHaveLength(1);
    expect((await stack.repos.tasks.get(watchingTask))?.status).toBe("ACTIVE");
    await clearFaults();
    // The probe-sources job runs every 60 s: wait for it in the background while other faults are tested.
    restored = until("the user told the source is back", () => textsTo(userId).some((t) => t.startsWith("✅ WB снова включил")), 75_000, 500).then(async () => {
      const clearedAt = Date.now();
      await until("official reads resume for this seller", () => requestsOf(sellerId, "coefficients", clearedAt - 5000).some((r) => r.status === 200), 20_000);
      numbers.disabledRecoveredAfterMs = clearedAt - since;
    });
    restored.catch(() => undefined);
  }, 90_000);

  it("429 storm: no request before X-Ratelimit-Retry elapsed", async () => {
    // Stricter than the product's own 2 s portal pacing, so only X-Ratelimit-Retry keeps it quiet.
    const spec = { intervalMs: 10_000, burst: 1 };
    limits.acceptanceCoefficientsReport = spec;
    const stormStart = Date.now();
    const sellers: Awaited<ReturnType<typeof portalSeller>>[] = [];
    for (let i = 0; i < SELLERS_PER_FAULT + 1; i += 1) sellers.push(await portalSeller());
    await sleep(scaled(16_000, 60_000));
    const stormEnd = Date.now();
    delete limits.acceptanceCoefficientsReport;

    let limited = 0;
    let checked = 0;
    const violations: string[] = [];
    for (const s of sellers) {
      const log = arrivals.filter((a) => a.auth === s.authorizev3 && a.url.includes("acceptanceCoefficientsReport") && a.at >= stormStart && a.at < stormEnd);
      checked += log.length;
      for (const refused of log.filter((a) => a.status === 429)) {
        limited += 1;
        if (refused.done === undefined || refused.retry === undefined) {
          violations.push(`${s.sellerId}: a 429 without X-Ratelimit-Retry`);
          continue;
        }
        // The product can know of the 429 only once the answer left (`done`); it must then wait `retry` seconds.
        // Grace: 100 ms for a request already on the wire when the 429 came back, 250 ms for timer slack.
        const from = refused.done + 100;
        const quietUntil = refused.done + refused.retry * 1000 - 250;
        for (const early of log.filter((a) => a.at > from && a.at < quietUntil)) {
          violations.push(`${s.sellerId} at ${new Date(early.at).toISOString()}: 429 answered at ${new Date(refused.done).toISOString()} with X-Ratelimit-Retry ${refused.retry}`);
        }
      }
    }
    numbers.storm = { requests: checked, limited429: limited, violations: violations.length };
    expect(limited, "the storm produced 429s").toBeGreaterThan(0);
    expect(violations).toEqual([]);
    // Still catches after the storm.
    const first = sellers[0];
    if (first) await expectCaught(first);
    await retire(sellers.slice(1).map((s) => s.taskId));
  }, 150_000);

  it("401: the revoked key is marked invalid, tasks move to a sibling or wait for the user, who is told", async () => {
    const withSibling = await stack.newUser(5);
    const sellerA = await stack.newSeller();
    const revokedA = await stack.officialKey(withSibling, sellerA, "Ключ-отозван-1");
    const sibling = await stack.officialKey(withSibling, sellerA, "Ключ-запасной");
    const movedTask = await stack.task(withSibling, revokedA.id, { warehouseId: warehouse(), days: [2, 6] });
    const alone = await stack.newUser(5);
    const sellerB = await stack.newSeller();
    const revokedB = await stack.officialKey(alone, sellerB, "Ключ-отозван-2");
    const stoppedTask = await stack.task(alone, revokedB.id, { warehouseId: warehouse(), days: [2, 6] });
    await sleep(2000);
    for (const token of [revokedA.token, revokedB.token]) expect((await stack.sandbox.app.inject({ method: "POST", url: "/__sandbox/tokens/revoke", payload: { token } })).statusCode).toBe(200);

    await until("both keys invalid", async () => !(await stack.repos.apiKeys.get(revokedA.id))?.isValid && !(await stack.repos.apiKeys.get(revokedB.id))?.isValid, 40_000, 250);
    await until("the task moved to the sibling", async () => (await stack.repos.tasks.get(movedTask))?.credentialId === sibling.id, 10_000);
    expect((await stack.repos.tasks.get(movedTask))?.status).toBe("ACTIVE");
    await until("the lonely task waits for the user", async () => (await stack.repos.tasks.get(stoppedTask))?.status === "NEEDS_ACTION", 10_000);
    await until("both users told", () => textsTo(withSibling).some((t) => t.includes("Ключ-отозван-1") && t.includes("Ключ-запасной")) && textsTo(alone).some((t) => t.includes("Ключ-отозван-2") && t.includes("остановлены")), 20_000);
    expect((await stack.repos.apiKeys.get(sibling.id))?.isValid).toBe(true);
  }, 90_000);

  /** Puts `kind` on the portal report, waits for the breakers to open, counts requests during the cool-down. */
  async function breakerPhase(kind: "error5xx" | "timeout", value: number): Promise<{ sellers: Awaited<ReturnType<typeof portalSeller>>[]; window: number; failing: number }> {
    await fault("acceptanceCoefficientsReport", kind, value);
    const since = Date.now();
    const sellers: Awaited<ReturnType<typeof portalSeller>>[] = [];
    for (let i = 0; i < SELLERS_PER_FAULT; i += 1) sellers.push(await portalSeller());
    // 2 worker processes × 5 consecutive failures open both breakers of a credential.
    // Open = at least 10 tries, then quiet for 2 s; without a breaker it never goes quiet and this times out.
    await until(
      `${kind}: the breakers of every credential open`,
      () => sellers.every((s) => arrivedFrom(s.authorizev3, since) >= 10 && arrivedFrom(s.authorizev3, Date.now() - 2000) === 0),
      45_000,
      250,
    );
    const windowStart = Date.now();
    await sleep(COOL_DOWN_WINDOW_MS);
    let window = 0;
    for (const s of sellers) window = Math.max(window, arrivedFrom(s.authorizev3, windowStart));
    const failing = Math.max(...sellers.map((s) => arrivedFrom(s.authorizev3, since)));
    return { sellers, window, failing };
  }

  it("5xx, then timeouts: bounded retries, the breaker opens for the cool-down, recovery after the fault is cleared", async () => {
    const errors = await breakerPhase("error5xx", 503);
    const timeouts = await breakerPhase("timeout", 100);
    await clearFaults();
    const clearedAt = Date.now();
    numbers.breaker = { error5xx: { requestsBeforeOpen: errors.failing, requestsDuringCoolDownWindow: errors.window }, timeout: { requestsBeforeOpen: timeouts.failing, requestsDuringCoolDownWindow: timeouts.window } };
    // Without a breaker the monitor would ask every 1-2 s (the limiter allows it).
    expect(errors.window, "5xx: requests while the breaker is open").toBeLessThanOrEqual(1);
    expect(timeouts.window, "timeouts: requests while the breaker is open").toBeLessThanOrEqual(1);
    // Bounded: 2 processes × (5 failures to open + a retry in flight), not one per second.
    expect(errors.failing, "5xx: requests before and during the cool-down").toBeLessThanOrEqual(16);
    expect(timeouts.failing, "timeouts: requests before and during the cool-down").toBeLessThanOrEqual(16);
    for (const s of [...errors.sellers, ...timeouts.sellers]) {
      await until(`seller ${s.sellerId} reads again`, () => requestsOf(s.sellerId, "acceptanceCoefficientsReport", clearedAt).some((r) => r.status === 200), 50_000, 500);
      await expectCaught(s, scaled(30_000, 60_000));
    }
    numbers.breakerRecoveredWithinMs = Date.now() - clearedAt;
    expect(stack.liveWorkers()).toHaveLength(2);
  }, 240_000);

  it("garbage bodies: no crash, later slots still caught", async () => {
    const sellers: Awaited<ReturnType<typeof portalSeller>>[] = [];
    for (let i = 0; i < SELLERS_PER_FAULT; i += 1) sellers.push(await portalSeller());
    for (const [method, value] of [["acceptanceCoefficientsReport", "malformed"], ["acceptanceCoefficientsReport", "shape"], ["coefficients", "shape"]] as const) {
      await fault(method, "garbage", value);
      await sleep(3000);
    }
    await clearFaults();
    expect(stack.liveWorkers()).toHaveLength(2);
    expect(stack.bot.child.exitCode).toBeNull();
    for (const s of sellers) await expectCaught(s);
  }, 120_000);

  it("the disabled source came back by itself and the user was told", async () => {
    await restored;
  }, 90_000);
});
