/**
 * One ZMTP connection: greeting, NULL handshake (READY with Socket-Type and Identity), then framed
 * messages and commands both ways, with a per-peer high-water mark on the send side. The owning socket
 * decides what messages mean; the session only speaks the protocol.
 */
import { decodeSubscription, encodeCommand, encodeSubscription, metadataText, type Metadata } from "./command.ts";
import { ZmtpDecoder, type DecoderEvent } from "./decoder.ts";
import { ProtocolError, ZmtpError } from "./errors.ts";
import { encodeFrame, frameHeaderBytes, writeFrame } from "./frame.ts";
import { encodeGreeting } from "./greeting.ts";
import type { Timer, ZmtpClock } from "./clock.ts";
import type { Connection, ConnectionHandler } from "./transport.ts";

/** The socket types disco speaks. */
export type SocketType = "PUB" | "SUB" | "XPUB" | "XSUB";

/** Which peer types each socket type accepts (RFC 29/PUBSUB). */
export const COMPATIBLE: Readonly<Record<SocketType, readonly string[]>> = {
  PUB: ["SUB", "XSUB"],
  XPUB: ["SUB", "XSUB"],
  SUB: ["PUB", "XPUB"],
  XSUB: ["PUB", "XPUB"],
};

/** What a session tells its socket. */
export interface SessionOwner {
  /** The handshake completed. */
  ready(session: Session): void;
  /** A whole message arrived (not a subscription, on PUB/XPUB). */
  message(session: Session, parts: Uint8Array[]): void;
  /** A subscription or cancel arrived (PUB/XPUB only), as a command (3.1) or a message (3.0). */
  subscription(session: Session, subscribe: boolean, topic: Uint8Array): void;
  /** Everything queued was handed to the kernel. */
  idle(session: Session): void;
  /** The session ended; `error` says why when the peer broke the protocol. Called once. */
  closed(session: Session, error: ZmtpError | undefined): void;
}

/** Resolved session options. */
export interface SessionOptions {
  readonly type: SocketType;
  readonly highWaterMark: number;
  readonly maxMessageBytes: number;
  /** Most frames in one message. @default 1024 */
  readonly maxParts?: number;
  readonly handshakeTimeoutMs: number;
  /** Timers of the handshake deadline and heartbeats. */
  readonly clock: ZmtpClock;
  /** Send a PING this often once ready (0 = never, as libzmq's default). */
  readonly heartbeatMs?: number;
  /** With heartbeats on, drop the peer after this long without any byte from it. */
  readonly heartbeatTimeoutMs?: number;
  readonly identity?: Uint8Array;
}

const enc = new TextEncoder();
const BATCH_BYTES = 256 * 1024;
const FLUSH_AT = 128;

/** One peer connection. */
export class Session implements ConnectionHandler {
  readonly #conn: Connection;
  readonly #owner: SessionOwner;
  readonly #opts: SessionOptions;
  readonly #decoder: ZmtpDecoder;
  #control: Uint8Array[] = [];
  #messages: Uint8Array[][] = [];
  #head = 0;
  #rest: Uint8Array | undefined;
  #scheduled = false;
  #ready = false;
  #done = false;
  #timer: Timer | undefined;
  #heartbeat: Timer | undefined;
  /** Whether #heardMs is kept (heartbeats on: the socket drops or evicts silent peers). */
  readonly #tracking: boolean;
  /** When the peer last sent a byte (clock ms), kept once ready when #tracking. */
  #heardMs = 0;
  /** Peer's minor version (0 = ZMTP 3.0: subscriptions as messages). */
  peerMinor = -1;
  /** Peer's Socket-Type from READY. */
  peerType = "";
  /** Peer's Identity from READY (empty when none). */
  peerIdentity = "";
  /** Messages dropped at the high-water mark. */
  dropped = 0;
  /** The endpoint this session belongs to (as bound or connected). */
  readonly endpoint: string;

  constructor(conn: Connection, owner: SessionOwner, options: SessionOptions, endpoint: string) {
    this.#conn = conn;
    this.#owner = owner;
    this.#opts = options;
    this.endpoint = endpoint;
    this.#decoder = new ZmtpDecoder({ maxMessageBytes: options.maxMessageBytes, ...(options.maxParts !== undefined && { maxParts: options.maxParts }) });
    this.#tracking = (options.heartbeatMs ?? 0) > 0;
    this.#timer = options.clock.setTimer(() => this.#fail(new ProtocolError("handshake timed out", "sequence")), options.handshakeTimeoutMs);
    this.#control.push(encodeGreeting({ mechanism: "NULL", asServer: false }));
    this.#schedule();
  }

  /** The peer's address. */
  get remote(): string {
    return this.#conn.remote;
  }

  /** Whether the handshake completed and the session is open. */
  get ready(): boolean {
    return this.#ready && !this.#done;
  }

