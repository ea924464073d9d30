import { z } from "zod";
import { sourceDisabledText, sourceRestoredText, type SlotSource } from "@wbslots/domain";
import type { WorkerContext } from "./context";
import { parseSourceOffKey } from "./keys";
import { notifyUser } from "./notify";

/** WB switched a source off for an account ("Метод временно отключён"). */
export interface SourceOff {
  /** When we first saw it (ms since epoch); part of the dedupe keys. */
  readonly since: number;
  /** The credential that saw it; the probe retries with it. */
  readonly credentialId: string;
}

const sourceOffSchema = z.object({ since: z.number().int(), credentialId: z.string() });

function parseOff(text: string | null): SourceOff | null {
  if (text === null) return null;
  try {
    const parsed = sourceOffSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * Which sources WB has switched off for which account, in Redis so every worker
 * agrees. Not a bad key and not "no slots": the task falls back to the other
 * source when its user has a credential for it, else waits; the user is told
 * once per outage; the `probe-sources` maintenance job clears the flag when WB
 * answers again.
 */
export class SourceFlags {
  private readonly local = new Map<string, { value: SourceOff | null; checkedAt: number }>();
  private readonly told = new Set<string>();

  constructor(
    private readonly ctx: Pick<WorkerContext, "redis" | "keys" | "now" | "queues" | "repos" | "logger">,
    private readonly recheckMs = 1000,
  ) {}

  /** @returns the outage of a source for an account, or null when it works (cached ≤ 1 s per process) */
  async get(source: SlotSource, account: string): Promise<SourceOff | null> {
    const id = `${source}|${account}`;
    const cached = this.local.get(id);
    const now = this.ctx.now();
    if (cached && now - cached.checkedAt < this.recheckMs) return cached.value;
    const value = parseOff(await this.ctx.redis.get(this.ctx.keys.sourceOff(source, account)));
    this.local.set(id, { value, checkedAt: now });
    return value;
  }

  /**
   * Records that WB switched the source off (first writer wins).
   * @returns the outage as stored and whether this call started it
   */
  async markDisabled(source: SlotSource, account: string, credentialId: string): Promise<{ off: SourceOff; first: boolean }> {
    const key = this.ctx.keys.sourceOff(source, account);
    const candidate: SourceOff = { since: this.ctx.now(), credentialId };
    const set = await this.ctx.redis.set(key, JSON.stringify(candidate), "NX");
    const off = set === "OK" ? candidate : (parseOff(await this.ctx.redis.get(key)) ?? candidate);
    this.local.set(`${source}|${account}`, { value: off, checkedAt: this.ctx.now() });
    if (set === "OK") this.ctx.logger.warn({ source, account, credentialId }, "WB switched a slot source off for an account");
    return { off, first: set === "OK" };
  }

  /**
   * Tells a user once per outage that the source is off (and what we do about it),
   * and logs the `source.disabled` operation for them.
   */
  async tellUserOnce(source: SlotSource, account: string, off: SourceOff, userId: bigint, fallback: SlotSource | null): Promise<void> {
    const memo = `${source}|${account}|${off.since}|${userId}`;
    if (this.told.has(memo)) return;
    const added = await this.ctx.redis.sadd(this.ctx.keys.sourceOffUsers(source, account), userId.toString());
    this.told.add(memo);
    if (added !== 1) return;
    await notifyUser(this.ctx, userId, "source_disabled", sourceDisabledText({ source, fallback }), {
      dedupeKey: `source-disabled-${source}-${account}-${userId}-${off.since}`,
    });
    await this.ctx.repos.operations.log(userId, "source.disabled", { source, account, fallback });
  }

  /**
   * WB answers again: tells every user who was told about the outage, then clears it.
   * @returns how many users were told
   */
  async restore(source: SlotSource, account: string, off: SourceOff): Promise<number> {
    const usersKey = this.ctx.keys.sourceOffUsers(source, account);
    const users = await this.ctx.redis.smembers(usersKey);
    for (const user of users) {
      const userId = BigInt(user);
      await notifyUser(this.ctx, userId, "source_restored", sourceRestoredText(source), {
        dedupeKey: `source-restored-${source}-${account}-${userId}-${off.since}`,
      });
      await this.ctx.repos.operations.log(userId, "source.restored", { source, account });
    }
    await this.ctx.redis.del(this.ctx.keys.sourceOff(source, account), usersKey);
    this.local.delete(`${source}|${account}`);
    this.ctx.logger.info({ source, account, users: users.length }, "WB slot source is back for an account");
    return users.length;
  }

  /** Drops the flag without telling anyone (the users stay on the "told" list for the restore message). */
  async forget(source: SlotSource, account: string): Promise<void> {
    await this.ctx.redis.del(this.ctx.keys.sourceOff(source, account));
    this.local.delete(`${source}|${account}`);
  }

  /** @returns every current outage (SCAN over the flag keys) */
  async listDisabled(): Promise<{ source: SlotSource; account: string; off: SourceOff }[]> {
    const out: { source: SlotSource; account: string; off: SourceOff }[] = [];
    let cursor = "0";
    do {
      const [next, keys] = await this.ctx.redis.scan(cursor, "MATCH", `${this.ctx.keys.root}srcoff:*`, "COUNT", 500);
      cursor = next;
      for (const key of keys) {
        const parsed = parseSourceOffKey(this.ctx.keys.root, key);
        if (!parsed) continue;
        const off = parseOff(await this.ctx.redis.get(key));
        if (off) out.push({ ...parsed, off });
      }
    } while (cursor !== "0");
    return out;
  }
}
