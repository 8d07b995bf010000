/**
 * The stream decoder of one ZMTP connection: feed it the bytes as they arrive, in chunks of any size, and it
 * returns the greeting, commands and whole (multipart) messages. Pure: no sockets, no timers.
 */
import { decodeCommand, type Command } from "./command.ts";
import { FrameError, ProtocolError } from "./errors.ts";
import { decodeFrame } from "./frame.ts";
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
 * Incremental decoder. After it throws, the connection is broken: drop it.
 * @example
 * const d = new ZmtpDecoder();
 * for (const ev of d.feed(chunk)) if (ev.type === "message") handle(ev.parts);
 */
export class ZmtpDecoder {
  #buf: Uint8Array = EMPTY;
  #off = 0;
  #greeted: boolean;
  #parts: Uint8Array[] = [];
  #partBytes = 0;
  #consumed = 0;
  readonly #maxBytes: number;
  readonly #maxParts: number;

  constructor(options: DecoderOptions = {}) {
    this.#maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#maxParts = options.maxParts ?? DEFAULT_MAX_PARTS;
    this.#greeted = options.greeting === false;
  }

  /** Bytes held waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.#buf.length - this.#off;
  }

  /**
   * Decodes what `chunk` completes.
   * @returns the events, in order
   * @throws {FrameError} on bytes that are not ZMTP (offset counts from the connection's first byte)
   * @throws {ProtocolError} on oversized messages, too many frames, or a command inside a multipart message
   */
  feed(chunk: Uint8Array): DecoderEvent[] {
    const events: DecoderEvent[] = [];
    if (this.#off < this.#buf.length) {
      const rest = this.#buf.length - this.#off;
      const joined = new Uint8Array(rest + chunk.length);
      joined.set(this.#buf.subarray(this.#off), 0);
      joined.set(chunk, rest);
      this.#consumed += this.#off;
      this.#buf = joined;
    } else {
      this.#consumed += this.#buf.length;
      this.#buf = chunk;
    }
    this.#off = 0;
    try {
      this.#run(events);
    } catch (err) {
      if (err instanceof FrameError) {
        throw new FrameError(err.message, this.#consumed + err.offset, { cause: err });
      }
      throw err;
    }
    if (this.#off === this.#buf.length) {
      this.#consumed += this.#buf.length;
      this.#buf = EMPTY;
    } else {
      // Keep only the unfinished frame, copied: the transport may reuse its chunk's memory.
      this.#consumed += this.#off;
      this.#buf = this.#buf.slice(this.#off);
    }
    this.#off = 0;
    return events;
  }

  #run(events: DecoderEvent[]): void {
    const buf = this.#buf;
    if (!this.#greeted) {
      const g = decodeGreeting(buf, this.#off);
      if (!("value" in g)) return;
      this.#greeted = true;
      this.#off = g.next;
      events.push({ type: "greeting", greeting: g.value });
    }
    for (;;) {
      const limit = this.#maxBytes - this.#partBytes;
      const f = decodeFrame(buf, this.#off, limit);
      if (!("value" in f)) return;
      const at = this.#off;
      this.#off = f.next;
      const frame = f.value;
      if (frame.command) {
        if (this.#parts.length) throw new FrameError("command frame inside a multipart message", at);
        events.push({ type: "command", command: decodeCommand(frame.body) });
        continue;
      }
      this.#parts.push(frame.body);
      this.#partBytes += frame.body.length;
      if (frame.more) {
        if (this.#parts.length >= this.#maxParts) {
          throw new ProtocolError(`message of more than ${this.#maxParts} frames refused`, "too-large");
        }
        continue;
      }
      events.push({ type: "message", parts: this.#parts });
      this.#parts = [];
      this.#partBytes = 0;
    }
  }
}
