// Generates the Prisma client after install. `prisma generate` needs DATABASE_URL
// set (otherwise it tries to download an engine, which fails offline); it does not
// connect, so a placeholder is enough when none is configured.
import { spawnSync } from "node:child_process";

const env = { ...process.env };
env.DATABASE_URL ??= "postgresql://placeholder:placeholder@127.0.0.1:5432/placeholder";
env.PRISMA_HIDE_UPDATE_MESSAGE = "1";
const result = spawnSync("pnpm", ["exec", "prisma", "generate"], { stdio: "inherit", env });
process.exit(result.status ?? 1);
