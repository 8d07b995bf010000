/**
 * Receiving metrics from the fleet (disco.py's `metrics --receive`): one SUB socket subscribed to
 * `metric`, connected to every host's proxy backend. Hosts come from membership events (join/update
 * connect, leave/failed disconnect) and/or a fixed endpoint list. disco.py instead rebuilt its socket
 * hourly; here a host that leaves or fails is disconnected at once, and a host that moves is disconnected
 * from its old endpoint: one name, at most one endpoint. From a host's endpoint only that host's metrics
 * are taken, or names no beacon leads elsewhere.
 */
import type { HostRecord, MembershipEvent } from "../beacon/index.ts";
import { formatEndpoint, parseEndpoint, SubSocket, type SocketEvent, type SocketOptions } from "../zmtp/index.ts";
import { acceptMetricFrame, METRIC_TOPIC, type Metric } from "./metric.ts";

/** disco.py's metrics (and beacon) port. */
export const DEFAULT_METRICS_PORT = 9000;

/** Options of {@link MetricsReceiver}. */
export interface ReceiverOptions {
  /** Port of a host's backend when its beacon does not announce an endpoint. @default 9000 */
  readonly port?: number;
  /** Options of the SUB socket. @default heartbeats every 10 s, a backend silent for 30 s is reconnected */
  readonly socket?: SocketOptions;
}

/**
 * The endpoint to reach a host's proxy backend. A sealed beacon's announced endpoint is followed as it is
 * (its sender holds the key), with a `*` host replaced by the address it was heard from. An unsealed
 * beacon's announcement is only believed about the port: the connection goes to the address the beacon
 * came from, so a stranger's beacons cannot send this receiver to connect to hosts of their choosing
 * (issue 9 #7). Without an announced tcp endpoint: `tcp://<address>:<port>`.
 * @returns undefined when the record has no address to go to, or is a py-vault-multicast service (not a
 *   metrics host)
 */
export function backendEndpoint(host: HostRecord, port = DEFAULT_METRICS_PORT): string | undefined {
  if (host.source === "vault-multicast") return undefined;
  const address = host.addresses[0];
  if (host.metricsEndpoint) {
    try {
      const ep = parseEndpoint(host.metricsEndpoint);
      if (ep.transport === "tcp" && ep.port > 0) {
        const wildcard = ep.wildcard || ep.host === "0.0.0.0" || ep.host === "::";
        if (host.sealed === true && !wildcard) return host.metricsEndpoint;
        return address ? formatEndpoint({ ...ep, host: address, wildcard: false }) : undefined;
      }
    } catch {
      // a malformed announcement: fall back to the address
    }
  }
  return address ? formatEndpoint({ transport: "tcp", host: address, port, wildcard: false }) : undefined;
}

/** A metrics receiver. Iterate it for metrics. */
export class MetricsReceiver implements AsyncIterable<Metric>, AsyncDisposable {
  readonly #sub: SubSocket;
  readonly #port: number;
  readonly #hosts = new Map<string, string>();
  readonly #fixed = new Set<string>();
  /** Frames that were not metrics, or named a host that breaks the host name rule (counted, skipped). */
  badFrames = 0;
  /**
   * Metrics that came from one followed host's endpoint but named a host followed at another (counted,
   * skipped): no backend can pass off its frames as another beaconing host's, a sealed one's included.
   * Names no beacon claims (other publishers through a host's proxy) and fixed endpoints ({@link connect})
   * are taken at their word.
   */
  foreignFrames = 0;

  constructor(options: ReceiverOptions = {}) {
    this.#port = options.port ?? DEFAULT_METRICS_PORT;
    // Heartbeats (RFC 37) find a backend that vanished without closing its connection (power cut, cable),
    // so the receiver reconnects instead of waiting on a dead socket; libzmq and disco proxies answer them.
    this.#sub = new SubSocket({ heartbeatMs: 10_000, heartbeatTimeoutMs: 30_000, ...options.socket });
    this.#sub.subscribe(METRIC_TOPIC);
  }

