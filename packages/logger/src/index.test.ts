import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, scrubSecrets } from "./index";

function capture(): { lines: () => string[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString("utf8"));
      callback();
    },
  });
  return { stream, lines: () => chunks.join("").split("\n").filter(Boolean) };
}

const jwt = "eyJhbGciOiJFUzI1NiIsImtpZCI6IjEifQ.eyJhY2MiOjMsInNpZCI6ImFiYyIsImV4cCI6MTl9.c2lnbmF0dXJlLXNpZ25hdHVyZQ";
const botToken = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

describe("logger", () => {
  it.each([
    ["an Authorization header", { req: { headers: { authorization: jwt } } }],
    ["a portal session header", { headers: { authorizev3: jwt } }],
    ["a cookie", { headers: { cookie: "x-supplier-id=1; WBTokenV3=secret-cookie-value" } }],
    ["a token field", { token: "plain-token-value" }],
    ["a nested token field", { credential: { token: "plain-token-value" } }],
    ["an encrypted column", { row: { encryptedKey: "AAECAwQ=" } }],
    ["the webhook secret header", { req: { headers: { "x-telegram-bot-api-secret-token": "hook-secret" } } }],
  ])("redacts %s", (_what, payload) => {
    const out = capture();
    createLogger({ destination: out.stream }).info(payload, "request");
    const line = out.lines()[0] ?? "";
    expect(line).toContain("[redacted]");
    for (const secret of [jwt, "secret-cookie-value", "plain-token-value", "AAECAwQ=", "hook-secret"]) expect(line).not.toContain(secret);
  });

  it("scrubs a bot token inside a Bot API URL and JWTs inside messages and error stacks", () => {
    const out = capture();
    const logger = createLogger({ destination: out.stream });
    logger.warn(`POST https://api.telegram.org/bot${botToken}/sendMessage failed`);
    logger.error({ err: new Error(`WB said no to ${jwt}`) }, "call failed");
    const text = out.lines().join("\n");
    expect(text).not.toContain(botToken);
    expect(text).not.toContain(jwt);
    expect(text).toContain("/bot[redacted]/sendMessage");
  });

  it("child loggers keep redaction and add their bindings", () => {
    const out = capture();
    createLogger({ destination: out.stream, name: "worker" }).child({ component: "monitor" }).info({ token: "t0ken" }, "x");
    const parsed = JSON.parse(out.lines()[0] ?? "{}") as Record<string, unknown>;
    expect(parsed).toMatchObject({ service: "worker", component: "monitor", token: "[redacted]" });
  });

  it.each([
    ["plain text", "plain text"],
    [`url /bot${botToken}/getMe`, "url /bot[redacted]/getMe"],
    [`jwt ${jwt} end`, "jwt [redacted-jwt] end"],
  ])("scrubSecrets(%j)", (input, expected) => {
    expect(scrubSecrets(input)).toBe(expected);
  });
});
