/**
 * The socket core shared by PUB, SUB, XPUB and XSUB: bind and connect (many endpoints each), reconnect with
 * backoff, one {@link Session} per peer, counters and an event stream.
 */
import { AsyncQueue } from "../async/index.ts";
import type { Timer } from "./clock.ts";
import { formatEndpoint, parseEndpoint, type Endpoint } from "./endpoint.ts";
import { ClosedError, ProtocolError, TransportError, ZmtpError, type ProtocolErrorReason } from "./errors.ts";
import { AcceptedPeers } from "./_admission.ts";
import { Session, type SessionOwner, type SocketType } from "./session.ts";
import { resolveSocketOptions, type ResolvedSocketOptions, type SocketOptions } from "./socket-options.ts";
import type { Connection, Listener } from "./transport.ts";

/** Counters of a socket. */
export interface SocketStats {
  /** Peers with a completed handshake now. */
  readonly peers: number;
  /** Open connections now, handshake done or not. */
  readonly connections: number;
  /** Connections accepted on bound endpoints. */
  readonly accepted: number;
  /** Outgoing connections established. */
  readonly connected: number;
  /** Outgoing connection attempts that failed. */
  readonly connectFailures: number;
  /** Sessions ended. */
  readonly disconnected: number;
  /** Peers disconnected for breaking the protocol (garbage, oversized, wrong mechanism or type, ...). */
  readonly rejected: number;
  /** Messages dropped at a peer's high-water mark. */
  readonly dropped: number;
  /** Received messages dropped because the application did not read them in time. */
  readonly receiveDropped: number;
  /** Incoming connections closed at once: over `maxConnections` or `maxConnectionsPerAddress`. */
  readonly refused: number;
  /**
   * Peers closed to make room for a newcomer at a connection limit: silent past `heartbeatTimeoutMs`
   * (ZMTP 3.0 peers, which get no PING); also counted in `rejected`.
   */
  readonly evicted: number;
  /** Subscriptions dropped (never applied nor passed on): topic too long, or over a topic limit. */
  readonly subscriptionsDropped: number;
}

/** Something that happened on a socket, discriminated on `type`. */
export type SocketEvent =
  | { readonly type: "listening"; readonly endpoint: string }
  | { readonly type: "connected"; readonly endpoint: string; readonly remote: string }
  | { readonly type: "accepted"; readonly endpoint: string; readonly remote: string }
  | { readonly type: "handshake"; readonly endpoint: string; readonly remote: string; readonly peerType: string }
  | { readonly type: "connect-failed"; readonly endpoint: string; readonly error: ZmtpError; readonly retryMs: number }
  | { readonly type: "disconnected"; readonly endpoint: string; readonly remote: string }
  /** A peer dropped for breaking the protocol, or (reason `over-limit`) a connection refused at a limit. */
  | { readonly type: "rejected"; readonly endpoint: string; readonly remote: string; readonly reason: ProtocolErrorReason | "frame"; readonly error: ZmtpError };

interface Dialer {
  /** The endpoint, parsed once by connect(). */
  readonly ep: Endpoint;
  stopped: boolean;
  session?: Session;
  timer?: Timer;
  delayMs: number;
}

const enc = new TextEncoder();

/** The handler of a refused connection: ignores everything until the close it was given lands. */
const REFUSED = { data() {}, drain() {}, closed() {} };

/** Base of the four socket types. Not used directly: create a PubSocket, SubSocket, XPubSocket or XSubSocket. */
export abstract class ZmtpSocket implements AsyncDisposable {
  readonly type: SocketType;
  protected readonly options: ResolvedSocketOptions;
  protected readonly sessions = new Set<Session>();
  readonly #live = new Set<Session>();
  readonly #listeners = new Map<string, Listener>();
  readonly #dialers = new Map<string, Dialer>();
  readonly #watchers = new Set<AsyncQueue<SocketEvent>>();
  readonly #waiters = new Set<() => void>();
  #closed = false;
  #lingering = false;
  #stats = { accepted: 0, connected: 0, connectFailures: 0, disconnected: 0, rejected: 0, dropped: 0, refused: 0, evicted: 0, subscriptionsDropped: 0 };
  readonly #accepted: AcceptedPeers;
  readonly #owner: SessionOwner;

