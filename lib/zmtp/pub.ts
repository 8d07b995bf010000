/**
 * PUB and XPUB: send each message to every peer whose subscriptions match its first frame; a peer at its
 * high-water mark loses the message (counted), the sender never waits. XPUB also hands subscriptions to
 * the application as `0x01 + topic` / `0x00 + topic` messages (first subscribe and last cancel only).
 */
import { receiving, toParts, type OutgoingMessage } from "./_receiving.ts";
import { encodeSubscription } from "./command.ts";
import type { Session } from "./session.ts";
import type { SocketOptions } from "./socket-options.ts";
import { ZmtpSocket } from "./socket.ts";
import { TopicIndex, TopicSet } from "./topics.ts";

export type { OutgoingMessage } from "./_receiving.ts";

const EMPTY = new Uint8Array(0);

/** Shared by PUB and XPUB. */
abstract class PublisherSocket extends ZmtpSocket {
  readonly #subs = new Map<Session, TopicSet>();
  readonly #index = new TopicIndex<Session>();
  /** Topics held over all peers, each peer's first not counted (what `maxTopics` bounds). */
  #held = 0;

  /**
   * Publishes a message to every matching peer now connected.
   * @returns how many peers took it
   * @throws {RangeError} on an empty multipart message
   */
  send(message: OutgoingMessage): number {
    const parts = toParts(message);
    const first = parts[0] ?? EMPTY;
    let n = 0;
    this.#index.forEachMatch(first, (s) => {
      if (s.send(parts)) n++;
    });
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
      // Bounds on what strangers can make us hold: a topic's length, one peer's distinct topics, and all
      // peers' topics together; a dropped subscription is counted and goes no further (not to the
      // application, not upstream through a proxy). A peer's first topic never counts against the socket's
      // bound, so however full the socket is, a newcomer's subscription is still taken.
      const o = this.options;
      if (topic.length > o.maxTopicBytes) return this.countDroppedSubscription();
      if (!t.has(topic)) {
        if (t.size >= o.maxTopicsPerPeer) return this.countDroppedSubscription();
        if (t.size >= 1) {
          if (this.#held >= o.maxTopics) return this.countDroppedSubscription();
          this.#held++;
        }
      }
      if (t.add(topic)) this.#index.add(topic, session);
      this.subscribed(topic);
    } else if (t.remove(topic)) {
      if (t.size >= 1) this.#held--;
      this.#index.remove(topic, session);
      this.cancelled(topic);
    }
  }

  protected onClosed(session: Session): void {
    const t = this.#subs.get(session);
    this.#subs.delete(session);
    if (t && t.size > 1) this.#held -= t.size - 1;
    if (t) {
      for (const { topic, count } of t.drain()) {
        this.#index.remove(topic, session);
        for (let i = 0; i < count; i++) this.cancelled(topic, i === count - 1);
      }
    }
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

/**
 * An XPUB socket: a PUB whose application also reads the subscriptions (and any other message peers send):
 * `receive()` yields `0x01 + topic` (subscribe), `0x00 + topic` (cancel) or the peer's message.
 */
export class XPubSocket extends receiving(PublisherSocket) {
  readonly #counts = new TopicSet();

  constructor(options: SocketOptions = {}) {
    super("XPUB", options);
  }

  protected onMessage(session: Session, parts: Uint8Array[]): void {
    this.deliver(parts, session);
  }

  protected override subscribed(topic: Uint8Array): void {
    // As libzmq without XPUB_VERBOSE: only a topic's first subscription goes up.
    if (this.#counts.add(topic)) this.deliver([encodeSubscription(true, topic)]);
  }

  protected override cancelled(topic: Uint8Array): void {
    if (this.#counts.remove(topic)) this.deliver([encodeSubscription(false, topic)]);
  }
}
