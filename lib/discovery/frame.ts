/**
 * The discovery frame: a fixed 28-byte header and a body. Pure codec: no I/O, no clocks, no crypto (see
 * `envelope.ts` for sealing). The exact layout is documented in docs/PROTOCOL.md.
 *
 * ```
 * off len field
 *   0   2 MARKER        0xD1 0x5C
 *   2   1 VERSION       0x01
 *   3   1 type          0x01 query, 0x02 answer, 0x03 error, 0x04 challenge, 0x05 retry
 *   4   1 flags         bit 0 = sealed; other bits must be 0
 *   5   1 reserved      must be 0
 *   6   4 channel id    deriveChannelId(magic)
 *  10   4 key id        id of the sealing key; zeros when unsealed
 *  14  12 nonce         random per frame (also when unsealed: it names the frame in error replies)
 *  26   2 body length   big-endian
 *  28   n body          sealed: AES-256-GCM(payload) || tag, AAD = bytes 0..27; unsealed: payload
 * ```
 */
import { CHANNEL_ID_BYTES, KEY_ID_BYTES, NONCE_BYTES, TAG_BYTES } from "../crypto/index.ts";
import { FrameError } from "./errors.ts";

// The channel id, key id, nonce and tag fields are as long as lib/crypto makes them.
export { CHANNEL_ID_BYTES, KEY_ID_BYTES, NONCE_BYTES, TAG_BYTES };

/** The first two bytes of every frame. 0xD1 is not printable, so PyDiscover's text requests never match. */
export const MARKER = Uint8Array.of(0xd1, 0x5c);
/** Protocol version byte. */
export const VERSION = 0x01;
/** Header size in bytes. */
export const HEADER_BYTES = 28;
/** Largest frame (the largest UDP payload over IPv4). */
export const MAX_FRAME_BYTES = 65_507;
/** Largest body the length field may announce. */
export const MAX_BODY_BYTES = MAX_FRAME_BYTES - HEADER_BYTES;
/** Flag bit: the body is sealed with AES-256-GCM. */
export const FLAG_SEALED = 0x01;

/** Frame types. */
export const FRAME_TYPE = { query: 0x01, answer: 0x02, error: 0x03, challenge: 0x04, retry: 0x05 } as const;
/** A frame type name. */
export type FrameType = keyof typeof FRAME_TYPE;

const TYPE_NAMES: Readonly<Record<number, FrameType>> = { 0x01: "query", 0x02: "answer", 0x03: "error", 0x04: "challenge", 0x05: "retry" };

/** The decoded header. Byte fields are views into the decoded buffer (no copies). */
export interface FrameHeader {
  readonly type: FrameType;
  readonly sealed: boolean;
  readonly channelId: Uint8Array;
  readonly keyId: Uint8Array;
  readonly nonce: Uint8Array;
  readonly bodyLength: number;
}

/** A decoded frame: the header, the header's bytes (the AAD) and the body, as views into the input. */
export interface Frame {
  readonly header: FrameHeader;
  readonly headerBytes: Uint8Array;
  readonly body: Uint8Array;
}

/** Result of a decoder: a value and the offset after it, a request for more bytes, or a typed error. */
export type Decoded<T> =
  | { readonly kind: "ok"; readonly value: T; readonly next: number }
  | { readonly kind: "need-more"; readonly needBytes: number }
  | { readonly kind: "error"; readonly error: FrameError };

/** What {@link encodeHeader} needs. */
export interface HeaderFields {
  readonly type: FrameType;
  readonly sealed: boolean;
  readonly channelId: Uint8Array;
  /** Zeros (or omitted) when unsealed. */
  readonly keyId?: Uint8Array;
  readonly nonce: Uint8Array;
  readonly bodyLength: number;
}

function fieldLength(name: string, bytes: Uint8Array, n: number): void {
  if (bytes.length !== n) throw new RangeError(`${name} must be ${n} bytes, got ${bytes.length}`);
}

/**
 * Encodes a header into `out` at `offset`.
 * @param fields the header's fields
 * @param out destination, at least `offset + 28` bytes
 * @param offset where to write
 * @returns the offset after the header
 * @throws {RangeError} when a field has the wrong size or the body length is out of range
 */
export function encodeHeader(fields: HeaderFields, out: Uint8Array, offset = 0): number {
  fieldLength("channelId", fields.channelId, CHANNEL_ID_BYTES);
  fieldLength("nonce", fields.nonce, NONCE_BYTES);
  if (fields.keyId) fieldLength("keyId", fields.keyId, KEY_ID_BYTES);
  if (!Number.isInteger(fields.bodyLength) || fields.bodyLength < 0 || fields.bodyLength > MAX_BODY_BYTES) {
    throw new RangeError(`bodyLength must be 0..${MAX_BODY_BYTES}, got ${fields.bodyLength}`);
  }
  if (out.length < offset + HEADER_BYTES) throw new RangeError(`need ${HEADER_BYTES} bytes at offset ${offset}`);
  out.set(MARKER, offset);
  out[offset + 2] = VERSION;
  out[offset + 3] = FRAME_TYPE[fields.type];
  out[offset + 4] = fields.sealed ? FLAG_SEALED : 0;
  out[offset + 5] = 0;
  out.set(fields.channelId, offset + 6);
  if (fields.sealed && fields.keyId) out.set(fields.keyId, offset + 10);
  else out.fill(0, offset + 10, offset + 14);
  out.set(fields.nonce, offset + 14);
  out[offset + 26] = fields.bodyLength >>> 8;
  out[offset + 27] = fields.bodyLength & 0xff;
  return offset + HEADER_BYTES;
}

