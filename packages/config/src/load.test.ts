import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, botSchema, parseConfig, sandboxSchema, workerSchema } from "./index";

const valid = {
  TELEGRAM_BOT_TOKEN: "123456:ABCDEFGHIJKLMNOP_qrstuv",
  TELEGRAM_WEBHOOK_SECRET: "s3cr3t",
  DATABASE_URL: "postgresql://u:p@127.0.0.1:5432/db",
  REDIS_URL: "redis://127.0.0.1:6379",
  ENCRYPTION_KEY: randomBytes(32).toString("base64"),
  ADMIN_USER: "admin",
  ADMIN_PASSWORD: "password123",
};

function issuesOf(env: Record<string, string | undefined>): Record<string, string> {
  try {
    parseConfig(botSchema, env);
  } catch (error) {
    if (error instanceof ConfigError) return Object.fromEntries(error.issues.map((i) => [i.variable, i.problem]));
    throw error;
  }
  return {};
}

describe("config", () => {
  it("applies CONTRACT.md defaults", () => {
    const config = parseConfig(botSchema, valid);
    expect(config.TELEGRAM_API_ROOT).toBe("https://api.telegram.org");
    expect(config.HOST).toBe("0.0.0.0");
    expect(config.PORT).toBe(3000);
    expect(config.WB_COMMON_API_URL).toBe("https://common-api.wildberries.ru");
    expect(config.WB_SUPPLIES_API_URL).toBe("https://supplies-api.wildberries.ru");
    expect(config.WB_SELLER_SUPPLY_URL).toBe("https://seller-supply.wildberries.ru");
    expect(config.WB_SELLER_URL).toBe("https://seller.wildberries.ru");
    expect(config.TRIAL_BOOKINGS).toBe(2);
    expect(config.LOG_LEVEL).toBe("info");
    expect(config.PUBLIC_URL).toBeUndefined();
  });

  it.each([
    ["TELEGRAM_BOT_TOKEN", undefined, "is required but not set"],
    ["TELEGRAM_BOT_TOKEN", "not-a-token", "123456:ABC"],
    ["DATABASE_URL", "mysql://x", "postgres"],
    ["REDIS_URL", "", "is required but not set"],
    ["ENCRYPTION_KEY", randomBytes(16).toString("base64"), "32 random bytes"],
    ["PORT", "70000", ""],
    ["PORT", "abc", ""],
    ["LOG_LEVEL", "verbose", ""],
    ["PUBLIC_URL", "ftp://x", ""],
    ["ADMIN_PASSWORD", "short", "at least 8"],
    ["TELEGRAM_WEBHOOK_SECRET", "has space", "Telegram"],
  ])("names %s when it is %j", (variable, value, fragment) => {
    const issues = issuesOf({ ...valid, [variable]: value });
    expect(Object.keys(issues)).toEqual([variable]);
    expect(issues[variable]).toContain(fragment);
  });

  it("never echoes a secret value in the error", () => {
    const badKey = "c2hvcnQta2V5";
    try {
      parseConfig(botSchema, { ...valid, ENCRYPTION_KEY: badKey });
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain(badKey);
    }
  });

  it("the worker does not need Telegram variables; the sandbox needs nothing", () => {
    const { TELEGRAM_BOT_TOKEN: _t, TELEGRAM_WEBHOOK_SECRET: _s, ADMIN_USER: _u, ADMIN_PASSWORD: _p, ...core } = valid;
    expect(parseConfig(workerSchema, core).WORKER_CONCURRENCY).toBe(50);
    expect(parseConfig(sandboxSchema, {}).WB_SANDBOX_PORT).toBe(3100);
  });
});
