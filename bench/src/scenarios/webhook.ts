/**
 * Scenario 4 — webhook throughput. The real bot (apps/bot, child process) over
 * Postgres and Redis, the fake Bot API in its own child process; load from
 * autocannon in this process: `--connections` concurrent connections, each
 * request a fresh update (unique update_id, the webhook dedupes them) pressing
 * «📋 Мои задачи» (`menu:tasks`) as one of 50 existing users with 3 tasks each —
 * the bot reads the user, conversation and task page (one statement), edits the
 * message (a Bot API request) and answers the callback in its 200 (which Telegram
 * would execute; autocannon only counts it). Beside it, in the same run and the same way, two
 * baselines (child processes): a bare Fastify route (the ratio is against it) and the
 * raw-tools floor (children/floor-server.ts: the same Redis, Postgres and Bot API calls with
 * nothing of ours around them — what the update's I/O alone costs on this machine).
 * Repeated `--repeats` times, the three loads in turn; medians reported.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";
import autocannon, { type AutocannonResult } from "autocannon";
import { coreEnv, freePort, randomBotToken, repoRoot, startTsProcess, waitForHttpStatus, type ManagedProcess, type PostgresServer } from "@wbslots/testkit";
import {
  CpuMeter,
  type CpuSource,
  catalog,
  createBenchDb,
  log,
  machineBusySeconds,
  median,
  postgresCpuSeconds,
  moscowDay,
  onCleanup,
  randomPrefix,
  round,
  sleep,
  startApp,
  startBenchChild,
  startBenchRedis,
  type BenchOptions,
  type Figure,
  type ScenarioResult,
} from "../harness";

const USERS = 50;

/** With BENCH_PROFILE_DIR set, the bot writes a V8 CPU profile of its first ~20 s under load (children/cpu-profiler.ts). */
function profileEnv(): Record<string, string> {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return {};
  return { NODE_OPTIONS: `--import tsx --import ${path.join(repoRoot, "bench/src/children/cpu-profiler.ts")}`, BENCH_PROFILE_DIR: dir, BENCH_PROFILE_START_MS: "12000", BENCH_PROFILE_MS: "15000" };
}
const TASKS_PER_USER = 3;

/** One load run against one server. */
interface LoadRun {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly non2xx: number;
  readonly errors: number;
}

async function waitForLine(child: ManagedProcess, prefix: string, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = child.output().split("\n").find((l) => l.startsWith(prefix));
    if (line) return line.slice(prefix.length).trim();
    await sleep(100);
  }
  throw new Error(`${child.name} did not print "${prefix}" in ${timeoutMs} ms:\n${child.output().slice(-2000)}`);
}