  /**
   * Connects to an endpoint for good (a `--connect` entry).
   * @throws {EndpointError} on a malformed endpoint
   */
  connect(endpoint: string): void {
    this.#fixed.add(endpoint);
    this.#sub.connect(endpoint);
  }

  /** Host name → backend endpoint of the hosts followed from membership. */
  get hosts(): ReadonlyMap<string, string> {
    return this.#hosts;
  }

  /**
   * Whether a frame naming `host` may come from `endpoint`: a fixed endpoint speaks for anyone; a followed
   * one for its own hosts, and for names no beacon leads anywhere (a sensor publishing under its own name
   * through its Pi's proxy), never for a host followed at another endpoint.
   */
  #speaksFor(endpoint: string, host: string): boolean {
    if (this.#fixed.has(endpoint)) return true;
    const followed = this.#hosts.get(host);
    return followed === undefined || followed === endpoint;
  }

  /** The endpoints the socket connects to now (and retries while they are down): fixed and followed. */
  get endpoints(): string[] {
    return this.#sub.connections;
  }

  /**
   * Applies one membership event. A host that moves (an update with another endpoint) is disconnected
   * from the old endpoint, unless a `--connect` entry or another host still uses it.
   * @returns what changed, for logs; `previous` is the endpoint a moved host left
   */
  apply(event: MembershipEvent): { action: "connect" | "disconnect" | "none"; endpoint?: string; previous?: string } {
    const name = event.host.host;
    const current = this.#hosts.get(name);
    if (event.type === "join" || event.type === "update") {
      const ep = backendEndpoint(event.host, this.#port);
      if (!ep || ep === current) return { action: "none" };
      // The new mapping first: #drop keeps endpoints a followed host still maps to, this one included.
      this.#hosts.set(name, ep);
      this.#sub.connect(ep);
      if (!current) return { action: "connect", endpoint: ep };
      this.#drop(current);
      return { action: "connect", endpoint: ep, previous: current };
    }
    if (event.type === "leave" || event.type === "failed") {
      if (!current) return { action: "none" };
      this.#hosts.delete(name);
      this.#drop(current);
      return { action: "disconnect", endpoint: current };
    }
    return { action: "none" };
  }

  /**
   * Follows membership events until they end or `signal` aborts.
   * @param onChange called with each connect/disconnect (for `--debug`)
   */
  async follow(events: AsyncIterable<MembershipEvent>, options: { signal?: AbortSignal; onChange?: (host: string, action: "connect" | "disconnect", endpoint: string) => void } = {}): Promise<void> {
    for await (const event of events) {
      if (options.signal?.aborted) return;
      const r = this.apply(event);
      if (r.previous) options.onChange?.(event.host.host, "disconnect", r.previous);
      if (r.action !== "none" && r.endpoint) options.onChange?.(event.host.host, r.action, r.endpoint);
    }
  }

  /**
   * The next metric; frames that are not metrics, or whose host name breaks the host name rule, are counted
   * in {@link badFrames} and skipped; a metric naming a host followed at another endpoint than the one it
   * came from is counted in {@link foreignFrames} and skipped.
   * @returns undefined when closed or `signal` aborted
   */
  async receive(signal?: AbortSignal): Promise<Metric | undefined> {
    for (;;) {
      const m = await this.#sub.receiveFrom(signal);
      if (!m) return undefined;
      const metric = acceptMetricFrame(m.parts[0]!);
      if (!metric) this.badFrames++;
      else if (this.#speaksFor(m.endpoint, metric.host)) return metric;
      else this.foreignFrames++;
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Metric> {
    for (;;) {
      const m = await this.receive();
      if (!m) return;
      yield m;
    }
  }

  /** The SUB socket's events (connects, failures, rejections). */
  events(signal?: AbortSignal): AsyncGenerator<SocketEvent> {
    return this.#sub.events(signal);
  }

  /** The SUB socket's counters. */
  get stats() {
    return this.#sub.stats;
  }

  async close(): Promise<void> {
    await this.#sub.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #drop(endpoint: string): void {
    // Keep endpoints also given with --connect, and ones another host still uses.
    if (this.#fixed.has(endpoint) || [...this.#hosts.values()].includes(endpoint)) return;
    this.#sub.disconnect(endpoint);
  }
}
