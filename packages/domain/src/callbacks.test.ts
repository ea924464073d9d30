import { describe, expect, it } from "vitest";
import { decodeCallback, encodeCallback, isCallbackArg, parseCallbackId } from "./callbacks";

describe("encodeCallback", () => {
  it.each<[string, string, (string | number)[], string]>([
    ["task", "pause", [123], "task:pause:123"],
    ["task", "list", [], "task:list"],
    ["wh", "page", ["koledino", 2], "wh:page:koledino:2"],
    ["plan", "buy", ["p5"], "plan:buy:p5"],
    ["redis_tr", "qty", [0, "1.5", "a-b"], "redis_tr:qty:0:1.5:a-b"],
  ])("%s %s %j → %s", (scope, action, args, expected) => {
    expect(encodeCallback(scope, action, ...args)).toBe(expected);
    expect(decodeCallback(expected)).toEqual({ scope, action, args: args.map(String) });
  });

  it.each<[string, string, (string | number)[]]>([
    ["Task", "pause", [1]],
    ["task", "pa use", [1]],
    ["task", "pause", ["a:b"]],
    ["task", "pause", [""]],
    ["task", "pause", [-1]],
    ["task", "pause", [1.5]],
    ["task", "pause", ["Коледино"]],
    ["1task", "pause", [1]],
    ["task", "pause", ["x".repeat(60)]],
  ])("throws on %s %s %j", (scope, action, args) => {
    expect(() => encodeCallback(scope, action, ...args)).toThrow(RangeError);
  });
});

describe("decodeCallback", () => {
  it.each([
    "",
    "task",
    "task:",
    ":pause",
    "task::1",
    "task:pause:",
    "task:pause:1:",
    "TASK:pause:1",
    "task:pause:1 ",
    "task:pause:ё",
    "task:pause:<b>",
    "task:pause:1/2",
    "1task:pause",
    "task:9pause",
    "task:pa-use:1",
    `task:pause:${"1".repeat(60)}`,
    "task:pause:\u0000",
  ])("rejects %j", (data) => {
    expect(decodeCallback(data)).toBeNull();
  });

  it.each([null, undefined, 1, {}, []])("rejects non-string %j", (v) => {
    expect(decodeCallback(v)).toBeNull();
  });

  it("accepts exactly 64 bytes", () => {
    const data = `t:a:${"1".repeat(60)}`;
    expect(data.length).toBe(64);
    expect(decodeCallback(data)?.args).toEqual(["1".repeat(60)]);
  });

  it("decodes calendar data generically too", () => {
    expect(decodeCallback("cal:pick:2026:12:5")).toEqual({ scope: "cal", action: "pick", args: ["2026", "12", "5"] });
  });

  it("fuzz: never throws on random strings", () => {
    let seed = 987;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = "task:pause0123456789_.-:Aё \n🎉";
    for (let i = 0; i < 500; i++) {
      let s = "";
      const len = rnd(70);
      for (let j = 0; j < len; j++) s += alphabet[rnd(alphabet.length)];
      expect(() => decodeCallback(s)).not.toThrow();
      const d = decodeCallback(s);
      if (d) expect(encodeCallback(d.scope, d.action, ...d.args)).toBe(s);
    }
  });
});

describe("parseCallbackId / isCallbackArg", () => {
  it.each([
    ["123", 123],
    ["0", 0],
    ["007", null],
    ["-1", null],
    ["1.0", null],
    ["", null],
    [undefined, null],
    ["99999999999999999", null],
    ["2147483647", 2147483647],
    ["2147483648", null],
    ["9007199254740991", null],
  ])("%j → %j", (arg, id) => {
    expect(parseCallbackId(arg)).toBe(id);
  });
  it("isCallbackArg", () => {
    expect(isCallbackArg("p5")).toBe(true);
    expect(isCallbackArg("a:b")).toBe(false);
  });
});
