import { spawn, spawnSync } from "node:child_process";
import { Redis } from "ioredis";
import { freePort } from "./ports";

/** A running Redis server. */
export interface RedisServer {
  readonly url: string;
  readonly port: number;
  /** The redis-server PID when this process started it. */
  readonly pid: number | undefined;
  stop(): Promise<void>;
}

/** Path of the redis-server binary (`REDIS_SERVER_BIN` or the one on PATH). */
export function redisServerBinary(): string {
  const fromEnv = process.env.REDIS_SERVER_BIN;
  if (fromEnv) return fromEnv;
  const found = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const bin = found.stdout.trim();
  if (!bin) throw new Error("redis-server not found: install it (apt-get install -y redis-server) or set REDIS_URL");
  return bin;
}

/**
 * Waits until a Redis at `url` answers PING.
 * @param url redis URL
 * @param timeoutMs how long to try
 */
export async function waitForRedis(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on("error", () => undefined);
    try {
      await client.connect();
      await client.ping();
      client.disconnect();
      return;
    } catch (error) {
      client.disconnect();
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/**
 * Starts a throwaway redis-server on a free loopback port (no persistence).
 * @returns the running server; stop() ends exactly that PID
 */
export async function startRedis(options: { port?: number } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const child = spawn(redisServerBinary(), ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"], {
    stdio: "ignore",
  });
  const url = `redis://127.0.0.1:${port}`;
  await waitForRedis(url);
  return {
    url,
    port,
    pid: child.pid,
    stop: async () => {
      if (child.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      });
    },
  };
}
