import fs from "node:fs";
import path from "node:path";
import type { z } from "zod";

/** A configuration problem: which variable and what is wrong with it. */
export interface ConfigIssue {
  readonly variable: string;
  readonly problem: string;
}

/** The environment does not satisfy the schema; `issues` names each variable. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly issues: readonly ConfigIssue[]) {
    super(`invalid configuration:\n${issues.map((issue) => `  ${issue.variable}: ${issue.problem}`).join("\n")}`);
  }
}

/**
 * Reads a `.env` file (KEY=VALUE lines) into a plain object, without touching
 * `process.env`. A missing file gives an empty object.
 * @returns the variables in the file
 */
export function readDotEnv(file: string = path.resolve(process.cwd(), ".env")): Record<string, string> {
  if (!fs.existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of fs.readFileSync(file, "utf8").split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)\s*$/.exec(line);
    if (!match?.[1]) continue;
    let value = match[2] ?? "";
    if ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'"))) value = value.slice(1, -1);
    out[match[1]] = value;
  }
  return out;
}

/**
 * Parses an environment against a schema. Empty strings count as unset.
 * @param schema one of the schemas of this package
 * @param env variables (defaults: `.env` overlaid by `process.env`)
 * @throws ConfigError naming every bad or missing variable (never its value)
 */
export function parseConfig<S extends z.ZodType>(schema: S, env?: Record<string, string | undefined>): z.infer<S> {
  // The one place in the code base that reads process.env.
  const source = env ?? { ...readDotEnv(), ...process.env };
  const cleaned: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) if (value !== undefined && value !== "") cleaned[key] = value;
  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    variable: String(issue.path[0] ?? "(root)"),
    problem: issue.code === "invalid_type" && issue.input === undefined ? "is required but not set" : issue.message,
  }));
  throw new ConfigError(issues);
}

/**
 * Loads configuration for a process entry point: on failure prints which
 * variables are wrong to stderr and exits 1.
 * @returns the parsed configuration
 */
export function loadConfigOrExit<S extends z.ZodType>(schema: S, env?: Record<string, string | undefined>): z.infer<S> {
  try {
    return parseConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
