/** Key derivation (WebCrypto, at start-up), keyrings, AES-256-GCM sealing (node:crypto, per datagram) and replay memory. */
export { CryptoError, KeyError, OpenError } from "./errors.ts";
export {
  CHANNEL_ID_BYTES,
  KEY_BYTES,
  KEY_ID_BYTES,
  PBKDF2_ITERATIONS,
  decodeKey,
  deriveChannelId,
  deriveKeyFromPassword,
  deriveSalt,
  encodeKey,
  generateKey,
  hkdfSha256,
  pbkdf2Sha256,
  type DeriveOptions,
} from "./keys.ts";
export {
  NONCE_BYTES,
  TAG_BYTES,
  createKeyring,
  findKey,
  findKeyAt,
  importAeadKey,
  openAesGcmAt,
  openAesGcmSync,
  openWithKeyringSync,
  randomNonce,
  requireKey,
  sealAesGcmInto,
  sealAesGcmSync,
  sealingKey,
  aeadBackend,
  forceNodeCrypto,
  type AeadKey,
  type Keyring,
  type RingKey,
} from "./keyring.ts";
export { collectRawKeys, parseKeyFile, parsePasswordFile, type KeyFileEntry, type SecretMaterial } from "./keyfile.ts";
export { CHALLENGE_BYTES, ChallengeTable, type ChallengeBinding, type ChallengeTableOptions, type RedeemRefusal } from "./challenge.ts";
export { ReplayCache, type ReplayCacheOptions } from "./replay.ts";
