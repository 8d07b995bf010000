/**
 * The metrics proxy (disco.py's `metrics --proxy`): an XSUB on the frontend where local publishers connect
 * and an XPUB on the backend where receivers from the whole LAN connect.
 */
import type { BackendLimitsConfig } from "../config/index.ts";
import { DEFAULT_MAX_MESSAGE_BYTES, runProxy, XPubSocket, XSubSocket, type OutgoingMessage, type ProxyStats, type SocketEvent, type SocketOptions } from "../zmtp/index.ts";
import { createMetric, encodeMetric, type Metric } from "./metric.ts";
import { DEFAULT_FRONTEND } from "./publisher.ts";
import type { JsonValue } from "../python/index.ts";

/** disco.py's default backend: every interface, port 9000. */
export const DEFAULT_BACKEND = "tcp://*:9000";

/** Options of {@link MetricsProxy.open}. */
export interface MetricsProxyOptions {
  /** @default "ipc:///var/tmp/disco" */
  readonly frontend?: string;
  /** @default "tcp://*:9000" */
  readonly backend?: string;
  /**
   * Options of both sockets (high-water mark, max message size, transport). The backend takes at most
   * {@link backendMaxFrameBytes} and {@link BACKEND_MAX_PARTS} frames per message from a peer.
   */
  readonly socket?: SocketOptions;
  /**
   * The backend's limits against strangers ([metrics] in the config); a field left out keeps its default
   * (256 connections, 16 per address, 10 s handshake, PING every 10 s and drop after 30 s of silence,
   * topics of 256 bytes, 100 per peer, 10,000 in all).
   */
  readonly limits?: Partial<BackendLimits>;
}

/** What strangers on the backend (the proxy's XPUB) may hold: `[metrics]` limits, defined by the config. */
export type BackendLimits = BackendLimitsConfig;

/** Defaults of {@link MetricsProxyOptions.limits}. */
export const DEFAULT_BACKEND_LIMITS: BackendLimits = {
  maxConnections: 256,
  maxConnectionsPerAddress: 16,
  handshakeTimeoutMs: 10_000,
  heartbeatMs: 10_000,
  idleTimeoutMs: 30_000,
  maxTopicBytes: 256,
  maxTopicsPerPeer: 100,
  maxTopics: 10_000,
};

/**
 * Room a backend peer gets beyond `maxTopicBytes` for one frame: the largest SUBSCRIBE command is
 * `\x09SUBSCRIBE` + the topic, a 3.0 subscription `\x01` + the topic, and READY (Socket-Type, an Identity
 * of up to 255 bytes), PING, PONG and ERROR are a few hundred bytes at most.
 */
export const BACKEND_FRAME_SLACK_BYTES = 1024;

/**
 * The largest frame (and message) the backend takes from a peer: receivers send only subscriptions,
 * cancels and commands, so `maxTopicBytes` + {@link BACKEND_FRAME_SLACK_BYTES}, and never more than the
 * sockets' `maxMessageBytes`. A peer announcing more is refused on the frame's header, before its body is
 * buffered: 256 strangers cannot make the backend hold 256 × `max_message_bytes`. (A topic longer than
 * `maxTopicBytes` but within this is dropped and counted, as before.)
 * @param maxTopicBytes the backend's topic limit
 * @param maxMessageBytes the sockets' message limit (the frontend keeps it)
 */
export function backendMaxFrameBytes(maxTopicBytes: number, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): number {
  return Math.min(maxMessageBytes, maxTopicBytes + BACKEND_FRAME_SLACK_BYTES);
}

/**
 * Most frames in one message from a backend peer. Receivers send single-frame subscriptions (and the
 * proxy drops anything else they send); without this bound a stranger's message of 1,023 empty frames
 * held about 130 KB per connection within a frame limit of a kilobyte.
 */
export const BACKEND_MAX_PARTS = 16;

/** The backend socket's options: `socket`, then the limits (defaults where not given). */
function backendOptions(socket: SocketOptions | undefined, limits: Partial<BackendLimits> | undefined): SocketOptions {
  const l = { ...DEFAULT_BACKEND_LIMITS, ...limits };
  return {
    ...socket,
    maxMessageBytes: backendMaxFrameBytes(l.maxTopicBytes, socket?.maxMessageBytes),
    maxParts: Math.min(socket?.maxParts ?? BACKEND_MAX_PARTS, BACKEND_MAX_PARTS),
    maxConnections: l.maxConnections,
    maxConnectionsPerAddress: l.maxConnectionsPerAddress,
    handshakeTimeoutMs: l.handshakeTimeoutMs,
    heartbeatMs: l.heartbeatMs,
    heartbeatTimeoutMs: l.idleTimeoutMs,
    maxTopicBytes: l.maxTopicBytes,
    maxTopicsPerPeer: l.maxTopicsPerPeer,
    maxTopics: l.maxTopics,
  };
}

