/**
 * SUB and XSUB: receive the messages of every connected publisher that match the subscriptions. SUB
 * subscribes through {@link SubSocket.subscribe}; XSUB through messages `0x01 + topic` / `0x00 + topic`
 * sent with {@link XSubSocket.send}. Subscriptions are replayed to every peer that (re)connects.
 */
import { receiving, toParts, type OutgoingMessage } from "./_receiving.ts";
import { decodeSubscription } from "./command.ts";
import type { Session } from "./session.ts";
import type { SocketOptions } from "./socket-options.ts";
import { ZmtpSocket } from "./socket.ts";
import { TopicSet } from "./topics.ts";

const EMPTY = new Uint8Array(0);

abstract class SubscriberSocket extends receiving(ZmtpSocket) {
  readonly #topics = new TopicSet();

  constructor(type: "SUB" | "XSUB", options: SocketOptions) {
    super(type, options);
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

  protected onMessage(session: Session, parts: Uint8Array[]): void {
    if (this.#topics.matches(parts[0] ?? EMPTY)) this.deliver(parts, session);
  }

  protected onSubscription(): void {}
  protected onClosed(): void {}
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
    const parts = toParts(message);
    const s = parts.length === 1 ? decodeSubscription(parts[0]!) : undefined;
    if (s) {
      if (s.subscribe) this.addTopic(s.topic.slice());
      else this.removeTopic(s.topic);
      return;
    }
    for (const session of this.sessions) session.send(parts);
  }
}
