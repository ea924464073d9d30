import { Context } from "telegraf";
import type { Prisma } from "@wbslots/db";
import type { Logger } from "@wbslots/logger";
import type { BotDeps } from "./deps";
import type { TaskPageRequest, TaskPageRow } from "./hot-reads";
import { answerInWebhookReply } from "./webhook-reply";

/** The user's current wizard step (persisted in Postgres). */
export interface ConversationSnapshot {
  readonly scene: string;
  readonly data: Prisma.JsonValue;
}

/** Each update's child logger (kept outside the class: features see the context through Telegraf's mapped types). */
const updateLogs = new WeakMap<object, Logger>();

/**
 * Per-update context. `deps` is shared; `log` is a child logger carrying the
 * update id and user id (made on first use); `conversation` is loaded once per update.
 */
export class BotContext extends Context {
  /** Shared dependencies (set on the prototype by createBot). */
  declare deps: BotDeps;
  /**
   * Child logger for this update (update id, user id), made on first use: most
   * updates log nothing, and a child of the redacting logger costs CPU on the webhook's hot path.
   */
  get log(): Logger {
    let log = updateLogs.get(this);
    if (!log) {
      log = this.deps.logger.child({ updateId: this.update.update_id, userId: this.from?.id });
      updateLogs.set(this, log);
    }
    return log;
  }
  /** The current wizard step of the sender, or null. */
  conversation: ConversationSnapshot | null = null;
  /** True when this update registered the sender (first contact). */
  isNewUser = false;
  /** A task page read together with the sender (a feature's {@link Feature.prefetch}); taken once. */
  prefetchedTaskPage: { readonly request: TaskPageRequest; readonly rows: TaskPageRow[] } | null = null;

  /**
   * @returns the prefetched task page when it is exactly `request` (then forgets it), else null
   */
  takePrefetchedTaskPage(request: TaskPageRequest): TaskPageRow[] | null {
    const page = this.prefetchedTaskPage;
    this.prefetchedTaskPage = null;
    return page && page.request.take === request.take && page.request.skip === request.skip ? page.rows : null;
  }

  /**
   * Answers the pressed button: in the webhook's HTTP answer when this update came
   * through the webhook and nothing answered it yet (webhook-reply.ts), else with a
   * Bot API request.
   * @returns true (Telegram's answer; a webhook answer reports no result)
   */
  override answerCbQuery(...args: Parameters<Context["answerCbQuery"]>): Promise<true> {
    const query = this.callbackQuery;
    if (query) {
      const [text, extra] = args;
      if (answerInWebhookReply(this.update, { ...extra, method: "answerCallbackQuery", callback_query_id: query.id, ...(text === undefined ? {} : { text }) })) {
        return Promise.resolve(true);
      }
    }
    return super.answerCbQuery(...args);
  }

  /**
   * The sender's Telegram id as BigInt (our users.id).
   * @throws Error when the update has no sender (channel posts etc. are ignored earlier)
   */
  get userId(): bigint {
    const id = this.from?.id;
    if (id === undefined) throw new Error("update without a sender");
    return BigInt(id);
  }

  /** Starts or moves the sender's wizard to `scene` with `data`. */
  async enter(scene: string, data: Prisma.InputJsonValue = {}): Promise<void> {
    await this.deps.repos.conversations.set(this.userId, scene, data);
    this.conversation = { scene, data: data as Prisma.JsonValue };
  }

  /** Ends the sender's wizard. */
  async leave(): Promise<void> {
    await this.deps.repos.conversations.clear(this.userId);
    this.conversation = null;
  }

  /**
   * @returns true when the sender's wizard is in `scene` or one of its sub-steps (`prefix.*`)
   */
  inScene(prefix: string): boolean {
    const scene = this.conversation?.scene;
    return scene === prefix || (scene?.startsWith(`${prefix}.`) ?? false);
  }
}
