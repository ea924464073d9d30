import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/client";

export type Db = PrismaClient;

/** Options for {@link createPrismaClient}. */
export interface CreatePrismaOptions {
  databaseUrl: string;
  /** Connection pool size of this process (default 10). */
  poolSize?: number;
  /**
   * How long to wait for a connection, new or from the pool (default 10 s).
   * Test observers pass more: a connection they open on a box saturated by
   * the processes under test is not what the test is about.
   */
  connectionTimeoutMs?: number;
}

/**
 * Creates a Prisma client over the `pg` driver adapter (no native engine).
 * @returns a connected-on-demand client; call `$disconnect()` at shutdown
 */
export function createPrismaClient(options: CreatePrismaOptions): Db {
  const adapter = new PrismaPg({
    connectionString: options.databaseUrl,
    max: options.poolSize ?? 10,
    // Generous: on a busy box a new backend can take seconds to start (fails fast enough for a 1 s job).
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
  });
  return new PrismaClient({ adapter });
}

/**
 * True when a Prisma error is a unique-constraint violation (P2002).
 * @returns whether `error` is P2002
 */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002";
}

/**
 * True when a raw query (`$queryRaw`) failed on a unique constraint: over the
 * `pg` driver adapter Prisma reports it as P2010 carrying the driver's error
 * (SQLSTATE 23505), not as P2002.
 * @returns whether `error` is a unique violation of a raw query
 */
export function isRawUniqueViolation(error: unknown): boolean {
  if (isUniqueViolation(error)) return true;
  if (typeof error !== "object" || error === null) return false;
  const { code, meta } = error as { code?: unknown; meta?: { driverAdapterError?: { cause?: { originalCode?: unknown } } } };
  return code === "P2010" && meta?.driverAdapterError?.cause?.originalCode === "23505";
}

/**
 * Options for every interactive transaction. Prisma's defaults (2 s to get a
 * connection, 5 s in all) are too tight on a busy 2-core box: the work inside
 * is a few small statements, the time goes to waiting for CPU and the pool.
 */
export const TX_OPTIONS = { maxWait: 10_000, timeout: 20_000 } as const;
