import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runSql, type PostgresServer } from "./postgres";

const here = path.dirname(fileURLToPath(import.meta.url));
/** Absolute path of the repository root. */
export const repoRoot = path.resolve(here, "../../..");

/**
 * Reads every committed Prisma migration, in order.
 * @returns the SQL of each migration
 */
export function readMigrations(): string[] {
  const dir = path.join(repoRoot, "prisma", "migrations");
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => fs.readFileSync(path.join(dir, name, "migration.sql"), "utf8"));
}

/**
 * Creates a database and applies the committed migrations' SQL to it — the same
 * SQL `prisma migrate deploy` applies, without the CLI's start-up cost.
 * @returns the new database's URL
 */
export async function createMigratedDatabase(server: PostgresServer, name: string): Promise<string> {
  await runSql(server.url, `CREATE DATABASE "${name}"`);
  const url = server.urlFor(name);
  for (const sql of readMigrations()) await runSql(url, sql);
  return url;
}

/**
 * Creates a database as a copy of a template (fast: a file copy inside Postgres).
 * @returns the new database's URL
 */
export async function cloneDatabase(server: PostgresServer, template: string, name: string): Promise<string> {
  await runSql(server.url, `CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  return server.urlFor(name);
}
