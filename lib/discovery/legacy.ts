/**
 * PyDiscover wire compatibility (opt-in, insecure). Its request is `magic + str(time.time())`; its answer is
 * `magic + "#OK#" + json` (or `magic + "#ERROR#" + text`). With a password both are encrypted with
 * AES-256-CTR (pyaes `AESModeOfOperationCTR`, whose default counter is the 16-byte big-endian integer 1)
 * under the password right-padded with '0' or cut to 32 characters; without one they are plain UTF-8.
 * There is no authentication: anyone who sees one frame can forge others. Use it only to migrate.
 *
 * Text helpers are pure; {@link legacyCrypt} runs AES-256-CTR synchronously through `node:crypto`.
 */
import { createCipheriv, createSecretKey, type KeyObject } from "node:crypto";
import { pyJsonDumps, pyNumber, type JsonValue } from "../python/index.ts";
import { ProtocolError } from "./errors.ts";

/** PyDiscover's servers reject requests older than this. */
export const LEGACY_MAX_AGE_MS = 20_000;
/** PyDiscover's default magic. */
export const LEGACY_DEFAULT_MAGIC = "fna349fn";
/** pyaes' default initial counter block: the integer 1, 16 bytes big-endian. */
export const LEGACY_COUNTER = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: false });

/**
 * The key PyDiscover derives from a password: right-padded with '0' or cut to 32 characters, UTF-8.
 * @returns 32 bytes
 * @throws {RangeError} when the password is empty or not ASCII (PyDiscover could not use it either)
 */
export function legacyKeyBytes(password: string): Uint8Array<ArrayBuffer> {
  if (password.length === 0) throw new RangeError("a legacy password cannot be empty");
  const text = password.length < 32 ? password + "0".repeat(32 - password.length) : password.slice(0, 32);
  const bytes = enc.encode(text);
  if (bytes.length !== 32) throw new RangeError("a legacy (PyDiscover) password must be ASCII: pyaes accepts only a 32-byte key");
  return bytes;
}

/** A PyDiscover AES-256-CTR key, from {@link importLegacyKey}. */
export type LegacyKey = KeyObject;

/**
 * Imports a legacy key for AES-CTR.
 * @throws {RangeError} as {@link legacyKeyBytes}
 */
export function importLegacyKey(password: string): LegacyKey {
  return createSecretKey(legacyKeyBytes(password));
}

/**
 * Encrypts or decrypts (CTR is symmetric) with the legacy key; without a key returns the bytes as they are.
 * Synchronous (`node:crypto`): it runs for every legacy datagram.
 * @param key from {@link importLegacyKey}, or undefined for "no password"
 * @returns new bytes (with a key), or `bytes` itself (without)
 */
export function legacyCrypt<T extends Uint8Array>(key: LegacyKey | undefined, bytes: T): T | Uint8Array<ArrayBuffer> {
  if (!key) return bytes;
  const cipher = createCipheriv("aes-256-ctr", key, LEGACY_COUNTER);
  const out = cipher.update(bytes);
  cipher.final(); // CTR is a stream mode: final() adds no bytes
  return new Uint8Array(out.buffer as ArrayBuffer, out.byteOffset, out.byteLength);
}

/** Decodes bytes as PyDiscover does (`bytes.decode(errors="ignore")`: invalid sequences are dropped). */
export function legacyDecodeText(bytes: Uint8Array): string {
  return dec.decode(bytes).replace(/\uFFFD/g, "");
}

/**
 * A legacy request's text.
 * @param magic the channel
 * @param timeMs the sender's unix time in ms (sent as seconds, as Python's `str(float)`)
 */
export function encodeLegacyRequest(magic: string, timeMs: number): string {
  return `${magic}${pyNumber(timeMs / 1000, true)}`;
}

const PY_FLOAT = /^\s*[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\s*$/;

/** What a legacy request said. */
export type LegacyRequest =
  | { readonly kind: "ok"; readonly timeMs: number }
  | { readonly kind: "foreign" } // does not start with the magic (other channel or other password)
  | { readonly kind: "bad-time" }; // starts with the magic but no number follows

/** Parses a decrypted legacy request. */
export function parseLegacyRequest(text: string, magic: string): LegacyRequest {
  if (!text.startsWith(magic)) return { kind: "foreign" };
  const rest = text.slice(magic.length);
  if (!PY_FLOAT.test(rest)) return { kind: "bad-time" };
  const t = Number(rest.trim());
  return Number.isFinite(t) ? { kind: "ok", timeMs: t * 1000 } : { kind: "bad-time" };
}

/** A legacy answer's text: `magic#OK#json` (Python `json.dumps` formatting). */
export function encodeLegacyAnswer(magic: string, services: Readonly<Record<string, unknown>>): string {
  // Services come from TOML (dates included): JSON.stringify gives them their JSON form first.
  return `${magic}#OK#${pyJsonDumps(JSON.parse(JSON.stringify(services)) as JsonValue)}`;
}

/** A legacy error's text: `magic#ERROR#message`. */
export function encodeLegacyError(magic: string, message: string): string {
  return `${magic}#ERROR#${message}`;
}

/** What a legacy answer said. */
export type LegacyAnswer =
  | { readonly kind: "ok"; readonly services: Readonly<Record<string, unknown>> }
  | { readonly kind: "error"; readonly message: string };

/**
 * Parses a decrypted legacy answer.
 * @throws {ProtocolError} `legacy` when it does not start with the magic or its JSON is not an object
 */
export function parseLegacyAnswer(text: string, magic: string): LegacyAnswer {
  if (!text.startsWith(magic)) throw new ProtocolError("legacy", "legacy answer does not start with the magic (other channel or password)");
  const rest = text.slice(magic.length);
  if (rest.startsWith("#ERROR#")) return { kind: "error", message: rest.slice(7) };
  if (!rest.startsWith("#OK#")) throw new ProtocolError("legacy", "legacy answer is neither #OK# nor #ERROR#");
  let v: unknown;
  try {
    v = JSON.parse(rest.slice(4));
  } catch (err) {
    throw new ProtocolError("legacy", "legacy answer's JSON does not parse", { cause: err });
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new ProtocolError("legacy", "legacy answer's JSON is not an object");
  return { kind: "ok", services: v as Record<string, unknown> };
}