  constructor(type: SocketType, options: SocketOptions = {}) {
    this.type = type;
    this.options = resolveSocketOptions(options);
    const o = this.options;
    this.#accepted = new AcceptedPeers({ maxConnections: o.maxConnections, maxConnectionsPerAddress: o.maxConnectionsPerAddress, idleTimeoutMs: o.heartbeatMs > 0 ? o.heartbeatTimeoutMs : 0 });
    this.#owner = {
      ready: (s) => {
        this.#emit({ type: "handshake", endpoint: s.endpoint, remote: s.remote, peerType: s.peerType });
        const d = this.#dialers.get(s.endpoint);
        if (d && d.session === s) d.delayMs = this.options.reconnectMs;
        this.sessions.add(s);
        this.onReady(s);
        this.notify();
      },
      message: (s, parts) => this.onMessage(s, parts),
      idle: () => {
        if (this.#lingering) this.notify();
      },
      subscription: (s, sub, topic) => {
        this.onSubscription(s, sub, topic);
        this.notify();
      },
      closed: (s, error) => {
        this.#live.delete(s);
        this.#accepted.release(s);
        const was = this.sessions.delete(s);
        this.#stats.dropped += s.dropped;
        this.#stats.disconnected++;
        if (error) {
          this.#stats.rejected++;
          const reason = error instanceof ProtocolError ? error.reason : "frame";
          this.#emit({ type: "rejected", endpoint: s.endpoint, remote: s.remote, reason, error });
        } else this.#emit({ type: "disconnected", endpoint: s.endpoint, remote: s.remote });
        if (was) this.onClosed(s);
        const d = this.#dialers.get(s.endpoint);
        if (d && d.session === s) {
          d.session = undefined;
          this.#redial(s.endpoint, d);
        }
        this.notify();
      },
    };
  }

