/**
 * The keyring: every key a node accepts, the first one seals. AES-256-GCM with a 96-bit nonce and the frame
 * header as additional data. Each raw key is expanded with HKDF into a per-purpose AEAD key, so the same
 * key can serve discovery and beacons without ever reusing a (key, nonce) pair across purposes by accident.
 */
import { bytesEqual } from "../bytes.ts";
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
 * AES-256-GCM encrypt. The inputs may be views into larger buffers: WebCrypto copies them when called.
 * @returns ciphertext with the 16-byte tag appended
 */
export function sealAesGcm(key: CryptoKey, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  // Plain promise chains rather than async functions: this is on every datagram's path.
  return crypto.subtle.encrypt(gcmParams(nonce, aad), key, plaintext as Uint8Array<ArrayBuffer>).then(toBytes);
}

/**
 * AES-256-GCM decrypt and verify. The inputs may be views into larger buffers: WebCrypto copies them when
 * called.
 * @throws {OpenError} with reason `auth` when the tag does not verify
 */
export function openAesGcm(key: CryptoKey, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  return crypto.subtle.decrypt(gcmParams(nonce, aad), key, sealed as Uint8Array<ArrayBuffer>).then(toBytes, notAuthentic);
}

function gcmParams(nonce: Uint8Array, aad: Uint8Array): Parameters<SubtleCrypto["encrypt"]>[0] {
  return { name: "AES-GCM", iv: nonce as Uint8Array<ArrayBuffer>, additionalData: aad as Uint8Array<ArrayBuffer>, tagLength: 128 };
}

function toBytes(b: ArrayBuffer): Uint8Array<ArrayBuffer> {
  return new Uint8Array(b);
}

function notAuthentic(err: unknown): never {
  throw new OpenError("auth", "the frame did not authenticate (wrong key or altered bytes)", { cause: err });
}

/** Finds the key with this id. */
export function findKey(ring: Keyring, id: Uint8Array): RingKey | undefined {
  // A plain loop: this runs for every sealed datagram received.
  for (const k of ring.keys) if (bytesEqual(k.id, id)) return k;
  return undefined;
}

/**
 * The key with this id.
 * @throws {OpenError} `unknown-key` when the keyring has none
 */
export function requireKey(ring: Keyring, id: Uint8Array): RingKey {
  const key = findKey(ring, id);
  if (!key) throw new OpenError("unknown-key", "the frame names a key this node does not have");
  return key;
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
export function openWithKeyring(ring: Keyring, keyId: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  try {
    return openAesGcm(requireKey(ring, keyId).aead, nonce, aad, sealed);
  } catch (err) {
    return Promise.reject(err);
  }
}