/** A bound proxy; {@link run} forwards until aborted. */
export class MetricsProxy implements AsyncDisposable {
  readonly #xsub: XSubSocket;
  readonly #xpub: XPubSocket;
  /** The frontend as bound. */
  readonly frontend: string;
  /** The backend as bound (an ephemeral port resolved). */
  readonly backend: string;

  private constructor(xsub: XSubSocket, xpub: XPubSocket, frontend: string, backend: string) {
    this.#xsub = xsub;
    this.#xpub = xpub;
    this.frontend = frontend;
    this.backend = backend;
  }

  /**
   * Binds both sides.
   * @throws {EndpointError} on a malformed endpoint
   * @throws {TransportError} when one cannot be bound (in use, no permission)
   */
  static async open(options: MetricsProxyOptions = {}): Promise<MetricsProxy> {
    const xsub = new XSubSocket(options.socket);
    const xpub = new XPubSocket(backendOptions(options.socket, options.limits));
    try {
      // The backend first: a TCP port in use fails before the frontend's ipc path is touched.
      const backend = await xpub.bind(options.backend ?? DEFAULT_BACKEND);
      const frontend = await xsub.bind(options.frontend ?? DEFAULT_FRONTEND);
      return new MetricsProxy(xsub, xpub, frontend, backend);
    } catch (err) {
      await xsub.close();
      await xpub.close();
      throw err;
    }
  }

  /**
   * Forwards until `signal` aborts. Upstream it asks the publishers for every message while any receiver
   * holds a subscription, and filters per receiver itself: nothing a stranger subscribes to reaches a
   * publisher, so junk cannot crowd out a real receiver's subscription.
   * @param options.tap also called with every message a publisher sent (the proxy then asks them for all)
   * @returns the proxy's counters
   */
  run(signal: AbortSignal, options: { tap?: (parts: readonly Uint8Array[]) => void } = {}): Promise<ProxyStats> {
    return runProxy(this.#xsub, this.#xpub, { signal, forward: "everything", ...(options.tap && { tap: options.tap }) });
  }

  /**
   * Sends a message to the receivers on the backend as if a publisher on the frontend had sent it: the
   * daemon's own collectors use this instead of a PUB socket connected to the frontend of the same process.
   * (A connected socket makes Bun's event loop wake every second for its timeout sweep, even when idle:
   * that alone was most of an idle daemon's CPU.)
   * @returns how many receivers took it
   */
  publish(message: OutgoingMessage): number {
    return this.#xpub.send(message);
  }

  /**
   * {@link publish} of a metric built here (the host name, the values and the time).
   * @returns the metric sent and how many receivers took it
   * @throws {RangeError} on a host name that is not one word or a `_time` value given
   */
  publishMetric(host: string, values: Readonly<Record<string, JsonValue>>, nowMs: number): { metric: Metric; peers: number } {
    const metric = createMetric(host, values, nowMs);
    return { metric, peers: this.publish(encodeMetric(metric)) };
  }

  /** Counters of the frontend (publishers) and backend (receivers) sockets. */
  get stats() {
    return { frontend: this.#xsub.stats, backend: this.#xpub.stats };
  }

  /** Events of both sides, tagged. */
  async *events(signal?: AbortSignal): AsyncGenerator<{ side: "frontend" | "backend"; event: SocketEvent }> {
    const merged: { side: "frontend" | "backend"; event: SocketEvent }[] = [];
    let wake: (() => void) | undefined;
    const pump = async (side: "frontend" | "backend", it: AsyncIterable<SocketEvent>) => {
      for await (const event of it) {
        merged.push({ side, event });
        wake?.();
      }
    };
    const done = Promise.all([pump("frontend", this.#xsub.events(signal)), pump("backend", this.#xpub.events(signal))]);
    let finished = false;
    void done.then(() => {
      finished = true;
      wake?.();
    });
    for (;;) {
      while (merged.length) yield merged.shift()!;
      if (finished) return;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  }

  async close(): Promise<void> {
    await this.#xsub.close();
    await this.#xpub.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
