/**
 * The control frame: the 28-byte header of the discovery protocol (docs/PROTOCOL.md, "Frame") with its own
 * frame types, so a control datagram is never taken for a discovery one. Pure codec: no I/O, no clocks, no
 * crypto (sealing is `envelope.ts`).
 *
 * ```
 * off len field
 *   0   2 MARKER        0xD1 0x5C
 *   2   1 VERSION       0x01
 *   3   1 type          0x10 request, 0x11 challenge, 0x12 command, 0x13 result, 0x14 refusal
 *   4   1 flags         bit 0 = sealed; other bits must be 0
 *   5   1 reserved      must be 0
 *   6   4 channel id    deriveChannelId(magic)
 *  10   4 key id        id of the sealing key; zeros when unsealed
 *  14  12 nonce         random per frame
 *  26   2 body length   big-endian
 *  28   n body          sealed: AES-256-GCM(payload) || tag, AAD = bytes 0..27; unsealed: payload
 * ```
 */
import { CHANNEL_ID_BYTES, KEY_ID_BYTES, NONCE_BYTES, TAG_BYTES } from "../crypto/index.ts";
import { FLAG_SEALED, HEADER_BYTES, MARKER, MAX_FRAME_BYTES, VERSION } from "../discovery/index.ts";
import { ControlFrameError } from "./errors.ts";

// The header is discovery's (docs/PROTOCOL.md, "Frame"): its constants are discovery's, not copies that could drift.
/** The first two bytes of every frame (shared with discovery). */
export const CONTROL_MARKER = MARKER;
/** Protocol version byte (shared with discovery). */
export const CONTROL_VERSION = VERSION;
/** Header size in bytes. */
export const CONTROL_HEADER_BYTES = HEADER_BYTES;
/** Largest control datagram (the largest UDP payload over IPv4): a result with 5 KB of JSON-escaped output fits. */
export const MAX_CONTROL_FRAME_BYTES = MAX_FRAME_BYTES;
/** Flag bit: the body is sealed with AES-256-GCM. */
export const CONTROL_FLAG_SEALED = FLAG_SEALED;

/** Control frame types (0x10..0x14; discovery uses 0x01..0x05). */
export const CONTROL_FRAME_TYPE = { request: 0x10, challenge: 0x11, command: 0x12, result: 0x13, refusal: 0x14 } as const;
/** A control frame type name. */
export type ControlFrameType = keyof typeof CONTROL_FRAME_TYPE;

const TYPE_NAMES: Readonly<Record<number, ControlFrameType>> = { 0x10: "request", 0x11: "challenge", 0x12: "command", 0x13: "result", 0x14: "refusal" };

/** A decoded control frame: header fields, the header bytes (the AAD) and the body, as views into the input. */
export interface ControlFrame {
  readonly type: ControlFrameType;
  readonly sealed: boolean;
  readonly channelId: Uint8Array;
  readonly keyId: Uint8Array;
  readonly nonce: Uint8Array;
  readonly headerBytes: Uint8Array;
  readonly body: Uint8Array;
}

/** What {@link encodeControlFrame} needs. */
export interface ControlHeaderFields {
  readonly type: ControlFrameType;
  readonly channelId: Uint8Array;
  /** The sealing key's id; absent for an unsealed frame. */
  readonly keyId?: Uint8Array;
  readonly nonce: Uint8Array;
}

function fieldLength(name: string, bytes: Uint8Array, n: number): void {
  if (bytes.length !== n) throw new RangeError(`${name} must be ${n} bytes, got ${bytes.length}`);
}

/**
 * Writes a header for a body of `bodyLength` bytes into `out` at 0.
 * @param fields the header's fields (sealed when `keyId` is given)
 * @param out at least 28 bytes
 * @throws {RangeError} when a field has the wrong size or the frame would exceed {@link MAX_CONTROL_FRAME_BYTES}
 */
export function encodeControlHeader(fields: ControlHeaderFields, bodyLength: number, out: Uint8Array): void {
  fieldLength("channelId", fields.channelId, CHANNEL_ID_BYTES);
  fieldLength("nonce", fields.nonce, NONCE_BYTES);
  if (fields.keyId) fieldLength("keyId", fields.keyId, KEY_ID_BYTES);
  if (!Number.isInteger(bodyLength) || bodyLength < 0 || CONTROL_HEADER_BYTES + bodyLength > MAX_CONTROL_FRAME_BYTES) {
    throw new RangeError(`a control body must be 0..${MAX_CONTROL_FRAME_BYTES - CONTROL_HEADER_BYTES} bytes, got ${bodyLength}`);
  }
  if (out.length < CONTROL_HEADER_BYTES) throw new RangeError(`need ${CONTROL_HEADER_BYTES} bytes`);
  out.set(CONTROL_MARKER, 0);
  out[2] = CONTROL_VERSION;
  out[3] = CONTROL_FRAME_TYPE[fields.type];
  out[4] = fields.keyId ? CONTROL_FLAG_SEALED : 0;
  out[5] = 0;
  out.set(fields.channelId, 6);
  if (fields.keyId) out.set(fields.keyId, 10);
  else out.fill(0, 10, 14);
  out.set(fields.nonce, 14);
  out[26] = bodyLength >>> 8;
  out[27] = bodyLength & 0xff;
}

/**
 * Builds a frame from a header and a body (for unsealed frames and tests; sealing is `sealControlFrame`).
 * @throws {RangeError} as {@link encodeControlHeader}
 */
