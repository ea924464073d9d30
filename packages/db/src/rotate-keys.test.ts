import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DecryptionError, parseMasterKey } from "@wbslots/crypto";
import { testDatabase } from "@wbslots/testkit/vitest";
import { createRepositories, rotateCredentialKeys, type Repositories } from "./index";

const oldKey = parseMasterKey(randomBytes(32).toString("base64"));
const newKey = parseMasterKey(randomBytes(32).toString("base64"));
let before: Repositories;
let drop: () => Promise<void>;
let url: string;

beforeAll(async () => {
  const db = await testDatabase();
  drop = db.drop;
  url = db.url;
  before = createRepositories({ databaseUrl: url, masterKey: oldKey });
});
afterAll(async () => {
  await before.close();
  await drop();
});

describe("rotate-keys", () => {
  it("re-encrypts every secret under the new key, idempotently", async () => {
    await before.users.register({ id: 1n }, 2);
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1) ids.push((await before.apiKeys.create({ userId: 1n, kind: "OFFICIAL_TOKEN", name: `k${i}`, secret: `secret-${i}` })).id);
    expect(await rotateCredentialKeys(before.apiKeys, oldKey, newKey)).toEqual({ rotated: 3, alreadyNew: 0, total: 3 });
    expect(await rotateCredentialKeys(before.apiKeys, oldKey, newKey)).toEqual({ rotated: 0, alreadyNew: 3, total: 3 });
    const after = createRepositories({ databaseUrl: url, masterKey: newKey });
    try {
      expect((await after.apiKeys.reveal(ids[1] ?? ""))?.secret).toBe("secret-1");
      expect(await after.apiKeys.exists(1n, "secret-2")).toBe(true);
      await expect(before.apiKeys.reveal(ids[0] ?? "")).rejects.toBeInstanceOf(DecryptionError);
    } finally {
      await after.close();
    }
  });
});
