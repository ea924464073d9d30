import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { productionCommand, repoRoot } from "@wbslots/testkit";

interface Service {
  image?: string;
  build?: { dockerfile?: string };
  command?: string[];
  environment?: Record<string, unknown>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  volumes?: string[];
  ports?: string[];
  container_name?: string;
}

const compose = parse(fs.readFileSync(path.join(repoRoot, "docker-compose.yml"), "utf8"), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };
const services = compose.services;

/** Variables of CONTRACT.md each app process must receive. */
const contractBotEnv = [
  "TELEGRAM_BOT_TOKEN",
  "TELEGRAM_API_ROOT",
  "TELEGRAM_WEBHOOK_SECRET",
  "PUBLIC_URL",
  "HOST",
  "PORT",
  "DATABASE_URL",
  "REDIS_URL",
  "ENCRYPTION_KEY",
  "WB_COMMON_API_URL",
  "WB_SUPPLIES_API_URL",
  "WB_SELLER_SUPPLY_URL",
  "WB_SELLER_URL",
  "ADMIN_USER",
  "ADMIN_PASSWORD",
  "TRIAL_BOOKINGS",
  "LOG_LEVEL",
];

describe("docker-compose.yml", () => {
  it("has postgres (volume), redis (appendonly), a one-shot migrate, bot and worker", () => {
    expect(Object.keys(services).sort()).toEqual(["bot", "migrate", "postgres", "redis", "worker"]);
    expect(services.postgres?.volumes?.some((v) => v.startsWith("pgdata:"))).toBe(true);
    expect(services.redis?.command?.join(" ")).toContain("--appendonly yes");
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(["pgdata", "redisdata"]));
  });

  it.each(["bot", "worker"])("%s waits for the migration and for healthy dependencies", (name) => {
    const service = services[name];
    expect(service?.depends_on?.migrate?.condition).toBe("service_completed_successfully");
    expect(service?.depends_on?.redis?.condition).toBe("service_healthy");
    expect(services.migrate?.depends_on?.postgres?.condition).toBe("service_healthy");
  });

  it.each(["postgres", "redis", "bot", "worker"])("%s has a healthcheck", (name) => {
    expect(services[name]?.healthcheck?.test.length).toBeGreaterThan(0);
  });

  it("the bot gets every variable of CONTRACT.md; the worker the core ones", () => {
    expect(Object.keys(services.bot?.environment ?? {})).toEqual(expect.arrayContaining(contractBotEnv));
    expect(Object.keys(services.worker?.environment ?? {})).toEqual(
      expect.arrayContaining(["DATABASE_URL", "REDIS_URL", "ENCRYPTION_KEY", "WB_COMMON_API_URL", "WB_SELLER_SUPPLY_URL"]),
    );
    expect(services.worker?.environment).not.toHaveProperty("TELEGRAM_BOT_TOKEN");
  });

  it("the worker can be scaled (no fixed container name, no host port)", () => {
    expect(services.worker?.container_name).toBeUndefined();
    expect(services.worker?.ports).toBeUndefined();
  });

  it("holds no literal secrets", () => {
    const raw = fs.readFileSync(path.join(repoRoot, "docker-compose.yml"), "utf8");
    expect(raw).not.toMatch(/ENCRYPTION_KEY:\s*[A-Za-z0-9+/]{40,}/);
    expect(raw).not.toMatch(/\d{6,}:[A-Za-z0-9_-]{30,}/);
  });
});

describe.each(["Dockerfile.bot", "Dockerfile.worker"])("%s", (file) => {
  const text = fs.readFileSync(path.join(repoRoot, file), "utf8");
  it("is multi-stage, runs as a non-root user, installs production dependencies only", () => {
    expect(text.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(text).toMatch(/^USER node$/m);
    expect(text).toMatch(/deploy --prod/);
    expect(text).toMatch(/HEALTHCHECK/);
  });
});

describe("Dockerfile.worker runtime", () => {
  it("runs the worker with the same node flags and variables as `pnpm start:worker`", () => {
    const text = fs.readFileSync(path.join(repoRoot, "Dockerfile.worker"), "utf8");
    const command = productionCommand("worker");
    expect(command.nodeArgs).toContain("--max-old-space-size=384");
    const cmd = /^CMD (\[.*\])$/m.exec(text)?.[1];
    expect(cmd && (JSON.parse(cmd) as string[])).toEqual(["node", ...command.nodeArgs, "dist/main.js"]);
    const runtime = text.slice(text.lastIndexOf("FROM "));
    for (const [name, value] of Object.entries(command.env)) expect(runtime).toMatch(new RegExp(`^ENV .*\\b${name}=${value}\\b`, "m"));
  });
});