/**
 * Encodes a whole frame: header then body.
 * @returns a new buffer of `28 + body.length` bytes
 * @throws {RangeError} as {@link encodeHeader}
 */
export function encodeFrame(fields: Omit<HeaderFields, "bodyLength">, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(HEADER_BYTES + body.length);
  encodeHeader({ ...fields, bodyLength: body.length }, out, 0);
  out.set(body, HEADER_BYTES);
  return out;
}

function fail(message: string, offset: number): Decoded<never> {
  return { kind: "error", error: new FrameError(message, offset) };
}

/**
 * Decodes a header at `offset`.
 * @param bytes the buffer
 * @param offset where the frame starts
 * @returns the header and the offset of the body, "need-more", or a {@link FrameError}
 */
export function decodeHeader(bytes: Uint8Array, offset = 0): Decoded<FrameHeader> {
  const have = bytes.length - offset;
  if (have < 0) return fail("offset beyond the end of the buffer", 0);
  // Check what we have as early as possible, so a foreign datagram fails on its first byte.
  if (have >= 1 && bytes[offset] !== MARKER[0]) return fail("not a disco frame (bad marker)", 0);
  if (have >= 2 && bytes[offset + 1] !== MARKER[1]) return fail("not a disco frame (bad marker)", 1);
  if (have >= 3 && bytes[offset + 2] !== VERSION) return fail(`unsupported version ${bytes[offset + 2]}`, 2);
  if (have < HEADER_BYTES) return { kind: "need-more", needBytes: HEADER_BYTES - have };
  const type = TYPE_NAMES[bytes[offset + 3]!];
  if (type === undefined) return fail(`unknown frame type ${bytes[offset + 3]}`, 3);
  const flags = bytes[offset + 4]!;
  if ((flags & ~FLAG_SEALED) !== 0) return fail(`unknown flags 0x${flags.toString(16)}`, 4);
  if (bytes[offset + 5] !== 0) return fail("reserved byte is not zero", 5);
  const sealed = (flags & FLAG_SEALED) !== 0;
  const keyId = bytes.subarray(offset + 10, offset + 14);
  if (!sealed && (keyId[0]! | keyId[1]! | keyId[2]! | keyId[3]!) !== 0) return fail("unsealed frame with a key id", 10);
  const bodyLength = (bytes[offset + 26]! << 8) | bytes[offset + 27]!;
  if (bodyLength > MAX_BODY_BYTES) return fail(`body length ${bodyLength} exceeds ${MAX_BODY_BYTES}`, 26);
  if (sealed && bodyLength < TAG_BYTES) return fail(`sealed body of ${bodyLength} bytes is shorter than the tag`, 26);
  return {
    kind: "ok",
    value: {
      type,
      sealed,
      channelId: bytes.subarray(offset + 6, offset + 10),
      keyId,
      nonce: bytes.subarray(offset + 14, offset + 26),
      bodyLength,
    },
    next: offset + HEADER_BYTES,
  };
}

/**
 * Decodes one frame at `offset`.
 * @returns the frame (views into `bytes`) and the offset after it, "need-more", or a {@link FrameError}
 */
export function decodeFrame(bytes: Uint8Array, offset = 0): Decoded<Frame> {
  const h = decodeHeader(bytes, offset);
  if (h.kind !== "ok") return h;
  const end = h.next + h.value.bodyLength;
  if (bytes.length < end) return { kind: "need-more", needBytes: end - bytes.length };
  return {
    kind: "ok",
    value: { header: h.value, headerBytes: bytes.subarray(offset, h.next), body: bytes.subarray(h.next, end) },
    next: end,
  };
}

/**
 * Decodes a datagram that must hold exactly one frame.
 * @returns the frame, or a {@link FrameError} for truncated, oversized or trailing bytes
 */
export function decodeDatagram(bytes: Uint8Array): { kind: "ok"; value: Frame } | { kind: "error"; error: FrameError } {
  if (bytes.length > MAX_FRAME_BYTES) return { kind: "error", error: new FrameError(`datagram of ${bytes.length} bytes exceeds ${MAX_FRAME_BYTES}`, 0) };
  const d = decodeFrame(bytes, 0);
  if (d.kind === "error") return d;
  if (d.kind === "need-more") return { kind: "error", error: new FrameError(`truncated frame (${d.needBytes} bytes missing)`, bytes.length) };
  if (d.next !== bytes.length) return { kind: "error", error: new FrameError(`${bytes.length - d.next} trailing bytes after the frame`, d.next) };
  return { kind: "ok", value: d.value };
}

