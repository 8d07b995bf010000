/**
 * The keyring: every key a node accepts, the first one seals. AES-256-GCM with a 96-bit nonce and the frame
 * header as additional data. Each raw key is expanded with HKDF into a per-purpose AEAD key, so the same
 * key can serve discovery and beacons without ever reusing a (key, nonce) pair across purposes by accident.
 *
 * Per-datagram AES-GCM runs synchronously: through the system's OpenSSL with a context per key, which keeps
 * its key schedule (`_libcrypto.ts`), or, where that library is missing, through `node:crypto` (BoringSSL in
 * Bun), which builds a cipher per call. Both give the same bytes. WebCrypto hands every call to a worker
 * thread and back, which held the sealed paths to about a third of a bare socket; it stays for the start-up
 * work (HKDF, PBKDF2).
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { forceNodeCrypto, loadLibcrypto, LIBCRYPTO_PATH, type NativeGcm } from "./_libcrypto.ts";
import { bytesEqual } from "../bytes.ts";
import { OpenError, KeyError } from "./errors.ts";
import { hkdfSha256, KEY_BYTES, KEY_ID_BYTES } from "./keys.ts";

export { forceNodeCrypto };

/** Bytes in an AES-GCM nonce. */
export const NONCE_BYTES = 12;
/** Bytes in an AES-GCM tag (appended to the ciphertext). */
export const TAG_BYTES = 16;

const enc = new TextEncoder();

/** A 32-byte AES-256-GCM key for the synchronous functions. */
export interface AeadKey {
  /** The key for `node:crypto`. */
  readonly object: KeyObject;
  /** OpenSSL contexts with the key schedule done, when libcrypto is there. */
  readonly native: NativeGcm | undefined;
}

/** Which implementation seals and opens datagrams in this process: for logs and `--version`. */
export function aeadBackend(): string {
  return loadLibcrypto() ? `OpenSSL (${LIBCRYPTO_PATH})` : "node:crypto";
}

/** One usable key: its public id and the AEAD key. */
export interface RingKey {
  /** 4-byte id, sent in clear so receivers pick the right key without trial decryption. */
  readonly id: Uint8Array;
  readonly aead: AeadKey;
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
    keys.push({ id, aead: importAeadKey(aeadBytes) });
  }
  return { purpose, keys };
}

/**
 * Wraps 32 raw bytes as a key for {@link sealAesGcmSync} / {@link openAesGcmSync}.
 * @throws {KeyError} unless the key is 32 bytes
 */
export function importAeadKey(raw: Uint8Array): AeadKey {
  if (raw.length !== KEY_BYTES) throw new KeyError(`an AES-256 key is ${KEY_BYTES} bytes, got ${raw.length}`);
  return { object: createSecretKey(raw), native: loadLibcrypto()?.gcm(raw) };
}

/** Nonces handed out from one CSPRNG fill, 256 at a time. */
const NONCES_PER_BLOCK = 256;
let nonceBlock = new Uint8Array(0);
let nonceOffset = 0;

/** A fresh random 96-bit nonce (from the system CSPRNG, drawn 256 nonces at a time: it runs per datagram). */
export function randomNonce(): Uint8Array<ArrayBuffer> {
  if (nonceOffset + NONCE_BYTES > nonceBlock.length) {
    nonceBlock = crypto.getRandomValues(new Uint8Array(NONCE_BYTES * NONCES_PER_BLOCK));
    nonceOffset = 0;
  }
  const nonce = nonceBlock.slice(nonceOffset, nonceOffset + NONCE_BYTES); // a copy: cheaper than a view in Bun
  nonceOffset += NONCE_BYTES;
  return nonce;
}

/**
 * AES-256-GCM encrypt, synchronously (`node:crypto`). The inputs may be views into larger buffers.
 * @param key from {@link importAeadKey} (a ring key's `aead`)
 * @param nonce 12 bytes
 * @returns ciphertext with the 16-byte tag appended
 */
export function sealAesGcmSync(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(plaintext.length + TAG_BYTES);
  sealAesGcmInto(key, nonce, aad, plaintext, out, 0);
  return out;
}

/**
 * {@link sealAesGcmSync}, writing the ciphertext and tag into `out` at `offset` (a datagram being built).
 * @returns the offset after the tag
 * @throws {RangeError} when `out` is too short
 */
