/**
 * What the sockets an application reads from (SUB, XSUB, XPUB) share: a bounded inbox, the proxy's direct
 * path around it, and the outgoing-message normaliser that XPUB and XSUB both apply.
 */
import { AsyncQueue } from "../async/index.ts";
import type { Session } from "./session.ts";
import type { ZmtpSocket } from "./socket.ts";

/** A message to send: one frame (bytes or UTF-8 text) or several. */
export type OutgoingMessage = Uint8Array | string | readonly (Uint8Array | string)[];

/** A received message and the connection it came from ({@link ReceivingSocket.receiveFrom}). */
export interface ReceivedMessage {
  /** The message's frames. */
  readonly parts: Uint8Array[];
  /**
   * The endpoint of the connection it came from: as passed to `connect()`, or as bound for an accepted
   * peer; "" for a message the socket made itself (XPUB's subscription notices).
   */
  readonly endpoint: string;
  /** The peer's address (`10.0.0.5:41234`, or the ipc path); "" as for `endpoint`. */
  readonly remote: string;
}

const enc = new TextEncoder();

/**
 * The frames of `message`, text encoded as UTF-8.
 * @throws {RangeError} on an empty multipart message
 */
export function toParts(message: OutgoingMessage): Uint8Array[] {
  if (typeof message === "string") return [enc.encode(message)];
  if (message instanceof Uint8Array) return [message];
  if (message.length === 0) throw new RangeError("a message has at least one frame");
  return message.map((p) => (typeof p === "string" ? enc.encode(p) : p));
}

// A mixin's base must be a constructor taking `any[]` (TypeScript's rule for mixin classes).
type SocketClass = abstract new (...args: any[]) => ZmtpSocket;

/**
 * Adds an inbox to a socket class: `receive()`, async iteration, and the proxy's `sink`. The subclass hands
 * each message it accepts to `deliver()`; the inbox holds up to `receiveHighWaterMark` messages and counts
 * what it drops (`stats.receiveDropped`).
 */
export function receiving<B extends SocketClass>(Base: B) {
  abstract class ReceivingSocket extends Base implements AsyncIterable<Uint8Array[]> {
    readonly #inbox = new AsyncQueue<ReceivedMessage>({ capacity: this.options.receiveHighWaterMark });
    #sink: ((parts: Uint8Array[]) => void) | undefined;

    /**
     * @internal The proxy's direct path: every message goes to `sink` instead of the inbox, starting with
     * those already waiting there.
     */
    set sink(sink: ((parts: Uint8Array[]) => void) | undefined) {
      this.#sink = sink;
      if (sink) for (const m of this.#inbox.takeAll()) sink(m.parts);
    }

    get sink(): ((parts: Uint8Array[]) => void) | undefined {
      return this.#sink;
    }

    /**
     * The next message (its frames).
     * @returns undefined when the socket closed or `signal` aborted
     */
    async receive(signal?: AbortSignal): Promise<Uint8Array[] | undefined> {
      const r = await this.#inbox.next(signal);
      return r.done ? undefined : r.value.parts;
    }

    /**
     * The next message with the connection it came from (its endpoint and peer address), for a reader
     * that trusts each connection for different things (the metrics receiver takes only a host's own
     * metrics from that host's endpoint).
     * @returns undefined when the socket closed or `signal` aborted
     */
    async receiveFrom(signal?: AbortSignal): Promise<ReceivedMessage | undefined> {
      const r = await this.#inbox.next(signal);
      return r.done ? undefined : r.value;
    }

    async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array[]> {
      for (;;) {
        const m = await this.receive();
        if (!m) return;
        yield m;
      }
    }

    /**
     * Hands a message to the application: to the sink when a proxy set one, else to the inbox.
     * @param from the session it came from (none for a message the socket made itself)
     */
    protected deliver(parts: Uint8Array[], from?: Session): void {
      if (this.#sink) this.#sink(parts);
      else this.#inbox.push({ parts, endpoint: from?.endpoint ?? "", remote: from?.remote ?? "" });
    }

    protected override onClose(): void {
      this.#inbox.close();
    }

    protected override receiveDropped(): number {
      return this.#inbox.dropped;
    }
  }
  return ReceivingSocket;
}