export function encodeControlFrame(fields: ControlHeaderFields, body: Uint8Array): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(CONTROL_HEADER_BYTES + body.length);
  encodeControlHeader(fields, body.length, out);
  out.set(body, CONTROL_HEADER_BYTES);
  return out;
}

/** Whether a datagram starts like a control frame (marker, version and a control type): a cheap pre-filter. */
export function looksLikeControlFrame(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === CONTROL_MARKER[0] && bytes[1] === CONTROL_MARKER[1] && bytes[2] === CONTROL_VERSION && TYPE_NAMES[bytes[3]!] !== undefined;
}

/** The rules a control frame can break, in the order {@link decodeControlFrame} checks them. */
const enum Fault {
  None,
  Oversize,
  Marker0,
  Marker1,
  Version,
  TruncatedHeader,
  Type,
  Flags,
  Reserved,
  UnsealedKeyId,
  ShortBody,
  Truncated,
  Trailing,
}

/** The first rule `bytes` break as a control frame, without building anything (a flood of junk reads this). */
function faultOf(bytes: Uint8Array): Fault {
  const n = bytes.length;
  if (n > MAX_CONTROL_FRAME_BYTES) return Fault.Oversize;
  if (n >= 1 && bytes[0] !== CONTROL_MARKER[0]) return Fault.Marker0;
  if (n >= 2 && bytes[1] !== CONTROL_MARKER[1]) return Fault.Marker1;
  if (n >= 3 && bytes[2] !== CONTROL_VERSION) return Fault.Version;
  if (n < CONTROL_HEADER_BYTES) return Fault.TruncatedHeader;
  if (TYPE_NAMES[bytes[3]!] === undefined) return Fault.Type;
  const flags = bytes[4]!;
  if ((flags & ~CONTROL_FLAG_SEALED) !== 0) return Fault.Flags;
  if (bytes[5] !== 0) return Fault.Reserved;
  const sealed = (flags & CONTROL_FLAG_SEALED) !== 0;
  if (!sealed && (bytes[10]! | bytes[11]! | bytes[12]! | bytes[13]!) !== 0) return Fault.UnsealedKeyId;
  const bodyLength = (bytes[26]! << 8) | bytes[27]!;
  if (sealed && bodyLength < TAG_BYTES) return Fault.ShortBody;
  const end = CONTROL_HEADER_BYTES + bodyLength;
  if (n < end) return Fault.Truncated;
  if (n > end) return Fault.Trailing;
  return Fault.None;
}

/** What {@link decodeControlFrame} throws for a fault: the rule in words, and the offset of the bad byte. */
function faultError(fault: Fault, bytes: Uint8Array): ControlFrameError {
  const n = bytes.length;
  const end = CONTROL_HEADER_BYTES + ((bytes[26]! << 8) | bytes[27]!);
  const error = (message: string, offset: number) => new ControlFrameError(message, offset);
  switch (fault) {
    case Fault.Oversize:
      return error(`datagram of ${n} bytes exceeds ${MAX_CONTROL_FRAME_BYTES}`, 0);
    case Fault.Marker0:
      return error("not a disco frame (bad marker)", 0);
    case Fault.Marker1:
      return error("not a disco frame (bad marker)", 1);
    case Fault.Version:
      return error(`unsupported version ${bytes[2]}`, 2);
    case Fault.TruncatedHeader:
      return error(`truncated header (${CONTROL_HEADER_BYTES - n} bytes missing)`, n);
    case Fault.Type:
      return error(`not a control frame type: ${bytes[3]}`, 3);
    case Fault.Flags:
      return error(`unknown flags 0x${bytes[4]!.toString(16)}`, 4);
    case Fault.Reserved:
      return error("reserved byte is not zero", 5);
    case Fault.UnsealedKeyId:
      return error("unsealed frame with a key id", 10);
    case Fault.ShortBody:
      return error(`sealed body of ${end - CONTROL_HEADER_BYTES} bytes is shorter than the tag`, 26);
    case Fault.Truncated:
      return error(`truncated frame (${end - n} bytes missing)`, n);
    default:
      return error(`${n - end} trailing bytes after the frame`, end);
  }
}

/**
 * Whether {@link decodeControlFrame} would accept these bytes (the same rules), decided in place without
 * an error object: a target in hidden mode drops what is not a frame silently, and a flood of junk should
 * not cost a thrown error (with its stack) per datagram.
 */
export function isWellFormedControlFrame(bytes: Uint8Array): boolean {
  return faultOf(bytes) === Fault.None;
}

/**
 * Decodes a datagram that must hold exactly one control frame.
 * @returns the frame (views into `bytes`)
 * @throws {ControlFrameError} with the offset of the first bad byte
 */
export function decodeControlFrame(bytes: Uint8Array): ControlFrame {
  const fault = faultOf(bytes);
  if (fault !== Fault.None) throw faultError(fault, bytes);
  const type = TYPE_NAMES[bytes[3]!]!;
  const sealed = (bytes[4]! & CONTROL_FLAG_SEALED) !== 0;
  const keyId = bytes.subarray(10, 14);
  const end = bytes.length;
  return {
    type,
    sealed,
    channelId: bytes.subarray(6, 10),
    keyId,
    nonce: bytes.subarray(14, 26),
    headerBytes: bytes.subarray(0, CONTROL_HEADER_BYTES),
    body: bytes.subarray(CONTROL_HEADER_BYTES, end),
  };
}
