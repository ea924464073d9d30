export {
  encryptSecret,
  decryptSecret,
  fingerprintSecret,
  parseMasterKey,
  isSealedWith,
  DecryptionError,
  InvalidMasterKeyError,
  type MasterKey,
} from "./envelope";
