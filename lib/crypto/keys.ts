/**
 * Key material: raw 32-byte keys (from `disco keygen`), keys derived from a password, channel ids and key
 * ids. WebCrypto only; nothing here is hand-written cryptography.
 */
import { KeyError } from "./errors.ts";

/** Bytes in a raw key. */
export const KEY_BYTES = 32;
/** Bytes in a channel id on the wire. */
export const CHANNEL_ID_BYTES = 4;
/** Bytes in a key id on the wire. */
export const KEY_ID_BYTES = 4;
/** PBKDF2-SHA-256 iterations for password-derived keys (OWASP 2023 guidance for SHA-256). */
export const PBKDF2_ITERATIONS = 600_000;

const enc = new TextEncoder();

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
}

/**
 * The channel id for a magic: the first 4 bytes of SHA-256("disco/1 channel\0" || magic). Frames carry it
 * so foreign channels are dropped before any decryption, and the magic itself never travels.
 * @param magic the channel name
 * @returns 4 bytes
 */
export async function deriveChannelId(magic: string): Promise<Uint8Array<ArrayBuffer>> {
  return (await sha256(concat(enc.encode("disco/1 channel\0"), enc.encode(magic)))).slice(0, CHANNEL_ID_BYTES);
}

/**
 * The PBKDF2 salt for a channel: SHA-256("disco/1 salt\0" || magic), so the same password on two channels
 * gives two unrelated keys.
 */
export async function deriveSalt(magic: string): Promise<Uint8Array<ArrayBuffer>> {
  return sha256(concat(enc.encode("disco/1 salt\0"), enc.encode(magic)));
}

/** Options for {@link deriveKeyFromPassword}. */
export interface DeriveOptions {
  /** PBKDF2 iterations. @default 600000 */
  iterations?: number;
}

/**
 * Derives a raw 32-byte key from a password with PBKDF2-SHA-256 and a salt bound to the channel.
 * Slow on purpose (≈ 0.3 s on a laptop, seconds on a Pi): derive once at start-up.
 * @param password the shared password
 * @param magic the channel name (binds the salt)
 * @returns 32 raw key bytes
 * @throws {RangeError} when iterations is below 1
 */
export async function deriveKeyFromPassword(password: string, magic: string, options: DeriveOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
  const iterations = options.iterations ?? PBKDF2_ITERATIONS;
  if (!(iterations >= 1)) throw new RangeError(`iterations must be at least 1, got ${iterations}`);
  return pbkdf2Sha256(enc.encode(password), await deriveSalt(magic), iterations, KEY_BYTES);
}

/**
 * PBKDF2-HMAC-SHA-256 (RFC 8018), through WebCrypto.
 * @returns `lengthBytes` derived bytes
 */
export async function pbkdf2Sha256(password: Uint8Array<ArrayBuffer>, salt: Uint8Array<ArrayBuffer>, iterations: number, lengthBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const base = await crypto.subtle.importKey("raw", password, "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, lengthBytes * 8);
  return new Uint8Array(bits);
}

/**
 * HKDF-SHA-256 (RFC 5869), through WebCrypto.
 * @returns `lengthBytes` derived bytes
 */
export async function hkdfSha256(ikm: Uint8Array<ArrayBuffer>, salt: Uint8Array<ArrayBuffer>, info: Uint8Array<ArrayBuffer>, lengthBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const base = await crypto.subtle.importKey("raw", ikm, "HKDF", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "HKDF", hash: "SHA-256", salt, info }, base, lengthBytes * 8);
  return new Uint8Array(bits);
}

/**
 * Decodes key text as printed by `disco keygen`: standard or URL-safe base64 (32 bytes), or 64 hex digits.
 * @returns 32 bytes
 * @throws {KeyError} when the text is not a 32-byte key
 */
export function decodeKey(text: string): Uint8Array<ArrayBuffer> {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Uint8Array.from(t.match(/../g)!, (h) => parseInt(h, 16));
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const bytes = Uint8Array.from(atob(t.replace(/-/g, "+").replace(/_/g, "/").padEnd(44, "=")), (c) => c.charCodeAt(0));
    if (bytes.length === KEY_BYTES) return bytes;
  }
  throw new KeyError(`a key must be 32 bytes as 44 base64 characters or 64 hex digits (as printed by 'disco keygen'); got ${t.length} characters`);
}

/**
 * Encodes a key as `disco keygen` prints it (standard base64, 44 characters).
 * @throws {KeyError} unless the key is 32 bytes
 */
export function encodeKey(key: Uint8Array): string {
  if (key.length !== KEY_BYTES) throw new KeyError(`a key is ${KEY_BYTES} bytes, got ${key.length}`);
  return btoa(String.fromCharCode(...key));
}

/** A fresh random 32-byte key from the system CSPRNG. */
export function generateKey(): Uint8Array<ArrayBuffer> {
  return crypto.getRandomValues(new Uint8Array(KEY_BYTES));
}
