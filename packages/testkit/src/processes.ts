import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { repoRoot } from "./migrations";

/** A child process of ours with its captured output. */
export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every line the process printed so far (stdout + stderr). */
  output(): string;
  /** Sends a signal to exactly this PID and waits for it to exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
  /** Resolves when the process exits. */
  readonly exited: Promise<number | null>;
}

/**
 * Starts a TypeScript entry point of this repo as a child process (`node --import tsx`).
 * Output is kept in memory and, when `logFile` is given, appended to it.
 * @returns the managed process
 */
export function startTsProcess(name: string, entry: string, env: Record<string, string>, logFile?: string): ManagedProcess {
  return startNodeProcess(name, ["--import", "tsx", path.join(repoRoot, entry)], env, logFile);
}

/**
 * Starts `node <args>` in the repo root with only the given environment (plus PATH and HOME).
 * @returns the managed process
 */
export function startNodeProcess(name: string, args: string[], env: Record<string, string>, logFile?: string): ManagedProcess {
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", NODE_ENV: "test", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  const chunks: string[] = [];
  const sink = logFile ? fs.createWriteStream(logFile, { flags: "a" }) : undefined;
  const onData = (data: Buffer): void => {
    const text = data.toString("utf8");
    chunks.push(text);
    sink?.write(text);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      sink?.end();
      resolve(code);
    });
  });
  const pid = child.pid;
  return {
    name,
    child,
    pid,
    output: () => chunks.join(""),
    exited,
    stop: async (signal: NodeJS.Signals = "SIGTERM", timeoutMs = 15_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Polls `url` until it answers with `status` (default 200).
 * @throws Error after `timeoutMs`
 */
export async function waitForHttpStatus(url: string, timeoutMs = 30_000, status = 200, init?: RequestInit): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, init);
      if (response.status === status) return;
      last = `HTTP ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer ${status} in ${timeoutMs} ms (last: ${last})`);
}

/**
 * Polls an async condition until it holds.
 * @returns the first truthy value
 * @throws Error after `timeoutMs`, with `what` in the message
 */
export async function eventually<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${String(lastError)})` : ""}`);
}
