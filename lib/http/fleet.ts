/**
 * The fleet as the web server and the MQTT bridge see it: a narrow, read-mostly interface over the
 * daemon's membership table, the latest metrics, this host's GPIO lines, its status and its counters.
 * {@link FleetState} is the implementation the daemon feeds; tests feed it directly.
 */
import { Subscribers } from "../async/index.ts";
import type { HostRecord } from "../beacon/index.ts";
import type { JsonValue } from "../python/index.ts";

/** Membership states (the membership table's own). */
export type HostState = HostRecord["state"];

/**
 * One host of the fleet (this host included, with `self: true`): the membership record's announced fields,
 * without the table's bookkeeping (monotonic times, pace, source). `lastSeenUnixMs` is now for this host;
 * `httpEndpoint` is the one to follow (`followedHttpEndpoint` in sd.ts).
 */
export type FleetHost = Pick<HostRecord, "host" | "state" | "lastSeenUnixMs" | "addresses"> &
  Partial<Pick<HostRecord, "version" | "services" | "gpio" | "metricsEndpoint" | "httpEndpoint">> & {
    /** True for the host this process runs on. */
    readonly self?: boolean;
  };

/** One of this host's GPIO lines. */
export interface GpioLineView {
  readonly name: string;
  readonly kind: "input" | "output" | "pwm";
  /** 0/1 for lines, the duty 0..1 for PWM; absent when not known yet. */
  readonly value?: number;
  /** Writes from the page and MQTT are accepted (`remote = true`; never for inputs). */
  readonly remote: boolean;
}

/** The latest metric values heard from one host. */
export interface HostMetrics {
  readonly values: Readonly<Record<string, JsonValue>>;
  readonly unixMs: number;
}

/** One disco counter or gauge, as the daemon's tasks keep them. */
export interface CounterSample {
  /** Metric name without the `disco_` prefix; counters end in `_total`. */
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge";
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** What changed, as the page's event stream and the bridge read it. */
export type FleetEvent =
  | { readonly type: "join" | "update" | "suspect" | "leave" | "failed"; readonly host: FleetHost }
  | { readonly type: "metric"; readonly host: string; readonly metrics: HostMetrics }
  | { readonly type: "gpio"; readonly line: GpioLineView };

/** Writes a GPIO line of this host (a 0/1 level, or a PWM duty 0..1). */
export type GpioWriter = (name: string, value: number) => Promise<void>;

/** The fleet, read side. */
export interface FleetView {
  /** This host's name. */
  readonly host: string;
  /** Every host, this one first. */
  hosts(): readonly FleetHost[];
  /** Latest metrics by host name. */
  metrics(): ReadonlyMap<string, HostMetrics>;
  /** This host's GPIO lines. */
  gpio(): readonly GpioLineView[];
  /** The daemon's status (what `disco status` shows), as JSON. */
  status(): Readonly<Record<string, unknown>>;
  /** The daemon's counters. */
  counters(): readonly CounterSample[];
  /** Changes from now on, until the signal; a slow reader loses the oldest events, never blocks the fleet. */
  subscribe(options?: { signal?: AbortSignal; capacity?: number }): AsyncIterableIterator<FleetEvent>;
  /** Drives a line; absent when this host has no writable lines. */
  readonly writeGpio?: GpioWriter;
}

/** Options of {@link FleetState}. */
export interface FleetStateOptions {
  /** This host as it describes itself (state, last seen and `self` are filled in). */
  readonly self: Omit<FleetHost, "state" | "lastSeenUnixMs" | "self">;
  /** @default Date.now */
  readonly unixNowMs?: () => number;
  /** Most hosts whose metrics are kept. @default 4096 */
  readonly maxHosts?: number;
  /** Most metric names kept per host. @default 256 */
  readonly maxMetricsPerHost?: number;
}

/**
 * The fleet view the daemon feeds: membership events in ({@link applyMembership}), metrics in
 * ({@link applyMetric}), GPIO values in ({@link applyGpio}), status and counters through providers.
 */
export class FleetState implements FleetView {
  readonly host: string;
  #self: FleetStateOptions["self"];
  readonly #others = new Map<string, FleetHost>();
  readonly #metrics = new Map<string, HostMetrics>();
  readonly #gpio = new Map<string, GpioLineView>();
  readonly #subscribers = new Subscribers<FleetEvent>();
  readonly #now: () => number;
  readonly #maxHosts: number;
  readonly #maxMetrics: number;
  #status: () => Readonly<Record<string, unknown>> = () => ({});
  #counters: () => readonly CounterSample[] = () => [];
  #lastSeen: (host: string) => number | undefined = () => undefined;
  writeGpio?: GpioWriter;