  /** Counters. */
  get stats(): SocketStats {
    let dropped = this.#stats.dropped;
    for (const s of this.sessions) dropped += s.dropped;
    return { ...this.#stats, dropped, peers: this.sessions.size, connections: this.#live.size, receiveDropped: this.receiveDropped() };
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Binds and accepts peers.
   * @param endpoint `tcp://*:9000`, `tcp://127.0.0.1:0`, `tcp://[::1]:5555`, `ipc:///var/tmp/disco`
   * @returns the endpoint bound (with an ephemeral port resolved), usable to connect
   * @throws {EndpointError} on a malformed endpoint
   * @throws {TransportError} when it cannot be bound
   */
  async bind(endpoint: string): Promise<string> {
    this.#assertOpen();
    const ep = parseEndpoint(endpoint, { ipv6: this.options.ipv6 });
    let bound = "";
    const perAddress = ep.transport === "tcp";
    const listener = await this.options.transport.listen(ep, (conn) => {
      const address = perAddress ? conn.remote : "";
      const admission = this.#accepted.admit(address, this.options.clock.nowMs());
      if (admission.type === "evict") {
        // Closed (and its places freed) at once, counted as rejected too: the newcomer takes its place.
        const { victim, silentMs } = admission;
        this.#stats.evicted++;
        victim.reject(new ProtocolError(`silent for ${Math.round(silentMs)} ms (ZMTP 3.${victim.peerMinor}, idle timeout ${this.options.heartbeatTimeoutMs} ms) at the connection limit: closed to take a newcomer`, "evicted"));
      } else if (admission.type === "refuse") {
        // Refused before any byte is read or written: a closed socket is all a flood gets.
        this.#stats.refused++;
        const error = new ProtocolError(
          admission.limit === "connections" ? `over the limit of ${this.options.maxConnections} connections` : `over the limit of ${this.options.maxConnectionsPerAddress} connections from ${address}`,
          "over-limit",
        );
        this.#emit({ type: "rejected", endpoint: bound, remote: conn.remote, reason: "over-limit", error });
        queueMicrotask(() => conn.close());
        return REFUSED;
      }
      this.#stats.accepted++;
      this.#emit({ type: "accepted", endpoint: bound, remote: conn.remote });
      const s = this.#session(conn, bound);
      this.#accepted.add(s, address);
      return s;
    });
    bound = formatEndpoint(listener.endpoint);
    if (this.#closed) {
      listener.close();
      throw new ClosedError("socket closed while binding");
    }
    this.#listeners.set(bound, listener);
    this.#emit({ type: "listening", endpoint: bound });
    return bound;
  }

  /**
   * Stops accepting on an endpoint returned by {@link bind} (connected peers stay).
   * @returns whether it was bound
   */
  unbind(endpoint: string): boolean {
    const l = this.#listeners.get(endpoint);
    if (!l) return false;
    l.close();
    this.#listeners.delete(endpoint);
    return true;
  }

  /**
   * Connects to an endpoint, in the background: retries with backoff until it succeeds and again whenever
   * the connection ends, until {@link disconnect} or {@link close}.
   * @throws {EndpointError} on a malformed endpoint
   */
  connect(endpoint: string): void {
    this.#assertOpen();
    const ep = parseEndpoint(endpoint);
    if (this.#dialers.has(endpoint)) return;
    const d: Dialer = { ep, stopped: false, delayMs: this.options.reconnectMs };
    this.#dialers.set(endpoint, d);
    void this.#dial(endpoint, d);
  }

  /**
   * Stops connecting to an endpoint and closes its session.
   * @returns whether it was connected
   */
  disconnect(endpoint: string): boolean {
    const d = this.#dialers.get(endpoint);
    if (!d) return false;
    d.stopped = true;
    d.timer?.cancel();
    this.#dialers.delete(endpoint);
    d.session?.close();
    return true;
  }

  /** Endpoints passed to {@link connect} and not disconnected. */
  get connections(): string[] {
    return [...this.#dialers.keys()];
  }

  /** Endpoints bound. */
  get endpoints(): string[] {
    return [...this.#listeners.keys()];
  }

  /**
   * Events (connects, handshakes, rejections, ...) from now on; holds up to 1000 unread ones.
   * @param signal ends the stream
   */
  async *events(signal?: AbortSignal): AsyncGenerator<SocketEvent> {
    const q = new AsyncQueue<SocketEvent>({ capacity: 1000 });
    this.#watchers.add(q);
    try {
      for (;;) {
        const r = await q.next(signal);
        if (r.done) return;
        yield r.value;
      }
    } finally {
      this.#watchers.delete(q);
    }
  }

  /**
   * Resolves once `check()` holds, re-checked after every handshake, subscription and disconnect.
   * @returns true when it held, false when `signal` aborted or the socket closed first
   */
  protected waitUntil(check: () => boolean, signal?: AbortSignal): Promise<boolean> {
    if (check()) return Promise.resolve(true);
    if (signal?.aborted || this.#closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (v: boolean) => {
        this.#waiters.delete(waiter);
        signal?.removeEventListener("abort", onAbort);
        resolve(v);
      };
      const waiter = () => {
        if (this.#closed) done(false);
        else if (check()) done(true);
      };
      const onAbort = () => done(false);
      this.#waiters.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /**
   * Resolves once at least one peer completed its handshake.
   * @returns false when `signal` aborted first
   */
  waitForPeer(signal?: AbortSignal): Promise<boolean> {
    return this.waitUntil(() => this.sessions.size > 0, signal);
  }

  /**
   * Resolves once no connection is open (every peer, handshake done or not, has gone).
   * @returns false when `signal` aborted first
   */
  waitForNoConnections(signal?: AbortSignal): Promise<boolean> {
    return this.waitUntil(() => this.#live.size === 0, signal);
  }

  /** Re-checks every {@link waitUntil}. */
  protected notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  /**
   * Closes every listener and peer (idempotent).
   * @param options `lingerMs`: first wait up to this long for queued messages to reach the kernel
   * (as ZMQ_LINGER). @default 0
   */
  async close(options: { lingerMs?: number } = {}): Promise<void> {
    if (this.#closed) return;
    if (options.lingerMs && options.lingerMs > 0) {
      this.#lingering = true;
      await this.waitUntil(() => [...this.sessions].every((s) => s.idle), AbortSignal.timeout(options.lingerMs));
      this.#lingering = false;
    }
    if (this.#closed) return;
    this.#closed = true;
    for (const d of this.#dialers.values()) {
      d.stopped = true;
      d.timer?.cancel();
    }
    for (const l of this.#listeners.values()) l.close();
    this.#listeners.clear();
    for (const s of [...this.sessions]) s.close();
    for (const d of this.#dialers.values()) d.session?.close();
    this.#dialers.clear();
    for (const q of this.#watchers) q.close();
    this.onClose();
    this.notify();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  protected topicBytes(topic: string | Uint8Array): Uint8Array {
    return typeof topic === "string" ? enc.encode(topic) : topic;
  }

  protected abstract onReady(session: Session): void;
  protected abstract onMessage(session: Session, parts: Uint8Array[]): void;
  protected abstract onSubscription(session: Session, subscribe: boolean, topic: Uint8Array): void;
  protected abstract onClosed(session: Session): void;
  protected onClose(): void {}
  protected receiveDropped(): number {
    return 0;
  }

  #assertOpen(): void {
    if (this.#closed) throw new ClosedError(`the ${this.type} socket is closed`);
  }

  #session(conn: Connection, endpoint: string): Session {
    const o = this.options;
    const session = new Session(
      conn,
      this.#owner,
      {
        type: this.type,
        highWaterMark: o.highWaterMark,
        maxMessageBytes: o.maxMessageBytes,
        maxParts: o.maxParts,
        handshakeTimeoutMs: o.handshakeTimeoutMs,
        clock: o.clock,
        heartbeatMs: o.heartbeatMs,
        heartbeatTimeoutMs: o.heartbeatTimeoutMs,
        ...(o.identity !== undefined ? { identity: enc.encode(o.identity) } : {}),
      },
      endpoint,
    );
    this.#live.add(session);
    return session;
  }

  async #dial(endpoint: string, d: Dialer): Promise<void> {
    if (d.stopped || this.#closed) return;
    try {
      await this.options.transport.connect(d.ep, (conn) => {
        const s = this.#session(conn, endpoint);
        d.session = s;
        return s;
      });
      if (d.stopped || this.#closed) {
        d.session?.close();
        return;
      }
      this.#stats.connected++;
      this.#emit({ type: "connected", endpoint, remote: d.session?.remote ?? "" });
    } catch (err) {
      this.#stats.connectFailures++;
      const error = err instanceof ZmtpError ? err : new TransportError(`cannot connect to ${endpoint}: ${String(err)}`, endpoint, { cause: err });
      this.#emit({ type: "connect-failed", endpoint, error, retryMs: d.delayMs });
      d.session = undefined;
      this.#redial(endpoint, d);
    }
  }

  #redial(endpoint: string, d: Dialer): void {
    if (d.stopped || this.#closed || d.timer) return;
    const delay = d.delayMs;
    d.delayMs = Math.min(d.delayMs * 2, this.options.reconnectMaxMs);
    d.timer = this.options.clock.setTimer(() => {
      d.timer = undefined;
      void this.#dial(endpoint, d);
    }, delay);
  }

  /** Counts a subscription dropped by a topic limit (for subclasses). */
  protected countDroppedSubscription(): void {
    this.#stats.subscriptionsDropped++;
  }

  #emit(ev: SocketEvent): void {
    for (const q of this.#watchers) q.push(ev);
  }
}