async function load(url: string, secret: string, userIds: readonly number[], connections: number, duration: number, botId: number): Promise<LoadRun> {
  let updateId = 500_000_000 + Math.floor(Math.random() * 1_000_000_000);
  let callbackId = 1;
  const result: AutocannonResult = await autocannon({
    url,
    connections,
    duration,
    timeout: 10,
    requests: [
      {
        method: "POST",
        path: "/telegram/webhook",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": secret },
        setupRequest: (request) => {
          const userId = userIds[Math.floor(Math.random() * userIds.length)] ?? 1;
          const from = { id: userId, is_bot: false, first_name: "Бенч", language_code: "ru" };
          const update = {
            update_id: updateId++,
            callback_query: {
              id: String(callbackId++),
              from,
              chat_instance: "1",
              data: "menu:tasks",
              message: { message_id: 1, from: { id: botId, is_bot: true, first_name: "WB Slots" }, chat: { id: userId, type: "private", first_name: "Бенч" }, date: Math.floor(Date.now() / 1000), text: "…" },
            },
          };
          return { ...request, body: JSON.stringify(update) };
        },
      },
    ],
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx, errors: result.errors + result.timeouts };
}

/**
 * Runs the webhook scenario.
 * @returns table rows and every run
 */
export async function runWebhook(pg: PostgresServer, options: BenchOptions): Promise<ScenarioResult> {
  const started = performance.now();
  const redis = await startBenchRedis("webhook");
  const prefix = randomPrefix("hook");
  // The bot does not call WB for this update; the WB URLs point at a closed loopback port.
  const env = coreEnv({ databaseUrl: "", redisUrl: redis.url, sandboxUrl: `http://127.0.0.1:${await freePort()}`, prefix, logLevel: "warn" });
  const db = await createBenchDb(pg, `bench_webhook_${Date.now()}`, env.ENCRYPTION_KEY);
  env.DATABASE_URL = db.url;

  const userIds: number[] = [];
  const warehouses = catalog();
  for (let i = 0; i < USERS; i += 1) {
    const id = 8_000_000_000 + i;
    userIds.push(id);
    await db.repos.prisma.user.create({ data: { id: BigInt(id), firstName: `u${i}`, trialBookings: 2 } });
    const key = await db.repos.apiKeys.create({ userId: BigInt(id), kind: "OFFICIAL_TOKEN", name: "Ключ 1", secret: `bench-token-${i}-${randomBytes(8).toString("hex")}`, tokenType: "personal", sellerId: `seller-${i}` });
    for (let t = 0; t < TASKS_PER_USER; t += 1) {
      const w = warehouses[(i * TASKS_PER_USER + t) % warehouses.length] ?? { id: 507, name: "Коледино" };
      await db.repos.tasks.create({ userId: BigInt(id), credentialId: key.id, warehouseId: w.id, warehouseName: w.name, dateFrom: moscowDay(1), dateTo: moscowDay(10), boxTypeId: 2, maxCoefficient: 3, goods: [{ barcode: "2000000000013", quantity: 5 }] });
    }
  }

  const botToken = randomBotToken();
  const botId = Number(botToken.split(":")[0]);
  const secret = randomBytes(16).toString("hex");
  const telegram = startTsProcess("fake-telegram", "bench/src/children/fake-telegram.ts", { TELEGRAM_BOT_TOKEN: botToken }, path.join(options.logDir, "fake-telegram.log"));
  const stopTelegram = onCleanup("fake-telegram", () => telegram.stop());
  const apiRoot = await waitForLine(telegram, "READY ", 30_000);

  const botPort = await freePort();
  const bot = startApp(
    "bot",
    "bot",
    { ...env, ...profileEnv(), TELEGRAM_BOT_TOKEN: botToken, TELEGRAM_API_ROOT: apiRoot, TELEGRAM_WEBHOOK_SECRET: secret, HOST: "127.0.0.1", PORT: String(botPort), ADMIN_USER: "admin", ADMIN_PASSWORD: randomBytes(12).toString("hex") },
    path.join(options.logDir, "bot.log"),
    options.built,
  );
  const stopBot = onCleanup("bot", () => bot.stop());
  const barePort = await freePort();
  const bare = startBenchChild("bare-server", "bare-fastify", { PORT: String(barePort), TELEGRAM_WEBHOOK_SECRET: secret }, path.join(options.logDir, "bare.log"), options.built);
  const stopBare = onCleanup("bare-fastify", () => bare.stop());
  const floorPort = await freePort();
  const floor = startBenchChild(
    "floor-server",
    "floor-server",
    { PORT: String(floorPort), TELEGRAM_WEBHOOK_SECRET: secret, DATABASE_URL: db.url, REDIS_URL: redis.url, TELEGRAM_API_ROOT: apiRoot, TELEGRAM_BOT_TOKEN: botToken, QUEUE_PREFIX: `${prefix}-floor` },
    path.join(options.logDir, "floor.log"),
    options.built,
  );
  const stopFloor = onCleanup("floor-server", () => floor.stop());
  const botUrl = `http://127.0.0.1:${botPort}`;
  const bareUrl = `http://127.0.0.1:${barePort}`;
  const floorUrl = `http://127.0.0.1:${floorPort}`;
  try {
    try {
      await waitForHttpStatus(`${botUrl}/readyz`, 120_000);
      await waitForHttpStatus(`${bareUrl}/healthz`, 60_000);
      await waitForHttpStatus(`${floorUrl}/healthz`, 60_000);
    } catch (error) {
      throw new Error(`${String(error)}\n--- bot ---\n${bot.output().slice(-3000)}`);
    }
    // Warm both (JIT, connection pools, Telegraf session paths), not measured.
    await load(botUrl, secret, userIds, options.connections, 3, botId);
    await load(bareUrl, secret, userIds, options.connections, 2, botId);
    await load(floorUrl, secret, userIds, options.connections, 3, botId);
    const ours: LoadRun[] = [];
    const base: LoadRun[] = [];
    const cpu: Record<string, number>[] = [];
    const baseCpu: Record<string, number>[] = [];
    const floorRuns: LoadRun[] = [];
    const floorCpu: Record<string, number>[] = [];
    // % of one core during each load; `machine` is every core's busy time (2 cores = 200).
    const sources = (server: number): Map<string, CpuSource> =>
      new Map<string, CpuSource>([["server", server], ["fakeTelegram", telegram.pid], ["redis", redis.pid], ["postgres", postgresCpuSeconds], ["loadGenerator", process.pid], ["machine", machineBusySeconds]]);
    const meter = new CpuMeter(sources(bot.pid));
    const bareMeter = new CpuMeter(sources(bare.pid));
    const floorMeter = new CpuMeter(sources(floor.pid));
    const seconds = Math.max(5, Math.round(options.duration / 2));
    for (let r = 0; r < options.repeats; r += 1) {
      // Alternate, so drift of the machine hits both alike.
      meter.start();
      const o = await load(botUrl, secret, userIds, options.connections, seconds, botId);
      cpu.push(meter.stop());
      bareMeter.start();
      const b = await load(bareUrl, secret, userIds, options.connections, seconds, botId);
      baseCpu.push(bareMeter.stop());
      floorMeter.start();
      const f = await load(floorUrl, secret, userIds, options.connections, seconds, botId);
      floorCpu.push(floorMeter.stop());
      log(
        `webhook run ${r + 1}: cpu % during bot load ${JSON.stringify(cpu.at(-1))}, during bare load ${JSON.stringify(baseCpu.at(-1))}, during floor load ${JSON.stringify(floorCpu.at(-1))}; ` +
          `bot ${round(o.rps, 0)} rps p50 ${o.p50} ms p99 ${o.p99} ms (non2xx ${o.non2xx}, errors ${o.errors}); bare ${round(b.rps, 0)} rps p50 ${b.p50} ms p99 ${b.p99} ms; ` +
          `floor ${round(f.rps, 0)} rps p50 ${f.p50} ms p99 ${f.p99} ms (non2xx ${f.non2xx}, errors ${f.errors})`,
      );
      ours.push(o);
      base.push(b);
      floorRuns.push(f);
    }
    // CPU ms per request of a run: % of a core × 10 / requests per second.
    const perRequest = (runs: readonly LoadRun[], usage: readonly Record<string, number>[], key: string): number =>
      round(median(runs.map((run, i) => ((usage[i]?.[key] ?? Number.NaN) * 10) / run.rps)), 3);
    const rps = median(ours.map((r) => r.rps));
    const baseRps = median(base.map((r) => r.rps));
    const p99 = median(ours.map((r) => r.p99));
    const ratio = baseRps > 0 ? rps / baseRps : null;
    const floorRps = median(floorRuns.map((r) => r.rps));
    const floorFailures = floorRuns.reduce((a, r) => a + r.non2xx + r.errors, 0);
    // Each ratio from the medians of runs measured in turn in this process.
    const ratioOf = (a: number, b: number): number | null => (b > 0 ? round(a / b, 3) : null);
    const failures = ours.reduce((a, r) => a + r.non2xx + r.errors, 0);
    const figures: Figure[] = [
      {
        scenario: "webhook",
        figure: `updates/s, /tasks press, ${options.connections} conns (median of ${options.repeats}), ${options.built ? "built JS" : "tsx"}`,
        ours: round(rps, 0),
        baseline: round(baseRps, 0),
        ratio: ratioOf(rps, baseRps),
        unit: "req/s",
        goal: "ratio ≥ 0.25 at p99 < 50 ms",
        met: ratio !== null && ratio >= 0.25 && p99 < 50 && failures === 0,
      },
      {
        scenario: "webhook",
        figure: `updates/s vs the raw-tools floor (same Redis SET NX, same pg statement, one editMessageText over node:http, answer in the 200; no Telegraf/logger/metrics); floor vs bare route ${ratioOf(floorRps, baseRps)}; floor non-2xx + errors ${floorFailures}`,
        ours: round(rps, 0),
        baseline: round(floorRps, 0),
        ratio: ratioOf(rps, floorRps),
        unit: "req/s",
      },
      {
        scenario: "webhook",
        figure: "latency p50 / p99 vs the raw-tools floor",
        ours: `${median(ours.map((r) => r.p50))} / ${p99}`,
        baseline: `${median(floorRuns.map((r) => r.p50))} / ${median(floorRuns.map((r) => r.p99))}`,
        unit: "ms",
      },
      { scenario: "webhook", figure: "latency p50", ours: median(ours.map((r) => r.p50)), baseline: median(base.map((r) => r.p50)), unit: "ms" },
      { scenario: "webhook", figure: "latency p99", ours: p99, baseline: median(base.map((r) => r.p99)), unit: "ms", goal: "< 50 ms", met: p99 < 50 },
      { scenario: "webhook", figure: "non-2xx + errors (bot)", ours: failures, unit: "count", goal: "0", met: failures === 0 },
      { scenario: "webhook", figure: "CPU per update: the server process (median of runs)", ours: perRequest(ours, cpu, "server"), baseline: perRequest(base, baseCpu, "server"), unit: "ms" },
      {
        scenario: "webhook",
        figure: `CPU per update, ours vs the raw-tools floor: the server process (whole machine: ours ${perRequest(ours, cpu, "machine")} ms, floor ${perRequest(floorRuns, floorCpu, "machine")}; floor's fake Bot API ${perRequest(floorRuns, floorCpu, "fakeTelegram")}, Postgres ${perRequest(floorRuns, floorCpu, "postgres")}, Redis ${perRequest(floorRuns, floorCpu, "redis")}, load generator ${perRequest(floorRuns, floorCpu, "loadGenerator")})`,
        ours: perRequest(ours, cpu, "server"),
        baseline: perRequest(floorRuns, floorCpu, "server"),
        unit: "ms",
      },
      {
        scenario: "webhook",
        figure: `CPU per update: the whole machine (server, fake Bot API ${perRequest(ours, cpu, "fakeTelegram")} ms, Postgres ${perRequest(ours, cpu, "postgres")}, Redis ${perRequest(ours, cpu, "redis")}, load generator ${perRequest(ours, cpu, "loadGenerator")} vs ${perRequest(base, baseCpu, "loadGenerator")})`,
        ours: perRequest(ours, cpu, "machine"),
        baseline: perRequest(base, baseCpu, "machine"),
        unit: "ms",
      },
    ];
    return { scenario: "webhook", figures, details: { ours, baseline: base, floor: floorRuns, cpuDuringBotLoad: cpu, cpuDuringBareLoad: baseCpu, cpuDuringFloorLoad: floorCpu, connections: options.connections, seconds }, durationS: round((performance.now() - started) / 1000, 0) };
  } finally {
    await stopFloor();
    await stopBare();
    await stopBot();
    await stopTelegram();
    await redis.stop();
  }
}
