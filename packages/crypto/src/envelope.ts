import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

/** Envelope format version 1: [version(1) | keyId(4) | salt(16) | iv(12) | tag(16) | ciphertext]. */
const VERSION = 1;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_BYTES = 4;
const HEADER_BYTES = 1 + KEY_ID_BYTES + SALT_BYTES + IV_BYTES + TAG_BYTES;

/** The stored secret could not be decrypted: tampered, truncated or under another master key. */
export class DecryptionError extends Error {
  override readonly name = "DecryptionError";
  constructor(reason: string) {
    super(`cannot decrypt stored secret: ${reason}`);
  }
}

/** The master key is not 32 bytes of base64. */
export class InvalidMasterKeyError extends Error {
  override readonly name = "InvalidMasterKeyError";
}

/** A parsed master key with its short public id (first 4 bytes of its SHA-256 HMAC). */
export interface MasterKey {
  readonly bytes: Buffer;
  /** Identifies which master key sealed an envelope, so rotation can tell old from new. */
  readonly id: Buffer;
}

/**
 * Parses `ENCRYPTION_KEY` (base64 of 32 random bytes).
 * @throws InvalidMasterKeyError when it is not exactly 32 bytes
 */
export function parseMasterKey(base64: string): MasterKey {
  const bytes = Buffer.from(base64, "base64");
  if (bytes.length !== 32) throw new InvalidMasterKeyError(`ENCRYPTION_KEY must be 32 bytes of base64, got ${bytes.length} bytes`);
  const id = createHmac("sha256", bytes).update("wbslots:key-id").digest().subarray(0, KEY_ID_BYTES);
  return { bytes, id };
}

function deriveKey(master: MasterKey, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync("sha256", master.bytes, salt, "wbslots:secret:v1", 32));
}

/**
 * Encrypts a secret with AES-256-GCM under a per-secret key derived by HKDF
 * from the master key and a fresh random salt; the IV is random too.
 * @returns a versioned base64 envelope
 */
export function encryptSecret(master: MasterKey, plaintext: string): string {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", deriveKey(master, salt), iv);
  const header = Buffer.concat([Buffer.from([VERSION]), master.id, salt, iv]);
  cipher.setAAD(header);
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return Buffer.concat([header, tag, ciphertext]).toString("base64");
}

/**
 * Tells which master key sealed an envelope without decrypting it.
 * @returns true when `master` sealed it
 */
export function isSealedWith(master: MasterKey, envelope: string): boolean {
  const raw = Buffer.from(envelope, "base64");
  if (raw.length < HEADER_BYTES) return false;
  return timingSafeEqual(raw.subarray(1, 1 + KEY_ID_BYTES), master.id);
}

/**
 * Decrypts an envelope made by {@link encryptSecret}.
 * @throws DecryptionError on any tampering, truncation or a wrong master key
 */
export function decryptSecret(master: MasterKey, envelope: string): string {
  const raw = Buffer.from(envelope, "base64");
  if (raw.length < HEADER_BYTES) throw new DecryptionError("envelope too short");
  const version = raw[0];
  if (version !== VERSION) throw new DecryptionError(`unknown envelope version ${String(version)}`);
  const keyId = raw.subarray(1, 1 + KEY_ID_BYTES);
  if (!timingSafeEqual(keyId, master.id)) throw new DecryptionError("sealed under another master key");
  const saltStart = 1 + KEY_ID_BYTES;
  const salt = raw.subarray(saltStart, saltStart + SALT_BYTES);
  const iv = raw.subarray(saltStart + SALT_BYTES, saltStart + SALT_BYTES + IV_BYTES);
  const tag = raw.subarray(saltStart + SALT_BYTES + IV_BYTES, HEADER_BYTES);
  const ciphertext = raw.subarray(HEADER_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", deriveKey(master, salt), iv);
  decipher.setAAD(raw.subarray(0, saltStart + SALT_BYTES + IV_BYTES));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch {
    throw new DecryptionError("authentication failed (tampered or corrupted)");
  }
}

/**
 * A keyed fingerprint of a secret for duplicate detection: HMAC-SHA256 under a
 * key derived from the master key. Equal secrets give equal fingerprints; the
 * fingerprint reveals nothing about the secret without the master key.
 * @returns hex digest
 */
export function fingerprintSecret(master: MasterKey, plaintext: string): string {
  const key = Buffer.from(hkdfSync("sha256", master.bytes, Buffer.alloc(0), "wbslots:fingerprint:v1", 32));
  return createHmac("sha256", key).update(plaintext.trim(), "utf8").digest("hex");
}
