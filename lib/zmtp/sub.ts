/**
 * SUB and XSUB: receive the messages of every connected publisher that match the subscriptions. SUB
 * subscribes through {@link SubSocket.subscribe}; XSUB through messages `0x01 + topic` / `0x00 + topic`
 * sent with {@link XSubSocket.send}. Subscriptions are replayed to every peer that (re)connects.
 */
import { AsyncQueue } from "./_queue.ts";
import { decodeSubscription } from "./command.ts";
import type { Session } from "./session.ts";
import { ZmtpSocket, type SocketOptions } from "./socket.ts";
import { TopicSet } from "./topics.ts";
import type { OutgoingMessage } from "./pub.ts";

const enc = new TextEncoder();
const EMPTY = new Uint8Array(0);

abstract class SubscriberSocket extends ZmtpSocket implements AsyncIterable<Uint8Array[]> {
  readonly #topics = new TopicSet();
  readonly #inbox: AsyncQueue<Uint8Array[]>;
  #sink: ((parts: Uint8Array[]) => void) | undefined;

  constructor(type: "SUB" | "XSUB", options: SocketOptions) {
    super(type, options);
    this.#inbox = new AsyncQueue(this.options.receiveHighWaterMark);
  }

  /**
   * @internal The proxy's direct path: every message goes to `sink` instead of the inbox, starting with
   * those already waiting there.
   */
  set sink(sink: ((parts: Uint8Array[]) => void) | undefined) {
    this.#sink = sink;
    if (sink) for (const m of this.#inbox.takeAll()) sink(m);
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
    return r.done ? undefined : r.value;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array[]> {
    for (;;) {
      const m = await this.receive();
      if (!m) return;
      yield m;
    }
  }

  protected addTopic(topic: Uint8Array): void {
    // As libzmq's XSUB: every subscribe goes upstream (XPUB dedupes), a cancel only when the last goes.
    this.#topics.add(topic);
    for (const s of this.sessions) s.sendSubscription(true, topic);
  }

  protected removeTopic(topic: Uint8Array): void {
    if (this.#topics.remove(topic)) for (const s of this.sessions) s.sendSubscription(false, topic);
  }

  protected onReady(session: Session): void {
    for (const t of this.#topics.topics()) session.sendSubscription(true, t);
  }

  protected onMessage(_session: Session, parts: Uint8Array[]): void {
    if (!this.#topics.matches(parts[0] ?? EMPTY)) return;
    if (this.#sink) this.#sink(parts);
    else this.#inbox.push(parts);
  }

  protected onSubscription(): void {}
  protected onClosed(): void {}

  protected override onClose(): void {
    this.#inbox.close();
  }

  protected override receiveDropped(): number {
    return this.#inbox.dropped;
  }
}

/** A SUB socket. */
export class SubSocket extends SubscriberSocket {
  constructor(options: SocketOptions = {}) {
    super("SUB", options);
  }

  /**
   * Subscribes to messages whose first frame starts with `topic` ("" = everything).
   * @param topic text (UTF-8) or bytes
   */
  subscribe(topic: string | Uint8Array = ""): void {
    this.addTopic(this.topicBytes(topic));
  }

  /** Cancels one {@link subscribe} of `topic`. */
  unsubscribe(topic: string | Uint8Array = ""): void {
    this.removeTopic(this.topicBytes(topic));
  }
}

/** An XSUB socket: subscriptions are messages the application sends. */
export class XSubSocket extends SubscriberSocket {
  constructor(options: SocketOptions = {}) {
    super("XSUB", options);
  }

  /**
   * Sends `0x01 + topic` (subscribe) or `0x00 + topic` (cancel); any other message goes to every peer.
   * @throws {RangeError} on an empty multipart message
   */
  send(message: OutgoingMessage): void {
    const parts = typeof message === "string" ? [enc.encode(message)] : message instanceof Uint8Array ? [message] : message.map((p) => (typeof p === "string" ? enc.encode(p) : p));
    if (parts.length === 0) throw new RangeError("a message has at least one frame");
    const s = parts.length === 1 ? decodeSubscription(parts[0]!) : undefined;
    if (s) {
      if (s.subscribe) this.addTopic(s.topic.slice());
      else this.removeTopic(s.topic);
      return;
    }
    for (const session of this.sessions) session.send(parts);
  }
}
