/**
 * PUB and XPUB: send each message to every peer whose subscriptions match its first frame; a peer at its
 * high-water mark loses the message (counted), the sender never waits. XPUB also hands subscriptions to
 * the application as `0x01 + topic` / `0x00 + topic` messages (first subscribe and last cancel only).
 */
import { AsyncQueue } from "./_queue.ts";
import { encodeSubscription } from "./command.ts";
import type { Session } from "./session.ts";
import { ZmtpSocket, type SocketOptions } from "./socket.ts";
import { TopicSet } from "./topics.ts";

const EMPTY = new Uint8Array(0);
const enc = new TextEncoder();

function toParts(message: Uint8Array | string | readonly (Uint8Array | string)[]): Uint8Array[] {
  if (typeof message === "string") return [enc.encode(message)];
  if (message instanceof Uint8Array) return [message];
  if (message.length === 0) throw new RangeError("a message has at least one frame");
  return message.map((p) => (typeof p === "string" ? enc.encode(p) : p));
}

/** A message to send: one frame (bytes or UTF-8 text) or several. */
export type OutgoingMessage = Uint8Array | string | readonly (Uint8Array | string)[];

/** Most distinct topics one peer may subscribe to; further subscriptions are ignored (and counted). */
export const MAX_TOPICS_PER_PEER = 10_000;

/** Shared by PUB and XPUB. */
abstract class PublisherSocket extends ZmtpSocket {
  readonly #subs = new Map<Session, TopicSet>();
  /** Subscriptions ignored because a peer was at {@link MAX_TOPICS_PER_PEER}. */
  ignoredSubscriptions = 0;

  /**
   * Publishes a message to every matching peer now connected.
   * @returns how many peers took it
   * @throws {RangeError} on an empty multipart message
   */
  send(message: OutgoingMessage): number {
    const parts = toParts(message);
    const first = parts[0] ?? EMPTY;
    let n = 0;
    for (const [s, topics] of this.#subs) {
      if (topics.size > 0 && topics.matches(first) && s.send(parts)) n++;
    }
    return n;
  }

  /** Number of peers with at least one subscription. */
  get subscribers(): number {
    let n = 0;
    for (const t of this.#subs.values()) if (t.size > 0) n++;
    return n;
  }

  /**
   * Resolves once `count` peers have subscribed.
   * @param signal gives up when it aborts
   * @param count peers with a subscription to wait for (default 1)
   * @returns false when `signal` aborted or the socket closed first
   */
  waitForSubscriber(signal?: AbortSignal, count = 1): Promise<boolean> {
    return this.waitUntil(() => this.subscribers >= count, signal);
  }

  /**
   * Resolves once no peer has a subscription left (all cancelled or gone).
   * @returns false when `signal` aborted or the socket closed first
   */
  waitForNoSubscriber(signal?: AbortSignal): Promise<boolean> {
    return this.waitUntil(() => this.subscribers === 0, signal);
  }

  protected onReady(session: Session): void {
    this.#subs.set(session, new TopicSet());
  }

  protected onSubscription(session: Session, subscribe: boolean, topic: Uint8Array): void {
    const t = this.#subs.get(session);
    if (!t) return;
    if (subscribe) {
      // A bound on one peer's distinct topics, so a peer cannot grow our memory without limit.
      if (t.size >= MAX_TOPICS_PER_PEER) {
        this.ignoredSubscriptions++;
        return;
      }
      t.add(topic);
      this.subscribed(topic);
    } else if (t.remove(topic)) this.cancelled(topic);
  }

  protected onClosed(session: Session): void {
    const t = this.#subs.get(session);
    this.#subs.delete(session);
    if (t) for (const { topic, count } of t.drain()) for (let i = 0; i < count; i++) this.cancelled(topic, i === count - 1);
  }

  protected subscribed(_topic: Uint8Array): void {}
  protected cancelled(_topic: Uint8Array, _last = true): void {}
}

/** A PUB socket. */
export class PubSocket extends PublisherSocket {
  constructor(options: SocketOptions = {}) {
    super("PUB", options);
  }

  protected onMessage(): void {
    // RFC 29: a PUB ignores messages other than subscriptions.
  }
}

/** An XPUB socket: a PUB whose application also reads the subscriptions (and any other message peers send). */
export class XPubSocket extends PublisherSocket implements AsyncIterable<Uint8Array[]> {
  readonly #inbox: AsyncQueue<Uint8Array[]>;
  readonly #counts = new TopicSet();
  #sink: ((parts: Uint8Array[]) => void) | undefined;

  constructor(options: SocketOptions = {}) {
    super("XPUB", options);
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
   * The next subscription (`0x01 + topic`), cancel (`0x00 + topic`) or other peer message.
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

  protected onMessage(_session: Session, parts: Uint8Array[]): void {
    this.#deliver(parts);
  }

  protected override subscribed(topic: Uint8Array): void {
    // As libzmq without XPUB_VERBOSE: only a topic's first subscription goes up.
    if (this.#counts.add(topic)) this.#deliver([encodeSubscription(true, topic)]);
  }

  protected override cancelled(topic: Uint8Array): void {
    if (this.#counts.remove(topic)) this.#deliver([encodeSubscription(false, topic)]);
  }

  protected override onClose(): void {
    this.#inbox.close();
  }

  protected override receiveDropped(): number {
    return this.#inbox.dropped;
  }

  #deliver(parts: Uint8Array[]): void {
    if (this.#sink) this.#sink(parts);
    else this.#inbox.push(parts);
  }
}
