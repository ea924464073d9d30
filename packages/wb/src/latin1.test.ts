/**
 * The portal report is decoded as latin1 (WbCall.latin1Body): its warehouse
 * names must still come back as WB wrote them, and error answers must be read
 * as UTF-8. WB is simulated by a tiny HTTP server on 127.0.0.1 answering fixed
 * bodies, so every byte of the answer is under the test's control.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "@wbslots/logger";
import { testRedis } from "@wbslots/testkit/vitest";
import { createWbClients, type WbClients } from "./clients";
import { WbBadRequest } from "./errors";
import { utf8FromLatin1 } from "./http";
import type { PortalCredential } from "./portal";

describe("utf8FromLatin1", () => {
  const latin1Of = (text: string): string => Buffer.from(text, "utf8").toString("latin1");
  it.each([
    ["ASCII stays", "Koledino", "Koledino"],
    ["Cyrillic bytes are decoded", latin1Of("Коледино"), "Коледино"],
    ["mixed ASCII and Cyrillic", latin1Of("СЦ Белая Дача (Box)"), "СЦ Белая Дача (Box)"],
    ["emoji (4-byte UTF-8)", latin1Of("склад 🚚"), "склад 🚚"],
    ["text from \\u escapes above U+00FF is left alone", "Коледино", "Коледино"],
    ["empty", "", ""],
  ])("%s", (_name, input, expected) => {
    expect(utf8FromLatin1(input)).toBe(expected);
  });
});

describe("portal report decoded as latin1", () => {
  let server: http.Server;
  let url: string;
  let answer: { status: number; body: string } = { status: 200, body: "{}" };
  let clients: WbClients;
  let redis: Redis;
  const cred: PortalCredential = { credentialId: "portal-latin1", authorizev3: "x.y.z", supplierId: "3f0c9c52-6a3e-4c59-9d0e-1a2b3c4d5e6f" };
  const range = { dateFrom: "2026-12-01T00:00:00Z", dateTo: "2026-12-01T00:00:00Z" };
  const row = (warehouseID: number, warehouseNameJson: string): string =>
    `{"date":"2026-12-01T00:00:00Z","acceptanceType":6,"coefficient":0,"warehouseID":${warehouseID},"warehouseName":${warehouseNameJson},"allowUnload":true,"storageBaseLiter":"0,08"}`;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(answer.status, { "content-type": "application/json; charset=utf-8" });
        res.end(Buffer.from(answer.body, "utf8"));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const r = testRedis();
    redis = new Redis(r.url, { maxRetriesPerRequest: 2 });
    clients = createWbClients({
      logger: silentLogger(),
      redis,
      urls: { common: url, supplies: url, sellerSupply: url, seller: url },
      keyPrefix: `${r.prefix}:`,
      retry: { attempts: 1 },
      limiter: { maxWaitMs: 5_000 },
    });
  });

  afterAll(async () => {
    await clients.close();
    redis.disconnect();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("gives the warehouse names as WB wrote them: raw UTF-8, \\u escapes, ASCII", async () => {
    answer = {
      status: 200,
      body: `{"id":"json-rpc_1","jsonrpc":"2.0","result":{"report":[${[
        row(507, JSON.stringify("Коледино")),
        row(117501, "\"\\u041f\\u043e\\u0434\\u043e\\u043b\\u044c\\u0441\\u043a\""),
        row(1, JSON.stringify("Astana (склад 🚚)")),
        row(507, JSON.stringify("Коледино")),
      ].join(",")}]}}`,
    };
    const report = await clients.portal.acceptanceCoefficientsReport(cred, range);
    expect(report.report.map((r) => r.warehouseName)).toEqual(["Коледино", "Подольск", "Astana (склад 🚚)", "Коледино"]);
    expect(report.report[0]).toMatchObject({ warehouseID: 507, acceptanceType: 6, coefficient: 0, allowUnload: true, date: "2026-12-01T00:00:00Z" });
  });

  it("reads a JSON-RPC error as UTF-8", async () => {
    answer = { status: 200, body: `{"id":"json-rpc_1","jsonrpc":"2.0","error":{"code":400,"message":"Неверный период отчёта"}}` };
    const error = await clients.portal.acceptanceCoefficientsReport(cred, range).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WbBadRequest);
    expect((error as Error).message).toContain("Неверный период отчёта");
  });

  it("reads an HTTP error answer as UTF-8", async () => {
    answer = { status: 400, body: `{"title":"bad request","detail":"Дата начала позже даты конца","requestId":"r1"}` };
    const error = await clients.portal.acceptanceCoefficientsReport(cred, range).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WbBadRequest);
    expect((error as Error).message).toContain("Дата начала позже даты конца");
  });
});
