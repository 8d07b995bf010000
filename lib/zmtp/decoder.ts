/**
 * The stream decoder of one ZMTP connection: feed it the bytes as they arrive, in chunks of any size, and it
 * returns the greeting, commands and whole (multipart) messages. Pure: no sockets, no timers.
 */
import { decodeCommand, type Command } from "./command.ts";
import { FrameError, ProtocolError } from "./errors.ts";
import { decodeFrameHeader } from "./frame.ts";
import { decodeGreeting, type Greeting } from "./greeting.ts";

/** What the decoder found, discriminated on `type`. */
export type DecoderEvent =
  | { readonly type: "greeting"; readonly greeting: Greeting }
  | { readonly type: "command"; readonly command: Command }
  | { readonly type: "message"; readonly parts: Uint8Array[] };

/** Options of {@link ZmtpDecoder}. */
export interface DecoderOptions {
  /** Largest message (sum of its frames) and largest command. @default 1048576 */
  readonly maxMessageBytes?: number;
  /** Most frames in one message. @default 1024 */
  readonly maxParts?: number;
  /** Whether the greeting comes first (false to decode bare frames). @default true */
  readonly greeting?: boolean;
}

/** Default largest message, 1 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1 << 20;
/** Default most frames per message. */
export const DEFAULT_MAX_PARTS = 1024;

const EMPTY = new Uint8Array(0);
/**
 * First allocation for a frame body still arriving. The buffer doubles as bytes arrive (up to the size the
 * header announced), so a peer that announces 1 MiB and sends 9 bytes costs 64 KiB, not 1 MiB, and a body
 * dripped in small writes is copied about twice in all, never once per chunk.
 */
const FIRST_BODY_BYTES = 64 * 1024;

/** A frame whose header arrived and whose body is still arriving. */
interface Partial {
  readonly more: boolean;
  readonly command: boolean;
  readonly size: number;
  /** Stream offset of the frame's header. */
  readonly at: number;
  body: Uint8Array;
  fill: number;
}

/**
 * Incremental decoder. After it throws, the connection is broken: drop it.
 *
 * Between calls it keeps at most an unfinished greeting or frame header (under 64 bytes) plus the body of
 * the frame now arriving, in a buffer allocated once its header is known: each byte is copied once into it,
 * whatever the chunking.
 * @example
 * const d = new ZmtpDecoder();
 * for (const ev of d.feed(chunk)) if (ev.type === "message") handle(ev.parts);
 */
export class ZmtpDecoder {
  /** Bytes of an unfinished greeting or frame header (copied: the transport may reuse its chunk). */
  #stash: Uint8Array = EMPTY;
  #partial: Partial | undefined;
  #greeted: boolean;
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  /** Bytes fed so far. */
  #fed = 0;
  readonly #maxBytes: number;
  readonly #maxParts: number;

  constructor(options: DecoderOptions = {}) {
    this.#maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#maxParts = options.maxParts ?? DEFAULT_MAX_PARTS;
    this.#greeted = options.greeting === false;
  }

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.#stash.length + (this.#partial?.fill ?? 0);
  }

  /**
   * Decodes what `chunk` completes.
   * @returns the events, in order
   * @throws {FrameError} on bytes that are not ZMTP (offset counts from the connection's first byte)
   * @throws {ProtocolError} on oversized messages, too many frames, or a command inside a multipart message
   */
  feed(chunk: Uint8Array): DecoderEvent[] {
    // The drip-feed fast path: a chunk that only adds to the body now arriving (no header to read).
    const p = this.#partial;
    if (p && p.fill + chunk.length < p.size && p.fill + chunk.length <= p.body.length) {
      p.body.set(chunk, p.fill);
      p.fill += chunk.length;
      this.#fed += chunk.length;
      return [];
    }
    const events: DecoderEvent[] = [];
    let data = chunk;
    if (this.#stash.length) {
      data = new Uint8Array(this.#stash.length + chunk.length);
      data.set(this.#stash, 0);
      data.set(chunk, this.#stash.length);
    }
    // Stream offset of data[0].
    const base = this.#fed - this.#stash.length;
    this.#fed += chunk.length;
    this.#stash = EMPTY;
    let off = 0;
    try {
      off = this.#run(data, base, events);
    } catch (err) {
      if (err instanceof FrameError) throw new FrameError(err.message, base + err.offset, { cause: err });
      throw err;
    }
    if (off < data.length) this.#stash = data.slice(off);
    return events;
  }

  /** Decodes from `data`; returns the offset of the first byte not consumed (a partial header). */
  #run(data: Uint8Array, base: number, events: DecoderEvent[]): number {
    let off = 0;
    for (;;) {
      const p = this.#partial;
      if (p) {
        const n = Math.min(p.size - p.fill, data.length - off);
        if (p.fill + n > p.body.length) {
          const grown = new Uint8Array(Math.min(p.size, Math.max(p.body.length * 2, p.fill + n)));
          grown.set(p.body.subarray(0, p.fill), 0);
          p.body = grown;
        }
        p.body.set(data.subarray(off, off + n), p.fill);
        p.fill += n;
        off += n;
        if (p.fill < p.size) return off;
        this.#partial = undefined;
        this.#frame(p.more, p.command, p.body, p.at - base, events);
        continue;
      }
      if (!this.#greeted) {
        const g = decodeGreeting(data, off);
        if (!("value" in g)) return off;
        this.#greeted = true;
        off = g.next;
        events.push({ type: "greeting", greeting: g.value });
      }
      const h = decodeFrameHeader(data, off, this.#maxBytes - this.#partBytes);
      if (!("value" in h)) return off;
      const at = off;
      const { more, command, size } = h.value;
      off = h.next;
      if (data.length - off >= size) {
        this.#frame(more, command, data.slice(off, off + size), at, events);
        off += size;
        continue;
      }
      this.#partial = { more, command, size, at: base + at, body: new Uint8Array(Math.min(size, FIRST_BODY_BYTES)), fill: 0 };
    }
  }

  /** One whole frame; `at` is its offset in the current data (for errors). */
  #frame(more: boolean, command: boolean, body: Uint8Array, at: number, events: DecoderEvent[]): void {
    if (command) {
      if (this.#parts.length) throw new FrameError("command frame inside a multipart message", at);
      events.push({ type: "command", command: decodeCommand(body) });
      return;
    }
    this.#parts.push(body);
    this.#partBytes += body.length;
    if (more) {
      if (this.#parts.length >= this.#maxParts) {
        throw new ProtocolError(`message of more than ${this.#maxParts} frames refused`, "too-large");
      }
      return;
    }
    events.push({ type: "message", parts: this.#parts });
    this.#parts = [];
    this.#partBytes = 0;
  }
}
