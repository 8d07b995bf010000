/**
 * The ZMTP 3.x greeting (RFC 23 section "The Greeting", RFC 37 for 3.1): 64 bytes sent by both peers
 * before anything else.
 *
 * ```
 * offset  size  field
 * 0       1     signature start, 0xFF
 * 1       8     padding (libzmq sends 0x00 x7, 0x01: a 1.0-style length that old peers can parse)
 * 9       1     signature end, 0x7F (bit 0 set tells a 2.x/3.x peer from a 1.0 peer)
 * 10      1     major version, 3
 * 11      1     minor version, 0 (ZMTP 3.0) or 1 (ZMTP 3.1)
 * 12      20    mechanism, ASCII, padded with NUL ("NULL", "PLAIN", "CURVE")
 * 32      1     as-server, 0 or 1 (0 for NULL)
 * 33      31    filler, zeros
 * ```
 */
import { FrameError } from "./errors.ts";

/** Length of a ZMTP 3.x greeting. */
export const GREETING_BYTES = 64;
/** Length of the signature (the first part every ZMTP revision shares). */
export const SIGNATURE_BYTES = 10;
/** The only major version disco speaks. */
export const ZMTP_MAJOR = 3;
/** The minor version disco announces (3.1). */
export const ZMTP_MINOR = 1;
/** Length of the mechanism field. */
export const MECHANISM_BYTES = 20;

/** A decoded greeting. */
export interface Greeting {
  readonly major: number;
  readonly minor: number;
  /** Mechanism name with the NUL padding removed. */
  readonly mechanism: string;
  readonly asServer: boolean;
}

/** Result of a streaming decode: a value and the offset after it, or a request for more bytes. */
export type Decoded<T> = { readonly value: T; readonly next: number } | { readonly need: number };

/**
 * Encodes a greeting.
 * @param greeting fields; `major` defaults to 3, `minor` to 1, `mechanism` to "NULL", `asServer` to false
 * @returns 64 bytes
 * @throws {RangeError} when the mechanism is not 1 to 20 ASCII characters
 */
export function encodeGreeting(greeting: Partial<Greeting> = {}): Uint8Array {
  const mechanism = greeting.mechanism ?? "NULL";
  if (mechanism.length < 1 || mechanism.length > MECHANISM_BYTES || !/^[\x21-\x7e]+$/.test(mechanism)) {
    throw new RangeError(`mechanism must be 1 to ${MECHANISM_BYTES} printable ASCII characters, got ${JSON.stringify(mechanism)}`);
  }
  const out = new Uint8Array(GREETING_BYTES);
  out[0] = 0xff;
  out[8] = 0x01;
  out[9] = 0x7f;
  out[10] = greeting.major ?? ZMTP_MAJOR;
  out[11] = greeting.minor ?? ZMTP_MINOR;
  for (let i = 0; i < mechanism.length; i++) out[12 + i] = mechanism.charCodeAt(i);
  out[32] = greeting.asServer ? 1 : 0;
  return out;
}

/**
 * Decodes a greeting from `bytes` at `offset`. Checks the signature as soon as its bytes arrive, so a
 * non-ZMTP peer is refused after its first bytes rather than after 64.
 * @returns the greeting and the offset after it, or `{ need }` bytes still missing
 * @throws {FrameError} on a bad signature or a major version below 3
 */
export function decodeGreeting(bytes: Uint8Array, offset = 0): Decoded<Greeting> {
  const have = bytes.length - offset;
  if (have >= 1 && bytes[offset] !== 0xff) throw new FrameError("not a ZMTP peer: the greeting must start with 0xFF", offset);
  if (have >= SIGNATURE_BYTES && (bytes[offset + 9]! & 0x01) === 0) {
    throw new FrameError("not a ZMTP 3 peer: the signature must end with 0x7F", offset + 9);
  }
  if (have >= 11 && bytes[offset + 10]! < ZMTP_MAJOR) {
    throw new FrameError(`unsupported ZMTP version ${bytes[offset + 10]} (disco speaks 3.0 and 3.1)`, offset + 10);
  }
  if (have < GREETING_BYTES) return { need: GREETING_BYTES - have };
  let end = offset + 12;
  while (end < offset + 32 && bytes[end] !== 0) end++;
  let mechanism = "";
  for (let i = offset + 12; i < end; i++) mechanism += String.fromCharCode(bytes[i]!);
  return {
    value: { major: bytes[offset + 10]!, minor: bytes[offset + 11]!, mechanism, asServer: bytes[offset + 32] === 1 },
    next: offset + GREETING_BYTES,
  };
}
