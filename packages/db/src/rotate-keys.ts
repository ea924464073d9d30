import { decryptSecret, encryptSecret, fingerprintSecret, isSealedWith, type MasterKey } from "@wbslots/crypto";
import type { ApiKeyRepository } from "./api-keys";

/** What a rotation did. */
export interface RotationReport {
  rotated: number;
  alreadyNew: number;
  total: number;
}

/**
 * Re-encrypts every stored secret from the old master key to the new one and
 * recomputes fingerprints. Idempotent and resumable: envelopes already sealed
 * with the new key are skipped, so a crash half-way is fixed by running it again.
 * @throws DecryptionError when an envelope is sealed by neither key (nothing after it is touched)
 */
export async function rotateCredentialKeys(apiKeys: ApiKeyRepository, oldKey: MasterKey, newKey: MasterKey): Promise<RotationReport> {
  const envelopes = await apiKeys.allEnvelopes();
  let rotated = 0;
  let alreadyNew = 0;
  for (const { id, encryptedKey } of envelopes) {
    if (isSealedWith(newKey, encryptedKey)) {
      alreadyNew += 1;
      continue;
    }
    const secret = decryptSecret(oldKey, encryptedKey);
    await apiKeys.replaceEnvelope(id, encryptSecret(newKey, secret), fingerprintSecret(newKey, secret));
    rotated += 1;
  }
  return { rotated, alreadyNew, total: envelopes.length };
}
