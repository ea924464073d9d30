import type { Feature } from "../create-bot";
import { fallbackFeature } from "./fallback";
import { keysFeature } from "./keys";
import { monitorFeature } from "./monitor";
import { planFeature } from "./plan";
import { redistributeFeature } from "./redistribute";
import { startFeature } from "./start";
import { tasksFeature } from "./tasks";

/**
 * Every feature in handling order. Payments and keys come before the wizards
 * of monitor/tasks/redistribute; the fallback (stale buttons, unknown text) is last.
 * @returns the feature list for {@link createBot}
 */
export function allFeatures(): readonly Feature[] {
  return [startFeature, planFeature, keysFeature, monitorFeature, tasksFeature, redistributeFeature, fallbackFeature];
}
