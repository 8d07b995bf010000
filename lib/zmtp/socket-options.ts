/**
 * The options every ZMTP socket takes, their defaults, and the one function that merges them.
 */
import { bunTransport } from "./bun-transport.ts";
import { systemClock, type ZmtpClock } from "./clock.ts";
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_PARTS } from "./decoder.ts";
import type { Transport } from "./transport.ts";

/** Options of every socket. */
export interface SocketOptions {
  /** The socket adapter. @default bunTransport (real TCP and Unix sockets) */
  readonly transport?: Transport;
  /** Messages queued per peer before new ones are dropped. @default 1000 */
  readonly highWaterMark?: number;
  /** Received messages held for the application before new ones are dropped. @default 1000 */
  readonly receiveHighWaterMark?: number;
  /** Largest message (and command) accepted from a peer; larger ones disconnect it. @default 1048576 */
  readonly maxMessageBytes?: number;
  /**
   * Most frames in one message from a peer; more disconnect it (each frame held costs an object, whatever
   * its size, so a message of many empty frames is bounded by this, not by `maxMessageBytes`). @default 1024
   */
  readonly maxParts?: number;
  /** First reconnect delay. @default 100 */
  readonly reconnectMs?: number;
  /** Largest reconnect delay (the delay doubles after each failure up to this). @default 2000 */
  readonly reconnectMaxMs?: number;
  /** A peer must finish the greeting and READY within this. @default 10000 */
  readonly handshakeTimeoutMs?: number;
  /** Send a PING to each peer this often once connected; 0 turns heartbeats off (libzmq's default). @default 0 */
  readonly heartbeatMs?: number;
  /** With heartbeats on, drop a peer silent for this long (then reconnect, when connecting). @default 3 x heartbeatMs */
  readonly heartbeatTimeoutMs?: number;
  /** Identity sent in READY. @default none */
  readonly identity?: string;
  /** Bind `tcp://*` to IPv6 `::` (dual stack) instead of IPv4 `0.0.0.0`. @default false */
  readonly ipv6?: boolean;
  /** Timers (handshake deadline, heartbeats, reconnect backoff); tests pass a fake one. @default systemClock */
  readonly clock?: ZmtpClock;
  /**
   * Most connections accepted on bound endpoints at once; one more is closed at once and counted
   * (`stats.refused`). Outgoing connections do not count. @default 256
   */
  readonly maxConnections?: number;
  /** Most accepted connections from one source address at once (tcp only; ipc peers are local). @default 16 */
  readonly maxConnectionsPerAddress?: number;
  /** Longest subscription topic accepted from a peer (PUB/XPUB); longer ones are dropped and counted. @default 256 */
  readonly maxTopicBytes?: number;
  /**
   * Most distinct topics one peer may hold (PUB/XPUB); further ones are dropped and counted. The metrics
   * proxy's backend, open to strangers, sets 100. @default 10000
   */
  readonly maxTopicsPerPeer?: number;
  /**
   * Most topics held over all peers (PUB/XPUB), each peer's first topic not counted, so a full socket still
   * admits a newcomer's subscription; further ones are dropped and counted. @default 100000
   */
  readonly maxTopics?: number;
}

/** Resolved socket options. */
export interface ResolvedSocketOptions {
  readonly transport: Transport;
  readonly highWaterMark: number;
  readonly receiveHighWaterMark: number;
  readonly maxMessageBytes: number;
  readonly maxParts: number;
  readonly reconnectMs: number;
  readonly reconnectMaxMs: number;
  readonly handshakeTimeoutMs: number;
  readonly heartbeatMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly identity?: string;
  readonly ipv6: boolean;
  readonly clock: ZmtpClock;
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  readonly maxTopicBytes: number;
  readonly maxTopicsPerPeer: number;
  readonly maxTopics: number;
}

/** Default of {@link SocketOptions.maxTopicsPerPeer} (tests subscribe one past it). */
export const DEFAULT_MAX_TOPICS_PER_PEER = 10_000;

/** Merges defaults into socket options. */
export function resolveSocketOptions(o: SocketOptions = {}): ResolvedSocketOptions {
  const r: ResolvedSocketOptions = {
    transport: o.transport ?? bunTransport,
    highWaterMark: o.highWaterMark ?? 1000,
    receiveHighWaterMark: o.receiveHighWaterMark ?? 1000,
    maxMessageBytes: o.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    maxParts: o.maxParts ?? DEFAULT_MAX_PARTS,
    reconnectMs: o.reconnectMs ?? 100,
    reconnectMaxMs: o.reconnectMaxMs ?? 2000,
    handshakeTimeoutMs: o.handshakeTimeoutMs ?? 10_000,
    heartbeatMs: o.heartbeatMs ?? 0,
    heartbeatTimeoutMs: o.heartbeatTimeoutMs ?? (o.heartbeatMs ?? 0) * 3,
    ipv6: o.ipv6 ?? false,
    clock: o.clock ?? systemClock,
    maxConnections: o.maxConnections ?? 256,
    maxConnectionsPerAddress: o.maxConnectionsPerAddress ?? 16,
    maxTopicBytes: o.maxTopicBytes ?? 256,
    maxTopicsPerPeer: o.maxTopicsPerPeer ?? DEFAULT_MAX_TOPICS_PER_PEER,
    maxTopics: o.maxTopics ?? 100_000,
  };
  for (const k of ["maxConnections", "maxConnectionsPerAddress", "maxTopicsPerPeer", "maxTopics", "maxParts"] as const) {
    if (!(r[k] >= 1)) throw new RangeError(`${k} must be at least 1`);
  }
  if (!(r.maxTopicBytes >= 0)) throw new RangeError("maxTopicBytes must not be negative");
  if (!(r.highWaterMark >= 1)) throw new RangeError("highWaterMark must be at least 1");
  if (!(r.receiveHighWaterMark >= 1)) throw new RangeError("receiveHighWaterMark must be at least 1");
  if (!(r.maxMessageBytes >= 1)) throw new RangeError("maxMessageBytes must be at least 1");
  return o.identity !== undefined ? { ...r, identity: o.identity } : r;
}
