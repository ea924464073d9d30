import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "./migrations";

/** How `pnpm start:<app>` runs an app in production: its environment, node's flags and the script. */
export interface ProductionCommand {
  /** Variables set in front of `node` (e.g. `MALLOC_ARENA_MAX=2`). */
  readonly env: Record<string, string>;
  /** Flags to node itself (e.g. `--max-old-space-size=384`). */
  readonly nodeArgs: string[];
  /** The entry script, relative to the repository root. */
  readonly script: string;
}

/**
 * Parses the root package.json's `start:<app>` script (`[VAR=value …] node [--flag …] <script>`),
 * the one place the production runtime flags are written, so benches and tests
 * start the apps exactly as production does.
 * @returns the parsed command
 * @throws Error when the script has another shape
 */
export function productionCommand(app: "bot" | "worker" | "wb-sandbox"): ProductionCommand {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")) as { scripts?: Record<string, string> };
  const line = manifest.scripts?.[`start:${app}`];
  if (!line) throw new Error(`package.json has no start:${app} script`);
  const tokens = line.trim().split(/\s+/);
  const env: Record<string, string> = {};
  while (tokens[0] && /^[A-Z_][A-Z0-9_]*=/.test(tokens[0])) {
    const token = tokens.shift() ?? "";
    const eq = token.indexOf("=");
    env[token.slice(0, eq)] = token.slice(eq + 1);
  }
  if (tokens.shift() !== "node") throw new Error(`start:${app} must run node: ${line}`);
  const script = tokens.pop();
  if (!script || script.startsWith("-") || tokens.some((t) => !t.startsWith("--"))) throw new Error(`start:${app} has an unexpected shape: ${line}`);
  return { env, nodeArgs: tokens, script };
}