  /** Whether nothing waits to be written (queued messages, commands or a partial write). */
  get idle(): boolean {
    return this.#done || (this.#messages.length === this.#head && this.#control.length === 0 && !this.#rest && !this.#scheduled);
  }

  /** Messages waiting to be written. */
  get queued(): number {
    return this.#messages.length - this.#head;
  }

  /**
   * How long the peer has sent nothing (clock ms), for a ready session on a socket with heartbeats on;
   * undefined otherwise (not tracked: heartbeats off, or the handshake not done).
   */
  silentMs(nowMs: number): number | undefined {
    return this.#tracking && this.#ready && !this.#done ? nowMs - this.#heardMs : undefined;
  }

  /**
   * Queues a message.
   * @returns false when the peer is at its high-water mark (the message is dropped and counted)
   */
  send(parts: Uint8Array[]): boolean {
    if (this.#done) return false;
    if (this.#messages.length - this.#head >= this.#opts.highWaterMark) {
      this.dropped++;
      return false;
    }
    this.#messages.push(parts);
    // Hand a large backlog to the kernel now rather than at the end of the tick, so the high-water mark
    // only counts what the peer has not taken (a single read can carry thousands of messages).
    if (this.#messages.length - this.#head >= FLUSH_AT && !this.#rest && this.#ready) this.#flush();
    else this.#schedule();
    return true;
  }

  /** Sends a subscription or cancel in the form the peer speaks (command for 3.1, message for 3.0). */
  sendSubscription(subscribe: boolean, topic: Uint8Array): void {
    if (this.#done) return;
    if (this.peerMinor >= 1) this.#command(encodeCommand(subscribe ? { type: "SUBSCRIBE", topic } : { type: "CANCEL", topic }));
    else {
      // A subscription is control traffic: it is never dropped at the high-water mark.
      this.#messages.push([encodeSubscription(subscribe, topic)]);
      this.#schedule();
    }
  }

  /** Closes the connection (idempotent). */
  close(): void {
    this.#finish(undefined);
  }

  /** Closes the connection as a rejected peer (the owner counts it and reports `error`); idempotent. */
  reject(error: ZmtpError): void {
    this.#fail(error);
  }

  // ConnectionHandler

  data(chunk: Uint8Array): void {
    if (this.#done) return;
    // Only heartbeats and eviction read it: no clock call per chunk on a socket without heartbeats.
    if (this.#tracking) this.#heardMs = this.#opts.clock.nowMs();
    let events: DecoderEvent[];
    try {
      events = this.#decoder.feed(chunk);
    } catch (err) {
      this.#fail(err instanceof ZmtpError ? err : new ProtocolError(String(err), "sequence", { cause: err }));
      return;
    }
    for (const ev of events) {
      if (this.#done) return;
      this.#handle(ev);
    }
  }

  drain(): void {
    if (this.#done || !this.#rest) return;
    const n = this.#conn.write(this.#rest);
    if (n < this.#rest.length) {
      this.#rest = this.#rest.subarray(n);
      return;
    }
    this.#rest = undefined;
    this.#flush();
  }

  closed(): void {
    this.#finish(undefined);
  }

  #handle(ev: DecoderEvent): void {
    if (ev.type === "greeting") {
      const g = ev.greeting;
      if (g.mechanism !== "NULL") {
        this.#fail(new ProtocolError(`unsupported security mechanism ${JSON.stringify(g.mechanism)} (disco speaks NULL)`, "mechanism", { mechanism: g.mechanism }));
        return;
      }
      this.peerMinor = g.minor;
      const metadata: [string, Uint8Array][] = [["Socket-Type", enc.encode(this.#opts.type)]];
      if (this.#opts.identity?.length) metadata.push(["Identity", this.#opts.identity]);
      this.#command(encodeCommand({ type: "READY", metadata: metadata as Metadata }));
      return;
    }
    if (ev.type === "command") {
      const c = ev.command;
      if (!this.#ready) {
        if (c.type === "ERROR") return this.#fail(new ProtocolError(`peer refused the handshake: ${c.reason}`, "peer-error"));
        if (c.type !== "READY") return this.#fail(new ProtocolError(`expected READY, got ${c.type === "UNKNOWN" ? c.name : c.type}`, "sequence"));
        const peerType = metadataText(c.metadata, "Socket-Type") ?? "";
        if (!COMPATIBLE[this.#opts.type].includes(peerType)) {
          this.#command(encodeCommand({ type: "ERROR", reason: "Invalid socket type" }));
          return this.#fail(new ProtocolError(`a ${this.#opts.type} socket cannot talk to ${peerType || "an untyped"} peer`, "socket-type"));
        }
        this.peerType = peerType;
        this.peerIdentity = metadataText(c.metadata, "Identity") ?? "";
        this.#ready = true;
        this.#timer?.cancel();
        this.#timer = undefined;
        this.#startHeartbeat();
        this.#owner.ready(this);
        this.#schedule();
        return;
      }
      switch (c.type) {
        case "PING":
          this.#command(encodeCommand({ type: "PONG", context: c.context }));
          return;
        case "SUBSCRIBE":
        case "CANCEL":
          if (this.#opts.type === "PUB" || this.#opts.type === "XPUB") this.#owner.subscription(this, c.type === "SUBSCRIBE", c.topic);
          return;
        case "ERROR":
          return this.#fail(new ProtocolError(`peer error: ${c.reason}`, "peer-error"));
        case "READY":
          return this.#fail(new ProtocolError("second READY", "sequence"));
        default:
          return; // PONG, unknown commands: ignored
      }
    }
    if (!this.#ready) return this.#fail(new ProtocolError("message before READY", "sequence"));
    const parts = ev.parts;
    if ((this.#opts.type === "PUB" || this.#opts.type === "XPUB") && parts.length === 1) {
      const s = decodeSubscription(parts[0]!);
      if (s) {
        this.#owner.subscription(this, s.subscribe, s.topic);
        return;
      }
    }
    this.#owner.message(this, parts);
  }

  /**
   * RFC 37 heartbeats, as libzmq's ZMQ_HEARTBEAT_IVL / ZMQ_HEARTBEAT_TIMEOUT: a PING every interval; a
   * peer silent (not a byte, PONG or otherwise) for the timeout is dropped. PINGs only to ZMTP 3.1 peers:
   * 3.0 has no PING, and a 3.0 subscriber is rightly silent after its subscriptions, so it is not timed out
   * here; its silence is still measured ({@link silentMs}), and a bound socket at a connection limit
   * closes the one silent longest (past the timeout) to take a newcomer.
   */
  #startHeartbeat(): void {
    const every = this.#opts.heartbeatMs ?? 0;
    if (every <= 0) return;
    const clock = this.#opts.clock;
    this.#heardMs = clock.nowMs();
    if (this.peerMinor < 1) return;
    const timeout = this.#opts.heartbeatTimeoutMs ?? every * 3;
    const tick = () => {
      if (this.#done) return;
      const silentMs = clock.nowMs() - this.#heardMs;
      if (silentMs >= timeout) {
        this.#fail(new ProtocolError(`no traffic for ${Math.round(silentMs)} ms (heartbeat timeout ${timeout} ms)`, "timeout"));
        return;
      }
      // TTL tells the peer how long to wait for our traffic before giving up on us (deciseconds).
      this.#command(encodeCommand({ type: "PING", ttlDs: Math.ceil(timeout / 100), context: new Uint8Array(0) }));
      // The next look comes at the next interval, or sooner when the timeout falls before it.
      this.#heartbeat = clock.setTimer(tick, Math.max(1, Math.min(every, timeout - silentMs)));
    };
    this.#heartbeat = clock.setTimer(tick, Math.min(every, timeout));
  }

  #command(body: Uint8Array): void {
    this.#control.push(encodeFrame(body, { command: true }));
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#done) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#done || this.#rest) return;
    for (;;) {
      const control = this.#control;
      const msgs = this.#messages;
      let size = 0;
      for (const c of control) size += c.length;
      let end = this.#head;
      if (this.#ready) {
        while (end < msgs.length && size < BATCH_BYTES) {
          for (const p of msgs[end]!) size += frameHeaderBytes(p.length) + p.length;
          end++;
        }
      }
      if (size === 0) {
        if (this.#ready) this.#owner.idle(this);
        return;
      }
      const buf = new Uint8Array(size);
      let o = 0;
      for (const c of control) {
        buf.set(c, o);
        o += c.length;
      }
      this.#control = [];
      for (let i = this.#head; i < end; i++) {
        const parts = msgs[i]!;
        for (let j = 0; j < parts.length; j++) o = writeFrame(buf, o, parts[j]!, j < parts.length - 1);
      }
      if (end === msgs.length) {
        this.#messages = [];
        this.#head = 0;
      } else this.#head = end;
      const n = this.#conn.write(buf);
      if (n < size) {
        this.#rest = buf.subarray(n);
        return;
      }
    }
  }

  #fail(error: ZmtpError): void {
    if (this.#done) return;
    // Give a queued ERROR command its chance to leave before the connection closes.
    if (this.#control.length && !this.#rest) this.#flush();
    this.#finish(error);
  }

  #finish(error: ZmtpError | undefined): void {
    if (this.#done) return;
    this.#done = true;
    this.#timer?.cancel();
    this.#heartbeat?.cancel();
    this.#messages = [];
    this.#control = [];
    this.#rest = undefined;
    this.#conn.close();
    this.#owner.closed(this, error);
  }
}
