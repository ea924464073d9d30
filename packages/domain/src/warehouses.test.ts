import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  POPULAR_WAREHOUSE_IDS,
  WAREHOUSES,
  isLegacyWarehouse,
  normalizeSearchText,
  popularWarehouses,
  searchWarehouses,
  warehouseById,
  warehouseName,
} from "./warehouses";
import { WAREHOUSES_DATA } from "./warehouses-data";

describe("catalog data", () => {
  it("has the 168 real warehouses, unique ids sorted", () => {
    expect(WAREHOUSES_DATA).toHaveLength(168);
    const ids = WAREHOUSES_DATA.map((w) => w.id);
    expect(new Set(ids).size).toBe(168);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
  });

  it("matches shared/data/warehouses.json when it is present", () => {
    let raw: string;
    try {
      raw = readFileSync("/work/shared/data/warehouses.json", "utf8");
    } catch {
      return;
    }
    const json = JSON.parse(raw) as { id: number; name: string; address?: string }[];
    expect(WAREHOUSES_DATA.map((w) => ({ ...w }))).toEqual(json.map((w) => (w.address ? w : { id: w.id, name: w.name })));
  });

  it("all popular ids exist and are not legacy", () => {
    for (const id of POPULAR_WAREHOUSE_IDS) {
      const w = warehouseById(id);
      expect(w, String(id)).toBeDefined();
      if (w) expect(isLegacyWarehouse(w)).toBe(false);
    }
    expect(popularWarehouses().slice(0, 5).map((w) => w.name)).toEqual(["Коледино", "Электросталь", "Подольск", "Казань", "Тула"]);
  });

  it("names are trimmed", () => {
    expect(warehouseById(303024)?.name).toBe("Улан-Удэ, Ботаническая");
    for (const w of WAREHOUSES) expect(w.name).toBe(w.name.trim());
  });
});

describe("warehouseById / warehouseName", () => {
  it.each([
    [507, "Коледино"],
    [120762, "Электросталь"],
    [117501, "Подольск"],
    [117986, "Казань"],
    [206348, "Тула"],
    [172430, "СЦ Барнаул old"], // legacy still resolvable
    [203632, "СЦ Иваново (до 03.05.23)"],
    [50089332, "Челябинск СГТ"],
  ])("%i → %s", (id, name) => {
    expect(warehouseById(id)?.name).toBe(name);
    expect(warehouseName(id)).toBe(name);
  });
  it("unknown id", () => {
    expect(warehouseById(1)).toBeUndefined();
    expect(warehouseName(1)).toBe("Склад №1");
  });
});

describe("isLegacyWarehouse", () => {
  it.each([
    ["СЦ Барнаул old", true],
    ["СЦ Ростов-на-Дону old-1", true],
    ["СЦ Киров (old)", true],
    ["СЦ Волгоград old", true],
    ["СЦ Иваново (до 03.05.23)", true],
    ["СЦ Ижевск (до 29.05)", true],
    ["Коледино", false],
    ["Голицыно СГТ", false],
    ["Новосибирск", false],
  ])("%s → %s", (name, legacy) => {
    expect(isLegacyWarehouse({ name })).toBe(legacy);
  });
});

describe("searchWarehouses", () => {
  const names = (q: string, pageSize = 100) => searchWarehouses(q, { pageSize }).items.map((w) => w.name);

  it("empty query: popular first, then alphabetical, without legacy", () => {
    const all = searchWarehouses("", { pageSize: 500 });
    expect(all.total).toBe(168 - WAREHOUSES.filter(isLegacyWarehouse).length);
    expect(all.items.slice(0, POPULAR_WAREHOUSE_IDS.length).map((w) => w.id)).toEqual([...POPULAR_WAREHOUSE_IDS]);
    const rest = all.items.slice(POPULAR_WAREHOUSE_IDS.length).map((w) => w.name);
    expect(rest).toEqual([...rest].sort((a, b) => a.localeCompare(b, "ru")));
    expect(all.items.some(isLegacyWarehouse)).toBe(false);
  });

  it.each([
    ["коледино", ["Коледино"]],
    ["КОЛЕДИНО", ["Коледино"]],
    ["  колед  ", ["Коледино"]],
    ["черная грязь", ["СЦ Чёрная Грязь"]],
    ["чёрная", ["СЦ Чёрная Грязь"]],
    ["вешки", ["СЦ Вёшки"]],
    ["507", ["Коледино"]],
    ["zzz", []],
  ])("%j → %j", (q, expected) => {
    expect(names(q)).toEqual(expected);
  });

  it("substring with popular first: «подольск»", () => {
    expect(names("подольск")).toEqual(["Подольск", "Подольск 3", "Подольск 4"]);
  });

  it("«шушары»: popular Санкт-Петербург (Шушары) first, then alphabetical", () => {
    const got = names("шушары");
    expect(got[0]).toBe("Санкт-Петербург (Шушары)");
    expect(got.slice(1)).toEqual(["СЦ Шушары", "Склад Шушары", "Шушары СГТ"].sort((a, b) => a.localeCompare(b, "ru")));
  });

  it("aliases and multiple words", () => {
    expect(names("спб шушары")).toEqual(["Санкт-Петербург (Шушары)"]);
    expect(names("екб")).toContain("Екатеринбург - Испытателей 14г");
    expect(names("сц волгоград")).toEqual(["СЦ Волгоград 2"]); // «СЦ Волгоград old» is skipped
  });

  it("skips legacy entries", () => {
    expect(names("барнаул")).toEqual(["СЦ Барнаул"]);
    expect(names("иваново")).toEqual(["СЦ Иваново"]);
    expect(names("киров")).toEqual(["СЦ Киров"]);
  });

  it("pagination", () => {
    const p1 = searchWarehouses("сц", { page: 1, pageSize: 10 });
    expect(p1.items).toHaveLength(10);
    expect(p1.pages).toBe(Math.ceil(p1.total / 10));
    const last = searchWarehouses("сц", { page: p1.pages, pageSize: 10 });
    expect(last.items.length).toBe(p1.total - (p1.pages - 1) * 10);
    expect(searchWarehouses("сц", { page: 999, pageSize: 10 }).page).toBe(p1.pages);
    expect(searchWarehouses("сц", { page: -5, pageSize: 10 }).page).toBe(1);
    expect(searchWarehouses("сц", { page: Number.NaN, pageSize: 0 }).page).toBe(1);
    const none = searchWarehouses("zzz");
    expect(none).toEqual({ items: [], page: 1, pages: 1, total: 0 });
    const all = new Set<number>();
    for (let page = 1; page <= p1.pages; page++) for (const w of searchWarehouses("сц", { page, pageSize: 10 }).items) all.add(w.id);
    expect(all.size).toBe(p1.total);
  });

  it("default page size is 8", () => {
    expect(searchWarehouses("").items).toHaveLength(8);
  });

  it("normalizeSearchText", () => {
    expect(normalizeSearchText("  Чёрная\t ГРЯЗЬ ")).toBe("черная грязь");
  });
});
