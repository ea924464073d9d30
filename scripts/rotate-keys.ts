/**
 * `pnpm rotate-keys`: re-encrypts every stored credential from ENCRYPTION_KEY
 * (the current key) to NEW_ENCRYPTION_KEY. Run it, then deploy with
 * ENCRYPTION_KEY set to the new key. Safe to run again after a crash.
 */
import { coreSchema, loadConfigOrExit } from "@wbslots/config";
import { parseMasterKey } from "@wbslots/crypto";
import { createRepositories, rotateCredentialKeys } from "@wbslots/db";

const config = loadConfigOrExit(coreSchema.pick({ DATABASE_URL: true, ENCRYPTION_KEY: true }).extend({ NEW_ENCRYPTION_KEY: coreSchema.shape.ENCRYPTION_KEY }));
const oldKey = parseMasterKey(config.ENCRYPTION_KEY);
const newKey = parseMasterKey(config.NEW_ENCRYPTION_KEY);
const repos = createRepositories({ databaseUrl: config.DATABASE_URL, masterKey: oldKey });
try {
  const report = await rotateCredentialKeys(repos.apiKeys, oldKey, newKey);
  console.log(`rotated ${report.rotated} of ${report.total} credentials (${report.alreadyNew} were already under the new key)`);
  console.log("now set ENCRYPTION_KEY to the new key and restart the bot and workers");
} finally {
  await repos.close();
}