export function sealAesGcmInto(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): number {
  const end = offset + plaintext.length + TAG_BYTES;
  if (out.length < end) throw new RangeError(`need ${end - offset} bytes at offset ${offset}, have ${out.length - offset}`);
  if (key.native && nonce.length === NONCE_BYTES) {
    key.native.sealInto(nonce, aad, plaintext, out, offset);
    return end;
  }
  const cipher = createCipheriv("aes-256-gcm", key.object, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  out.set(cipher.update(plaintext), offset);
  cipher.final(); // GCM is a stream mode: final() adds no bytes
  out.set(cipher.getAuthTag(), offset + plaintext.length);
  return end;
}

/**
 * AES-256-GCM decrypt and verify, synchronously (`node:crypto`). The inputs may be views into larger buffers.
 * @param sealed ciphertext with the 16-byte tag appended
 * @returns the plaintext (its own buffer)
 * @throws {OpenError} with reason `auth` when the tag does not verify (or `sealed` is shorter than a tag)
 */
export function openAesGcmSync(key: AeadKey, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array<ArrayBuffer> {
  if (sealed.length < TAG_BYTES) throw new OpenError("auth", "the sealed bytes are shorter than the tag");
  const end = sealed.length - TAG_BYTES;
  if (key.native && nonce.length === NONCE_BYTES) {
    return key.native.open(nonce, 0, aad, aad.length, sealed, 0, end) ?? notAuthentic(undefined);
  }
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.object, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.subarray(end));
    const plain = decipher.update(sealed.subarray(0, end));
    decipher.final(); // throws when the tag does not verify; nothing is returned before that
    // A plain Uint8Array (not a Buffer, whose slice() is a view): a copy is cheaper than reaching .buffer.
    return new Uint8Array(plain);
  } catch (err) {
    return notAuthentic(err);
  }
}

/**
 * Opens a sealed datagram in place, for receive loops: the 12-byte nonce at `nonceAt`, the AAD
 * `datagram[0, aadBytes)`, then the ciphertext and the 16-byte tag up to the end. Four views of the datagram
 * and no copy of the plaintext; a frame that does not authenticate costs no error of ours (a forged flood).
 * @param key from {@link importAeadKey} (a ring key's `aead`)
 * @returns the plaintext (a Buffer of its own: its slice() is a view), or undefined when it does not
 *   authenticate or is shorter than its AAD and tag
 */
export function openAesGcmAt(key: AeadKey, datagram: Uint8Array, nonceAt: number, aadBytes: number): Uint8Array | undefined {
  const end = datagram.length - TAG_BYTES;
  if (aadBytes < 0 || end < aadBytes || nonceAt < 0 || nonceAt + NONCE_BYTES > datagram.length) return undefined;
  if (key.native) return key.native.open(datagram, nonceAt, datagram, aadBytes, datagram, aadBytes, end);
  try {
    const decipher = createDecipheriv("aes-256-gcm", key.object, datagram.subarray(nonceAt, nonceAt + NONCE_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(datagram.subarray(0, aadBytes));
    decipher.setAuthTag(datagram.subarray(end));
    const plain = decipher.update(datagram.subarray(aadBytes, end));
    decipher.final(); // throws when the tag does not verify; nothing is returned before that
    return plain;
  } catch {
    return undefined;
  }
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
 * The key whose 4-byte id `bytes` holds at `offset`, compared in place (no view: this runs per datagram).
 * @returns the key, or undefined when the ring has none with that id (or the bytes end first)
 */
export function findKeyAt(ring: Keyring, bytes: Uint8Array, offset: number): RingKey | undefined {
  if (offset + KEY_ID_BYTES > bytes.length) return undefined;
  for (const k of ring.keys) {
    const id = k.id;
    if (bytes[offset] === id[0] && bytes[offset + 1] === id[1] && bytes[offset + 2] === id[2] && bytes[offset + 3] === id[3]) return k;
  }
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
 * Opens a frame sealed with one of the keyring's keys, synchronously.
 * @param keyId the 4-byte key id from the frame
 * @throws {OpenError} `unknown-key` when no key has that id, `auth` when the tag does not verify
 */
export function openWithKeyringSync(ring: Keyring, keyId: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array<ArrayBuffer> {
  return openAesGcmSync(requireKey(ring, keyId).aead, nonce, aad, sealed);
}
