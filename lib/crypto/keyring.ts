/**
 * The keyring: every key a node accepts, the first one seals. AES-256-GCM with a 96-bit nonce and the frame
 * header as additional data. Each raw key is expanded with HKDF into a per-purpose AEAD key, so the same
 * key can serve discovery and beacons without ever reusing a (key, nonce) pair across purposes by accident.
 */
import { OpenError, KeyError } from "./errors.ts";
import { hkdfSha256, KEY_BYTES, KEY_ID_BYTES } from "./keys.ts";

/** Bytes in an AES-GCM nonce. */
export const NONCE_BYTES = 12;
/** Bytes in an AES-GCM tag (appended to the ciphertext). */
export const TAG_BYTES = 16;

const enc = new TextEncoder();

/** One usable key: its public id and the AEAD key. */
export interface RingKey {
  /** 4-byte id, sent in clear so receivers pick the right key without trial decryption. */
  readonly id: Uint8Array;
  readonly aead: CryptoKey;
}

/** A set of keys for one purpose; the first seals, all open. */
export interface Keyring {
  /** Purpose label the keys were expanded for, e.g. "discovery". */
  readonly purpose: string;
  readonly keys: readonly RingKey[];
}

/**
 * Builds a keyring from raw 32-byte keys.
 * @param rawKeys one or more 32-byte keys; the first seals
 * @param purpose a label that separates uses of the same key ("discovery", "beacon")
 * @returns the keyring
 * @throws {KeyError} when no key is given or a key is not 32 bytes
 */
export async function createKeyring(rawKeys: readonly Uint8Array<ArrayBuffer>[], purpose: string): Promise<Keyring> {
  if (rawKeys.length === 0) throw new KeyError("a keyring needs at least one key");
  const keys: RingKey[] = [];
  for (const raw of rawKeys) {
    if (raw.length !== KEY_BYTES) throw new KeyError(`a key is ${KEY_BYTES} bytes, got ${raw.length}`);
    const salt = enc.encode("disco/1 hkdf");
    const id = (await hkdfSha256(raw, salt, enc.encode(`disco/1 key-id`), KEY_ID_BYTES));
    const aeadBytes = await hkdfSha256(raw, salt, enc.encode(`disco/1 aead ${purpose}`), KEY_BYTES);
    const aead = await crypto.subtle.importKey("raw", aeadBytes, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.push({ id, aead });
  }
  return { purpose, keys };
}

/** A fresh random 96-bit nonce. */
export function randomNonce(): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
}

/**
 * AES-256-GCM encrypt.
 * @returns ciphertext with the 16-byte tag appended
 */
export async function sealAesGcm(key: CryptoKey, nonce: Uint8Array<ArrayBuffer>, aad: Uint8Array<ArrayBuffer>, plaintext: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 }, key, plaintext));
}

/**
 * AES-256-GCM decrypt and verify.
 * @throws {OpenError} with reason `auth` when the tag does not verify
 */
export async function openAesGcm(key: CryptoKey, nonce: Uint8Array<ArrayBuffer>, aad: Uint8Array<ArrayBuffer>, sealed: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return new Uint8Array(await crypto.subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 }, key, sealed));
  } catch (err) {
    throw new OpenError("auth", "the frame did not authenticate (wrong key or altered bytes)", { cause: err });
  }
}

/** Finds the key with this id. */
export function findKey(ring: Keyring, id: Uint8Array): RingKey | undefined {
  return ring.keys.find((k) => k.id.length === id.length && k.id.every((b, i) => b === id[i]));
}

/** The key that seals: the first. */
export function sealingKey(ring: Keyring): RingKey {
  return ring.keys[0]!;
}

/**
 * Opens a frame sealed with one of the keyring's keys.
 * @param keyId the 4-byte key id from the frame
 * @throws {OpenError} `unknown-key` when no key has that id, `auth` when the tag does not verify
 */
export async function openWithKeyring(ring: Keyring, keyId: Uint8Array, nonce: Uint8Array<ArrayBuffer>, aad: Uint8Array<ArrayBuffer>, sealed: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const key = findKey(ring, keyId);
  if (!key) throw new OpenError("unknown-key", "the frame names a key this node does not have");
  return openAesGcm(key.aead, nonce, aad, sealed);
}
