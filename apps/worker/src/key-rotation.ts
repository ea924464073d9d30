import { WATCHING_STATUSES } from "@wbslots/db";
import { invalidKeyText } from "@wbslots/domain";
import type { WorkerContext } from "./context";
import { notifyUser } from "./notify";

/** What {@link rotateInvalidCredential} did. */
export interface RotationOutcome {
  /** The sibling the tasks moved to, or null. */
  readonly movedTo: string | null;
  /** Watched tasks moved to the sibling. */
  readonly moved: number;
  /** Watched tasks put in NEEDS_ACTION (`no_valid_key`) because no sibling exists. */
  readonly stopped: number;
}

/**
 * "Ротация ключей": WB rejected a credential (401/403). Marks it invalid, moves
 * its tasks to a valid sibling of the same user and WB account (same kind), or
 * when there is none puts its watched tasks in NEEDS_ACTION with reason
 * `no_valid_key`; tells the user once per credential. Safe to call repeatedly
 * and from several workers at once: only the call that saw it valid notifies.
 * @returns what happened
 */
export async function rotateInvalidCredential(
  ctx: Pick<WorkerContext, "repos" | "queues" | "now" | "logger">,
  credentialId: string,
  reason: string,
  onTasksChanged: (taskIds: readonly number[]) => void = () => undefined,
): Promise<RotationOutcome> {
  const credential = await ctx.repos.apiKeys.get(credentialId);
  if (!credential) return { movedTo: null, moved: 0, stopped: 0 };
  await ctx.repos.apiKeys.markInvalid(credentialId, reason.slice(0, 300));
  const watching = await ctx.repos.tasks.watchingByCredential(credentialId);
  const [sibling] = await ctx.repos.apiKeys.validSiblings(credential);
  let moved = 0;
  let stopped = 0;
  if (sibling) {
    await ctx.repos.tasks.moveToCredential(credentialId, sibling.id);
    moved = watching.length;
  } else {
    for (const task of watching) {
      if (await ctx.repos.tasks.setStatus(task.id, "NEEDS_ACTION", "no_valid_key", WATCHING_STATUSES)) stopped += 1;
    }
  }
  onTasksChanged(watching.map((task) => task.id));
  if (credential.isValid) {
    ctx.logger.warn({ credentialId, movedTo: sibling?.id ?? null, moved, stopped }, "credential rejected by WB; rotated");
    await ctx.repos.operations.log(credential.userId, "credential.invalid", { credentialId, movedTo: sibling?.id ?? null, moved, stopped });
    await notifyUser(
      ctx,
      credential.userId,
      "invalid_key",
      invalidKeyText({ keyName: credential.name, movedTasks: moved, stoppedTasks: stopped, ...(sibling ? { movedToKeyName: sibling.name } : {}) }),
      { dedupeKey: `invalid-key-${credentialId}` },
    );
  }
  return { movedTo: sibling?.id ?? null, moved, stopped };
}
