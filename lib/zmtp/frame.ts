/**
 * ZMTP 3.x frames (RFC 23 section "Framing"): after the greeting every byte belongs to a frame.
 *
 * ```
 * short frame: flags(1) size(1)        body(size)        size 0..255
 * long frame:  flags(1) size(8, BE)    body(size)        flags has LONG set
 *
 * flags bit 0  MORE     another frame of the same message follows (never on a command)
 *       bit 1  LONG     the size is 8 bytes
 *       bit 2  COMMAND  the frame is a command, not message data
 *       bits 3-7        reserved, zero
 * ```
 */
import { FrameError, ProtocolError } from "./errors.ts";
import type { Decoded } from "./greeting.ts";

/** Flag bit: more frames of this message follow. */
export const FLAG_MORE = 0x01;
/** Flag bit: the size field is 8 bytes. */
export const FLAG_LONG = 0x02;
/** Flag bit: the frame is a command. */
export const FLAG_COMMAND = 0x04;
/** Largest body a short frame carries. */
export const SHORT_FRAME_MAX = 255;

/** One decoded frame. `body` is a copy the caller may keep. */
export interface Frame {
  readonly more: boolean;
  readonly command: boolean;
  readonly body: Uint8Array;
}

/**
 * Bytes the header of a frame with `size` body bytes takes (2 for short, 9 for long).
 * @param size body length
 */
export function frameHeaderBytes(size: number): number {
  return size > SHORT_FRAME_MAX ? 9 : 2;
}

/**
 * Writes one frame (header and body) into `out` at `offset`; `out` must have room for
 * `frameHeaderBytes(body.length) + body.length` bytes.
 * @returns the offset after the frame
 */
export function writeFrame(out: Uint8Array, offset: number, body: Uint8Array, more: boolean, command = false): number {
  const size = body.length;
  let flags = (more ? FLAG_MORE : 0) | (command ? FLAG_COMMAND : 0);
  if (size > SHORT_FRAME_MAX) {
    flags |= FLAG_LONG;
    out[offset] = flags;
    // 8-byte big-endian size; JS numbers hold sizes up to 2^53 exactly.
    const hi = Math.floor(size / 0x100000000);
    const lo = size >>> 0;
    out[offset + 1] = (hi >>> 24) & 0xff;
    out[offset + 2] = (hi >>> 16) & 0xff;
    out[offset + 3] = (hi >>> 8) & 0xff;
    out[offset + 4] = hi & 0xff;
    out[offset + 5] = (lo >>> 24) & 0xff;
    out[offset + 6] = (lo >>> 16) & 0xff;
    out[offset + 7] = (lo >>> 8) & 0xff;
    out[offset + 8] = lo & 0xff;
    out.set(body, offset + 9);
    return offset + 9 + size;
  }
  out[offset] = flags;
  out[offset + 1] = size;
  out.set(body, offset + 2);
  return offset + 2 + size;
}

/**
 * Encodes one frame.
 * @param body frame body
 * @param options `more` (default false), `command` (default false)
 * @returns header and body
 * @throws {RangeError} when a command frame has `more`
 */
export function encodeFrame(body: Uint8Array, options: { more?: boolean; command?: boolean } = {}): Uint8Array {
  if (options.more && options.command) throw new RangeError("a command frame cannot have MORE set (RFC 23)");
  const out = new Uint8Array(frameHeaderBytes(body.length) + body.length);
  writeFrame(out, 0, body, options.more ?? false, options.command ?? false);
  return out;
}

/**
 * Encodes a multipart message: every frame but the last has MORE.
 * @param parts the message frames (at least one)
 * @throws {RangeError} on an empty message
 */
export function encodeMessage(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 0) throw new RangeError("a message has at least one frame");
  let size = 0;
  for (const p of parts) size += frameHeaderBytes(p.length) + p.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (let i = 0; i < parts.length; i++) o = writeFrame(out, o, parts[i]!, i < parts.length - 1);
  return out;
}

/** A decoded frame header: the flags and the body's size (the body follows it). */
export interface FrameHeader {
  readonly more: boolean;
  readonly command: boolean;
  /** Body bytes that follow the header. */
  readonly size: number;
}

/**
 * Decodes the header of one frame at `offset` (the body need not have arrived).
 * @param maxBodyBytes largest body accepted (the peer is refused before the body arrives)
 * @returns the header and the offset of its body, or `{ need }` bytes still missing
 * @throws {FrameError} on reserved flag bits or a command with MORE
 * @throws {ProtocolError} `too-large` when the body exceeds `maxBodyBytes`
 */
export function decodeFrameHeader(bytes: Uint8Array, offset: number, maxBodyBytes: number): Decoded<FrameHeader> {
  const have = bytes.length - offset;
  if (have < 1) return { need: 2 };
  const flags = bytes[offset]!;
  if (flags & 0xf8) throw new FrameError(`reserved frame flag bits set (0x${flags.toString(16).padStart(2, "0")})`, offset);
  const command = (flags & FLAG_COMMAND) !== 0;
  const more = (flags & FLAG_MORE) !== 0;
  if (command && more) throw new FrameError("a command frame has MORE set", offset);
  let size: number;
  let header: number;
  if (flags & FLAG_LONG) {
    if (have < 9) return { need: 9 - have };
    const hi = ((bytes[offset + 1]! << 24) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 8) | bytes[offset + 4]!) >>> 0;
    const lo = ((bytes[offset + 5]! << 24) | (bytes[offset + 6]! << 16) | (bytes[offset + 7]! << 8) | bytes[offset + 8]!) >>> 0;
    if (hi >= 0x200000) throw new ProtocolError(`frame of more than 2^53 bytes refused (limit ${maxBodyBytes})`, "too-large");
    size = hi * 0x100000000 + lo;
    header = 9;
  } else {
    if (have < 2) return { need: 2 - have };
    size = bytes[offset + 1]!;
    header = 2;
  }
  if (size > maxBodyBytes) throw new ProtocolError(`frame of ${size} bytes is over the limit of ${maxBodyBytes}`, "too-large");
  return { value: { more, command, size }, next: offset + header };
}

/**
 * Decodes one frame at `offset`.
 * @param maxBodyBytes largest body accepted (the peer is refused before the body arrives)
 * @returns the frame and the offset after it, or `{ need }` bytes still missing (at least)
 * @throws {FrameError} on reserved flag bits or a command with MORE
 * @throws {ProtocolError} `too-large` when the body exceeds `maxBodyBytes`
 */
export function decodeFrame(bytes: Uint8Array, offset: number, maxBodyBytes: number): Decoded<Frame> {
  const h = decodeFrameHeader(bytes, offset, maxBodyBytes);
  if (!("value" in h)) return h;
  const { more, command, size } = h.value;
  const start = h.next;
  const have = bytes.length - start;
  if (have < size) return { need: size - have };
  return { value: { more, command, body: bytes.slice(start, start + size) }, next: start + size };
}