  constructor(options: FleetStateOptions) {
    this.#self = options.self;
    this.host = options.self.host;
    this.#now = options.unixNowMs ?? Date.now;
    this.#maxHosts = options.maxHosts ?? 4096;
    this.#maxMetrics = options.maxMetricsPerHost ?? 256;
  }

  /** Replaces this host's self-description (a reload changed services or lines). */
  setSelf(self: FleetStateOptions["self"]): void {
    this.#self = self;
    this.#subscribers.emit({ type: "update", host: this.#selfHost() });
  }

  /**
   * Where {@link status} and {@link counters} come from, and when each other host was last heard (steady
   * beacons raise no membership event, so {@link hosts} reads the time from its source, e.g. the table).
   */
  setProviders(p: { status?: () => Readonly<Record<string, unknown>>; counters?: () => readonly CounterSample[]; lastSeen?: (host: string) => number | undefined }): void {
    if (p.status) this.#status = p.status;
    if (p.counters) this.#counters = p.counters;
    if (p.lastSeen) this.#lastSeen = p.lastSeen;
  }

  #selfHost(): FleetHost {
    return { ...this.#self, state: "alive", lastSeenUnixMs: this.#now(), self: true };
  }

  hosts(): readonly FleetHost[] {
    const others = [...this.#others.values()].map((h) => {
      const lastSeenUnixMs = this.#lastSeen(h.host);
      return lastSeenUnixMs === undefined || lastSeenUnixMs === h.lastSeenUnixMs ? h : { ...h, lastSeenUnixMs };
    });
    return [this.#selfHost(), ...others];
  }

  /** True for this host and every host the membership table has listed (and not seen leave). */
  knows(host: string): boolean {
    return host === this.host || this.#others.has(host);
  }

  metrics(): ReadonlyMap<string, HostMetrics> {
    return this.#metrics;
  }

  gpio(): readonly GpioLineView[] {
    return [...this.#gpio.values()];
  }

  status(): Readonly<Record<string, unknown>> {
    return this.#status();
  }

  counters(): readonly CounterSample[] {
    return this.#counters();
  }

  subscribe(options: { signal?: AbortSignal; capacity?: number } = {}): AsyncIterableIterator<FleetEvent> {
    return this.#subscribers.subscribe(options);
  }

  /** Applies a membership event (the host's own beacons, heard back, are ignored). */
  applyMembership(type: "join" | "update" | "suspect" | "leave" | "failed", host: Omit<FleetHost, "self">): void {
    if (host.host === this.host) return;
    if (type === "leave") {
      this.#others.delete(host.host);
      this.#metrics.delete(host.host);
    } else {
      if (!this.#others.has(host.host) && this.#others.size >= this.#maxHosts) return;
      this.#others.set(host.host, host);
    }
    this.#subscribers.emit({ type, host });
  }

  /** Applies a metric frame from a host: its values are merged over the host's earlier ones. */
  applyMetric(host: string, values: Readonly<Record<string, JsonValue>>, unixMs = this.#now()): void {
    const prev = this.#metrics.get(host);
    if (!prev && this.#metrics.size >= this.#maxHosts) return;
    const merged: Record<string, JsonValue> = { ...prev?.values };
    for (const [k, v] of Object.entries(values)) {
      if (k === "_time") continue;
      if (!(k in merged) && Object.keys(merged).length >= this.#maxMetrics) continue;
      merged[k] = v;
    }
    const metrics = { values: merged, unixMs };
    this.#metrics.set(host, metrics);
    this.#subscribers.emit({ type: "metric", host, metrics });
  }

  /** Declares or updates one of this host's lines. */
  applyGpio(line: GpioLineView): void {
    this.#gpio.set(line.name, line);
    this.#subscribers.emit({ type: "gpio", line });
  }

  /** Forgets lines not in `names` (a reload removed them). */
  retainGpio(names: ReadonlySet<string>): void {
    for (const n of this.#gpio.keys()) if (!names.has(n)) this.#gpio.delete(n);
  }

  /** Ends every subscription. */
  close(): void {
    this.#subscribers.close();
  }
}
