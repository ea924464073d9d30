import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { DecryptionError, decryptSecret, encryptSecret, fingerprintSecret, isSealedWith, parseMasterKey, InvalidMasterKeyError } from "./index";

const master = parseMasterKey(randomBytes(32).toString("base64"));
const other = parseMasterKey(randomBytes(32).toString("base64"));
const secret = "eyJhbGciOiJFUzI1NiJ9.eyJhY2MiOjMsInNpZCI6IjEyMyJ9.c2lnbmF0dXJl";

describe("secret envelope", () => {
  it("round-trips, including unicode", () => {
    expect(decryptSecret(master, encryptSecret(master, secret))).toBe(secret);
    expect(decryptSecret(master, encryptSecret(master, "ключ 🔑"))).toBe("ключ 🔑");
  });

  it("two encryptions of one plaintext differ (random salt and IV)", () => {
    const a = encryptSecret(master, secret);
    const b = encryptSecret(master, secret);
    expect(a).not.toBe(b);
    expect(a).not.toContain(secret);
  });

  it.each([
    ["the version byte", 0],
    ["the key id", 2],
    ["the salt", 8],
    ["the iv", 24],
    ["the tag", 36],
    ["the ciphertext", 60],
  ])("fails loudly when %s is tampered", (_what, offset) => {
    const raw = Buffer.from(encryptSecret(master, secret), "base64");
    raw[offset] = (raw[offset] ?? 0) ^ 0xff;
    expect(() => decryptSecret(master, raw.toString("base64"))).toThrow(DecryptionError);
  });

  it("fails on a truncated envelope", () => {
    const raw = Buffer.from(encryptSecret(master, secret), "base64");
    expect(() => decryptSecret(master, raw.subarray(0, 20).toString("base64"))).toThrow(DecryptionError);
  });

  it("fails under a wrong master key and tells which key sealed it", () => {
    const envelope = encryptSecret(master, secret);
    expect(() => decryptSecret(other, envelope)).toThrow(DecryptionError);
    expect(isSealedWith(master, envelope)).toBe(true);
    expect(isSealedWith(other, envelope)).toBe(false);
  });

  it("fingerprints are stable per key and differ across keys and secrets", () => {
    expect(fingerprintSecret(master, secret)).toBe(fingerprintSecret(master, ` ${secret} `));
    expect(fingerprintSecret(master, secret)).not.toBe(fingerprintSecret(other, secret));
    expect(fingerprintSecret(master, secret)).not.toBe(fingerprintSecret(master, `${secret}x`));
    expect(fingerprintSecret(master, secret)).not.toContain(secret.slice(0, 10));
  });

  it("rejects a master key that is not 32 bytes", () => {
    expect(() => parseMasterKey(randomBytes(16).toString("base64"))).toThrow(InvalidMasterKeyError);
  });
});
