/**
 * The WB sandbox as a library: start it in-process for tests and benchmarks.
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "@wbslots/logger";
import { createSandboxApp, type SandboxOptions } from "./app";
import type { SandboxState } from "./state";

export { createSandboxApp, DISABLED_TEXT, PORTAL_PATHS, RPC_ERRORS, type SandboxOptions } from "./app";
export { SandboxState, moscowDate, windowDates, type Booking, type RequestLogEntry, type FaultKind } from "./state";
export { PORTAL_LIMITS, bucketSpecFor, type BucketSpec, type MethodName } from "./limits";
export { CATEGORY_BITS, TOKEN_ACC } from "./jwt";

/** Options of {@link startSandbox}. */
export interface StartSandboxOptions {
  /** 0 (default) = a free port. */
  port?: number;
  host?: string;
  seed?: number;
  logger?: Logger;
  now?: () => number;
  limits?: SandboxOptions["limits"];
}

/** A running sandbox. */
export interface RunningSandbox {
  /** Base URL, e.g. `http://127.0.0.1:41234`; every WB_*_URL can point at it. */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly state: SandboxState;
  close(): Promise<void>;
}

/**
 * Starts the sandbox in this process and listens on host:port.
 * @returns its URL, the app and a close()
 */
export async function startSandbox(options: StartSandboxOptions = {}): Promise<RunningSandbox> {
  const { app, state } = createSandboxApp({
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    ...(options.now ? { now: options.now } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
  });
  const host = options.host ?? "127.0.0.1";
  await app.listen({ port: options.port ?? 0, host });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : options.port ?? 0;
  return { url: `http://${host}:${port}`, app, state, close: () => app.close() };
}
