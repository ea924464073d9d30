/**
 * Prisma CLI configuration. The CLI talks to Postgres through the `pg` driver
 * adapter (no native engines: they cannot be downloaded offline). The adapter
 * gets discrete connection fields, never a connection string: with a string the
 * shadow database would be the main one (see TOOLCHAIN.md).
 */
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";

function connectionFields(): { host: string; port: number; user: string; password: string; database: string } {
  const raw = process.env.DATABASE_URL ?? "postgresql://postgres:postgres@127.0.0.1:5432/postgres";
  const url = new URL(raw);
  return {
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.replace(/^\//, "") || "postgres",
  };
}

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  migrations: { path: path.join("prisma", "migrations") },
  adapter: async () => new PrismaPg(connectionFields()),
});
