import { addDays, moscowToday, type Slot, type SlotSource } from "@wbslots/domain";
import { WbMethodDisabled, WbRateLimited, WbUnauthorized, officialToSlots, portalToSlots, type WbClients } from "@wbslots/wb";
import type { WorkerContext } from "./context";
import { pickRoundRobin, revealCredential, type CredentialFacts, type FetchCredential } from "./credentials";
import { prepareSnapshot, type SnapshotStore, type SnapshotView } from "./snapshots";
import type { SourceFlags } from "./sources";
import { sweepFreshSnapshot } from "./sweep";

/** Days of slots the portal report is asked for (the official method returns 14). */
const PORTAL_REPORT_DAYS = 14;

/**
 * Reads every slot of one WB account from one source (one WB call).
 * @returns the slots, normalized
 */
export async function readSlots(wb: WbClients, cred: FetchCredential, now: number): Promise<Slot[]> {
  if (cred.source === "official") return officialToSlots(await wb.official.getAcceptanceCoefficients(cred.official));
  const dateFrom = moscowToday(new Date(now));
  const dateTo = addDays(dateFrom, PORTAL_REPORT_DAYS);
  const report = await wb.portal.acceptanceCoefficientsReport(cred.portal, { dateFrom: `${dateFrom}T00:00:00Z`, dateTo: `${dateTo}T00:00:00Z` });
  return portalToSlots(report.report);
}

/** A pacer stops when no monitor tick asked for its account for this long. */
const PACER_IDLE_MS = 5_000;
/** How soon a pacer looks again when the snapshot is stale but it could not read. */
const PACER_RETRY_MS = 25;
/** The longest a pacer waits before looking again at a stale snapshot. */
const PACER_MAX_RETRY_MS = 250;
/** How long after the period's end the pacer tries (the gate's expiry is not exact to the ms). */
const PACER_SLACK_MS = 3;

/** The timer that keeps one account's snapshot read on time (see SlotFeed.keepPacing). */
interface Pacer {
  readonly source: SlotSource;
  readonly account: string;
  periodMs: number;
  seed: CredentialFacts;
  askedAt: number;
  timer: NodeJS.Timeout | null;
}

/** What a failed read meant, for the caller's decisions. */
export type ReadFailure = "rate_limited" | "disabled" | "unauthorized" | "transient";

/**
 * The coalescing slot feed: a monitor job asks for the snapshot of its task's
 * account; when it is older than the refresh period WB allows, exactly one
 * caller across every process (the Redis gate) reads WB and stores the new
 * snapshot, everyone else keeps using the previous one. Never exceeds WB's
 * pace: the gate is the period, a 429 re-arms it for WB's `retry` time.
 */
export class SlotFeed {
  private readonly nextTry = new Map<string, number>();
  /** Accounts this process is reading now (source|account). */
  private readonly reading = new Set<string>();
  private readonly pacers = new Map<string, Pacer>();
  private closed = false;

  constructor(
    private readonly ctx: WorkerContext,
    private readonly store: SnapshotStore,
    private readonly flags: SourceFlags,
    private readonly onUnauthorized: (credentialId: string, reason: string) => Promise<void>,
  ) {}

  /**
   * @param seed the credential of the task (or its fallback) whose account is read
   * @returns the freshest snapshot available (possibly older than the period when WB refused), or null
   */
  async current(source: SlotSource, account: string, periodMs: number, seed: CredentialFacts): Promise<SnapshotView | null> {
    this.keepPacing(source, account, periodMs, seed);
    return await this.refresh(source, account, periodMs, seed);
  }

  /** Stops the pacing timers (the app's close). */
  close(): void {
    this.closed = true;
    for (const pacer of this.pacers.values()) if (pacer.timer) clearTimeout(pacer.timer);
    this.pacers.clear();
  }

  /**
   * The pacer of an account: while monitor ticks keep asking for it, a timer
   * in this process tries the read the moment the period ends — so a read (and
   * the sweep that books on it, sweep.ts) never waits for a tick that sits in
   * a busy queue. Every process paces the accounts it serves; the Redis gate
   * still lets exactly one read through per period. A pacer nobody asked for
   * in {@link PACER_IDLE_MS} stops.
   */
  private keepPacing(source: SlotSource, account: string, periodMs: number, seed: CredentialFacts): void {
    if (this.closed) return;
    const id = `${source}|${account}`;
    const pacer = this.pacers.get(id);
    const now = this.ctx.now();
    if (pacer) {
      pacer.seed = seed;
      pacer.periodMs = periodMs;
      pacer.askedAt = now;
      return;
    }
    const created: Pacer = { source, account, periodMs, seed, askedAt: now, timer: null };
    this.pacers.set(id, created);
    this.schedule(id, created, now + periodMs);
  }

  private schedule(id: string, pacer: Pacer, at: number): void {
    pacer.timer = setTimeout(() => void this.pace(id, pacer), Math.max(0, at - this.ctx.now()));
    pacer.timer.unref();
  }

