/**
 * Contract test: our zod schemas accept the examples of WB's own OpenAPI specs.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { coefficientsSchema, optionsSchema, pingSchema, sellerInfoSchema, suppliesSchema, supplyDetailsSchema, supplyGoodsSchema, supplyPackageSchema, warehousesSchema } from "./schemas";

const SPEC_DIR = fileURLToPath(new URL("../fixtures", import.meta.url));
type Node = Record<string, unknown>;
const load = (file: string): Node => parse(readFileSync(`${SPEC_DIR}/${file}`, "utf8")) as Node;
const at = (node: unknown, ...path: string[]): unknown => path.reduce<unknown>((n, key) => (n as Node | undefined)?.[key], node);

const general = load("01-general.ru.yaml");
const fbw = load("07-orders-fbw.ru.yaml");
const tariffs = load("10-tariffs.ru.yaml");
const json200 = (spec: Node, path: string, method: string): unknown => at(spec, "paths", path, method, "responses", "200", "content", "application/json");

describe("zod schemas accept WB's spec examples", () => {
  it("ping", () => {
    expect(pingSchema.parse(at(json200(general, "/ping", "get"), "example"))).toMatchObject({ Status: "OK" });
  });
  it("seller-info", () => {
    expect(sellerInfoSchema.parse(at(json200(general, "/api/v1/seller-info", "get"), "example"))).toMatchObject({ tradeMark: "Flax Store" });
  });
  it("acceptance coefficients (components.examples.ResponseCoefficients)", () => {
    const example = at(tariffs, "components", "examples", "ResponseCoefficients", "value");
    const rows = coefficientsSchema.parse(example);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]).toHaveProperty("warehouseID");
  });
  it("warehouses (models.WarehousesResultItems example)", () => {
    const example = at(fbw, "components", "schemas", "models.WarehousesResultItems", "example");
    expect(warehousesSchema.parse([example])[0]).toMatchObject({ ID: 300461, name: "Гомель 2" });
  });
  it("acceptance options (components.examples.OptionsResponse)", () => {
    const parsed = optionsSchema.parse(at(fbw, "components", "examples", "OptionsResponse", "value"));
    expect(parsed.result[1]!.warehouses).toHaveLength(4);
    expect(parsed.result[0]!.isError).toBe(true);
  });
  it("supplies list, details, goods, package", () => {
    expect(suppliesSchema.parse(at(json200(fbw, "/api/v1/supplies", "post"), "example"))).toHaveLength(3);
    expect(supplyDetailsSchema.parse(at(fbw, "components", "schemas", "models.SupplyDetails", "example"))).toMatchObject({ warehouseID: 507 });
    expect(supplyGoodsSchema.parse([at(fbw, "components", "schemas", "models.GoodInSupply", "example")])).toHaveLength(1);
    expect(supplyPackageSchema.parse([at(fbw, "components", "schemas", "models.Box", "example")])).toHaveLength(1);
  });
  it("the doc example file and real Sept-2024 captures parse too", () => {
    expect(coefficientsSchema.parse(JSON.parse(readFileSync(`${SPEC_DIR}/coefficients-doc-example.json`, "utf8")))).toHaveLength(1);
    expect(coefficientsSchema.parse(JSON.parse(readFileSync(`${SPEC_DIR}/coefficients-sample-one-day.json`, "utf8"))).length).toBe(416);
  });
});
