import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/client";

export type Db = PrismaClient;

/** The `pg` pool Prisma runs on (see {@link Database.pool}). */
export type SqlPool = pg.Pool;

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

/** A process's database access: Prisma and the `pg` pool it runs on (one pool, one set of connections). */
export interface Database {
  readonly prisma: Db;
  /**
   * The pool under Prisma's driver adapter, for the few bulk statements on the
   * worker's hot path: every Prisma request (raw ones too) first runs its wasm
   * query compiler over the JSON of the query AND its parameters, which for a
   * 1,000-id task load cost ~90 ms of CPU against ~12 ms straight to `pg`.
   * The bot's webhook reads (apps/bot hot-reads.ts) use it too.
   */
  readonly pool: SqlPool;
}

/**
 * Creates the `pg` pool and a Prisma client over it (driver adapter, no native
 * engine); `prisma.$disconnect()` also ends the pool.
 * @returns the client and its pool
 */
export function createDatabase(options: CreatePrismaOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.databaseUrl,
    max: options.poolSize ?? 10,
    // Generous: on a busy box a new backend can take seconds to start (fails fast enough for a 1 s job).
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
  });
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  return { prisma, pool };
}

/**
 * Creates a Prisma client over the `pg` driver adapter (no native engine).
 * @returns a connected-on-demand client; call `$disconnect()` at shutdown
 */
export function createPrismaClient(options: CreatePrismaOptions): Db {
  return createDatabase(options).prisma;
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