  private async pace(id: string, pacer: Pacer): Promise<void> {
    pacer.timer = null;
    if (this.closed || this.pacers.get(id) !== pacer) return;
    if (this.ctx.now() - pacer.askedAt > PACER_IDLE_MS) {
      this.pacers.delete(id);
      return;
    }
    let view: SnapshotView | null = null;
    try {
      // A source WB switched off is not read here: the probe (maintenance) tries it.
      if (!(await this.flags.get(pacer.source, pacer.account))) view = await this.refresh(pacer.source, pacer.account, pacer.periodMs, pacer.seed, true);
    } catch (error) {
      this.ctx.logger.warn({ err: error, source: pacer.source, account: pacer.account }, "paced snapshot read failed");
    }
    if (this.closed || this.pacers.get(id) !== pacer) return;
    const now = this.ctx.now();
    const due = view ? view.fetchedAt + pacer.periodMs : now + pacer.periodMs;
    if (due > now) {
      // A few ms after the period ends: timers and Redis expiry are not exact to the ms.
      this.schedule(id, pacer, due + PACER_SLACK_MS);
      return;
    }
    // Stale and not ours to read (another process is reading, WB said wait): look again when
    // the gate should open, between 25 and 250 ms from now (an in-flight gate is shortened when
    // its read ends, so a long TTL is not waited out).
    const gateLeft = await this.store.gateLeftMs(pacer.source, pacer.account).catch(() => 0);
    if (this.closed || this.pacers.get(id) !== pacer) return;
    this.schedule(id, pacer, now + Math.min(PACER_MAX_RETRY_MS, Math.max(PACER_RETRY_MS, gateLeft + PACER_SLACK_MS)));
  }

  /**
   * @param paced the pacer asks: it is not held back by the ticks' back-off after a lost gate
   *   (it retries on its own short timer), so a read starts within milliseconds of the period's end
   */
  private async refresh(source: SlotSource, account: string, periodMs: number, seed: CredentialFacts, paced = false): Promise<SnapshotView | null> {
    const view = await this.store.read(source, account);
    const now = this.ctx.now();
    if (view && now - view.fetchedAt < periodMs) return view;
    const id = `${source}|${account}`;
    if (!paced && (this.nextTry.get(id) ?? 0) > now) return view;
    // This process is already reading the account: never a second read beside it, even when
    // the Redis gate is gone (FLUSHALL, a Redis restart) while the first one waits on WB.
    if (this.reading.has(id)) return view;
    if (!(await this.store.tryGate(source, account, periodMs))) {
      // Someone else (maybe another process) is reading: look again shortly, from the local copy.
      this.nextTry.set(id, now + 200);
      return view;
    }
    this.reading.add(id);
    try {
      const fresh = await this.fetch(source, account, periodMs, seed);
      return fresh.ok ? fresh.view : view;
    } finally {
      this.reading.delete(id);
    }
  }

  /**
   * Reads WB now (the caller holds the gate, or is the probe) and stores the snapshot.
   * @returns the new snapshot, or why the read failed
   */
  async fetch(source: SlotSource, account: string, periodMs: number, seed: CredentialFacts): Promise<{ ok: true; view: SnapshotView } | { ok: false; failure: ReadFailure }> {
    const { ctx } = this;
    const chosen = await pickRoundRobin(ctx, seed);
    const cred = await revealCredential(ctx, chosen.id);
    if (!cred) {
      await this.store.openGate(source, account);
      return { ok: false, failure: "unauthorized" };
    }
    const startedAt = ctx.now();
    try {
      const slots = await readSlots(ctx.wb, cred, startedAt);
      ctx.metrics.wbReads.inc({ credential: chosen.id, source });
      ctx.metrics.snapshotFetches.inc({ source, outcome: "ok" });
      const previous = await this.store.read(source, account);
      const snapshot = prepareSnapshot(startedAt, slots);
      const { view } = snapshot;
      // Match on the read (sweep.ts) at once, beside storing the snapshot for every other
      // process; the per-task ticks remain the safety net if the sweep fails.
      const sweep = sweepFreshSnapshot(ctx, source, account, previous, view).catch((error: unknown) => {
        ctx.logger.warn({ err: error, source, account }, "sweep of a fresh snapshot failed; the ticks will match");
      });
      await this.store.write(source, account, snapshot);
      await this.store.settleGate(source, account, periodMs, startedAt);
      ctx.repos.apiKeys.touch(chosen.id, new Date(startedAt)).catch(() => undefined);
      await sweep;
      return { ok: true, view };
    } catch (error) {
      if (error instanceof WbRateLimited) {
        ctx.metrics.snapshotFetches.inc({ source, outcome: "rate_limited" });
        await this.store.holdGate(source, account, Math.max(error.retryAfterMs, 250));
        return { ok: false, failure: "rate_limited" };
      }
      if (error instanceof WbMethodDisabled) {
        ctx.metrics.snapshotFetches.inc({ source, outcome: "disabled" });
        await this.flags.markDisabled(source, account, chosen.id);
        return { ok: false, failure: "disabled" };
      }
      if (error instanceof WbUnauthorized) {
        ctx.metrics.snapshotFetches.inc({ source, outcome: "unauthorized" });
        await this.onUnauthorized(chosen.id, `WB ${error.status}: ${error.message}`);
        await this.store.openGate(source, account);
        return { ok: false, failure: "unauthorized" };
      }
      // 5xx, timeout, a broken answer, an open breaker: try again soon (still paced by the limiter).
      ctx.metrics.snapshotFetches.inc({ source, outcome: "error" });
      ctx.logger.warn({ err: error, source, account, credentialId: chosen.id }, "slot snapshot read failed");
      await this.store.holdGate(source, account, Math.min(periodMs, 1000));
      return { ok: false, failure: "transient" };
    }
  }
}
