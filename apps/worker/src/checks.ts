import type { TaskCheck } from "@wbslots/db";
import type { Logger } from "@wbslots/logger";

/**
 * Buffers the bookkeeping of monitor checks (last check time, snapshot age,
 * refresh interval) and writes it with ONE statement per flush instead of one
 * UPDATE per task per second. The latest check of a task wins.
 */
export class CheckBuffer {
  private pending = new Map<number, TaskCheck>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: { recordChecks: (checks: readonly TaskCheck[]) => Promise<void>; logger: Logger },
    private readonly everyMs = 3000,
  ) {}

  /** Remembers one check until the next flush. */
  add(check: TaskCheck): void {
    this.pending.set(check.id, check);
  }

  /** @returns how many checks wait for the next flush */
  get size(): number {
    return this.pending.size;
  }

  /** Starts the periodic flush. */
  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.everyMs);
    this.timer.unref();
  }

  /** Stops the periodic flush and writes what is left. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Writes every buffered check now (flushes never overlap). */
  async flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = [...this.pending.values()];
      this.pending = new Map();
      for (let i = 0; i < batch.length; i += 10_000) {
        try {
          await this.deps.recordChecks(batch.slice(i, i + 10_000));
        } catch (error) {
          // Bookkeeping only: losing one batch is harmless, the next check rewrites it.
          this.deps.logger.warn({ err: error, checks: batch.length }, "could not record monitor checks");
        }
      }
    });
    await this.flushing;
  }
}
