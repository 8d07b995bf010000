/**
 * The binary envelope of a rich (JSON) beacon. Pure: no sockets, no crypto (sealing is in seal.ts).
 *
 * ```
 * offset size  field
 *  0     1     MARKER 0xFE (never valid in UTF-8, so it cannot be mistaken for a disco.py beacon)
 *  1     1     VERSION 0x01
 *  2     1     FLAGS: bit 0 = sealed; other bits must be 0
 *  3     1     reserved, must be 0
 *  4     4     channel id (deriveChannelId(magic))
 * unsealed:
 *  8     ...   payload: the beacon JSON, UTF-8
 * sealed:
 *  8     4     key id (which keyring key sealed it)
 * 12    12     nonce (random per datagram)
 * 24     ...   AES-256-GCM ciphertext of the beacon JSON, then the 16-byte tag; bytes 0..23 are the AAD
 * ```
 */
import { CHANNEL_ID_BYTES, KEY_ID_BYTES, NONCE_BYTES, TAG_BYTES } from "../crypto/index.ts";
import { BeaconFrameError } from "./errors.ts";

/** First byte of every rich beacon. */
export const ENVELOPE_MARKER = 0xfe;
/** Envelope version this code writes and reads. */
export const ENVELOPE_VERSION = 1;
/** FLAGS bit: the payload is sealed. */
export const FLAG_SEALED = 0x01;
/** Bytes before an unsealed payload. */
export const UNSEALED_HEADER_BYTES = 8;
/** Bytes before a sealed ciphertext (also the AAD length). */
export const SEALED_HEADER_BYTES = 24;

/** A decoded envelope: its header fields and the (still unparsed) payload. */
export type Envelope =
  | { readonly sealed: false; readonly channelId: Uint8Array; readonly payload: Uint8Array }
  | {
      readonly sealed: true;
      readonly channelId: Uint8Array;
      readonly keyId: Uint8Array;
      readonly nonce: Uint8Array;
      /** Bytes 0..23, the AAD. */
      readonly header: Uint8Array;
      /** Ciphertext with the tag appended. */
      readonly ciphertext: Uint8Array;
    };

function checkLength(name: string, b: Uint8Array, n: number): void {
  if (b.length !== n) throw new RangeError(`${name} must be ${n} bytes, got ${b.length}`);
}

/**
 * Encodes an unsealed rich beacon.
 * @param channelId 4 bytes
 * @param payload the beacon JSON bytes
 * @throws {RangeError} when the channel id is not 4 bytes
 */
export function encodeUnsealedEnvelope(channelId: Uint8Array, payload: Uint8Array): Uint8Array {
  checkLength("channelId", channelId, CHANNEL_ID_BYTES);
  const out = new Uint8Array(UNSEALED_HEADER_BYTES + payload.length);
  out.set([ENVELOPE_MARKER, ENVELOPE_VERSION, 0, 0]);
  out.set(channelId, 4);
  out.set(payload, UNSEALED_HEADER_BYTES);
  return out;
}

/**
 * Encodes the 24-byte header of a sealed beacon (the AAD).
 * @throws {RangeError} on wrong field sizes
 */
export function encodeSealedHeader(channelId: Uint8Array, keyId: Uint8Array, nonce: Uint8Array): Uint8Array<ArrayBuffer> {
  checkLength("channelId", channelId, CHANNEL_ID_BYTES);
  checkLength("keyId", keyId, KEY_ID_BYTES);
  checkLength("nonce", nonce, NONCE_BYTES);
  const out = new Uint8Array(SEALED_HEADER_BYTES);
  out.set([ENVELOPE_MARKER, ENVELOPE_VERSION, FLAG_SEALED, 0]);
  out.set(channelId, 4);
  out.set(keyId, 8);
  out.set(nonce, 12);
  return out;
}

/**
 * Whether a datagram looks like a sealed rich beacon (marker, version and sealed flag), without decoding it.
 * @param bytes the datagram
 */
export function isSealedEnvelope(bytes: Uint8Array): boolean {
  return bytes[0] === ENVELOPE_MARKER && bytes[1] === ENVELOPE_VERSION && (bytes[2]! & FLAG_SEALED) !== 0;
}

/**
 * Whether a datagram is a well-formed sealed rich beacon of this channel, read in place (marker, version,
 * flags exactly "sealed", reserved byte, channel id, room for the header and the tag): what
 * {@link decodeEnvelope} would accept as sealed, for receive loops that open it without decoding it first.
 * @param channelId 4 bytes
 */
export function isSealedFor(bytes: Uint8Array, channelId: Uint8Array): boolean {
  return (
    bytes.length >= SEALED_HEADER_BYTES + TAG_BYTES &&
    bytes[0] === ENVELOPE_MARKER &&
    bytes[1] === ENVELOPE_VERSION &&
    bytes[2] === FLAG_SEALED &&
    bytes[3] === 0 &&
    bytes[4] === channelId[0] &&
    bytes[5] === channelId[1] &&
    bytes[6] === channelId[2] &&
    bytes[7] === channelId[3]
  );
}

/**
 * Decodes an envelope (a whole datagram: beacons are never split, so there is no "need more bytes").
 * @param bytes the datagram
 * @returns the header fields and payload views (no copies)
 * @throws {BeaconFrameError} `truncated` when shorter than its header (and tag), `malformed` on an unknown
 *   version, flag or reserved byte
 */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  if (bytes.length < UNSEALED_HEADER_BYTES) throw new BeaconFrameError("truncated", `rich beacon shorter than its ${UNSEALED_HEADER_BYTES}-byte header`, { offset: bytes.length });
  if (bytes[0] !== ENVELOPE_MARKER) throw new BeaconFrameError("unknown-format", "not a rich beacon (bad marker)", { offset: 0 });
  if (bytes[1] !== ENVELOPE_VERSION) throw new BeaconFrameError("malformed", `unknown rich beacon version ${bytes[1]}`, { offset: 1 });
  const flags = bytes[2]!;
  if ((flags & ~FLAG_SEALED) !== 0) throw new BeaconFrameError("malformed", `unknown flags 0x${flags.toString(16)}`, { offset: 2 });
  if (bytes[3] !== 0) throw new BeaconFrameError("malformed", "reserved byte is not 0", { offset: 3 });
  const channelId = bytes.subarray(4, 8);
  if ((flags & FLAG_SEALED) === 0) return { sealed: false, channelId, payload: bytes.subarray(UNSEALED_HEADER_BYTES) };
  if (bytes.length < SEALED_HEADER_BYTES + TAG_BYTES) {
    throw new BeaconFrameError("truncated", `sealed beacon shorter than its header and tag (${SEALED_HEADER_BYTES + TAG_BYTES} bytes)`, { offset: bytes.length });
  }
  return {
    sealed: true,
    channelId,
    keyId: bytes.subarray(8, 12),
    nonce: bytes.subarray(12, 24),
    header: bytes.subarray(0, SEALED_HEADER_BYTES),
    ciphertext: bytes.subarray(SEALED_HEADER_BYTES),
  };
}
