/**
 * The membership table: every host heard, keyed by its announced name, with states alive -> suspect ->
 * failed driven by beacons missed against each host's own interval. No timers and no I/O: the receiver
 * calls {@link MembershipTable.observe} per beacon and {@link MembershipTable.tick} periodically, and the
 * clock is injected, so tests run on fake time.
 */
import { Subscribers } from "../async/index.ts";
import type { HostRecord, MembershipEvent } from "./types.ts";

/** Monotonic time for state changes, wall-clock time for display. */
export interface Clock {
  /** Monotonic milliseconds. */
  nowMs(): number;
  /** Unix milliseconds. */
  unixNowMs(): number;
}

/** The process clock: `performance.now()` and `Date.now()`. */
export const systemClock: Clock = { nowMs: () => performance.now(), unixNowMs: () => Date.now() };

/** One beacon (or announcement) as the table takes it. */
export interface Observation {
  readonly host: string;
  /** Source address of the datagram. */
  readonly address: string;
  /** The sender's announced interval (or the configured default for formats that carry none). */
  readonly intervalMs: number;
  readonly source: HostRecord["source"];
  /** The sender's boot id, when the format carries one (a new one is a restart). */
  readonly boot?: string;
  /** Addresses the sender announced. */
  readonly addresses?: readonly string[];
  readonly version?: string;
  readonly services?: Readonly<Record<string, unknown>>;
  readonly metricsEndpoint?: string;
  readonly gpio?: readonly string[];
  readonly httpEndpoint?: string;
  /** A goodbye: the host leaves at once. */
  readonly bye?: boolean;
}

/** Options for {@link MembershipTable}. */
export interface MembershipOptions {
  /** Missed intervals before a host is `suspect`. @default 2 */
  suspectAfter?: number;
  /** Missed intervals before a host is `failed`. @default 3 */
  failedAfter?: number;
  /** How long a failed host stays in the table, in ms. @default 600000 */
  forgetAfterMs?: number;
  /** Most hosts held; beacons from further new hosts are refused. @default 4096 */
  maxHosts?: number;
  /** Events a slow subscriber may have queued before the oldest is dropped. @default 1024 */
  maxQueued?: number;
  /** @default systemClock */
  clock?: Clock;
}

/** What {@link MembershipTable.observe} did. */
export interface ObserveResult {
  /** False when the table is full and the host is new. */
  readonly accepted: boolean;
  /** The event the beacon caused, if any (a beacon that changes nothing causes none). */
  readonly event?: MembershipEvent;
}

/** Options for {@link MembershipTable.subscribe}. */
export interface SubscribeOptions {
  /** Ends the subscription. */
  signal?: AbortSignal;
  /** First yield a `join` for every host already in the table. @default false */
  includeCurrent?: boolean;
}

interface Entry {
  record: HostRecord;
  boot: string | undefined;
  /** Source address -> monotonic ms last heard from it. */
  heard: Map<string, number>;
}

const MAX_ADDRESSES = 16;

function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((x, i) => x === b[i]);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

function sameJson(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** Whether two records differ in anything but when they were last heard. */
function differs(a: HostRecord, b: HostRecord): boolean {
  return (
    a.state !== b.state ||
    a.intervalMs !== b.intervalMs ||
    a.source !== b.source ||
    a.version !== b.version ||
    a.metricsEndpoint !== b.metricsEndpoint ||
    a.httpEndpoint !== b.httpEndpoint ||
    !sameSet(a.addresses, b.addresses) ||
    !sameList(a.gpio, b.gpio) ||
    !sameJson(a.services, b.services)
  );
}

/**
 * Hosts heard and their states. Subscribers read {@link MembershipEvent}s as async iterables.
 * @example
 * const table = new MembershipTable({ clock });
 * table.observe({ host: "shed", address: "10.0.0.5", intervalMs: 15000, source: "disco.py" }); // join
 * for await (const e of table.subscribe({ signal })) console.log(e.type, e.host.host);
 */
export class MembershipTable {
  #hosts = new Map<string, Entry>();
  readonly #subscribers = new Subscribers<MembershipEvent>();
  readonly #suspectAfter: number;
  readonly #failedAfter: number;
  readonly #forgetAfterMs: number;
  readonly #maxHosts: number;
  readonly #maxQueued: number;
  readonly #clock: Clock;

  /** @throws {RangeError} when failedAfter is below suspectAfter or a count is below 1 */
  constructor(options: MembershipOptions = {}) {
    this.#suspectAfter = options.suspectAfter ?? 2;
    this.#failedAfter = options.failedAfter ?? 3;
    this.#forgetAfterMs = options.forgetAfterMs ?? 600_000;
    this.#maxHosts = options.maxHosts ?? 4096;
    this.#maxQueued = options.maxQueued ?? 1024;
    this.#clock = options.clock ?? systemClock;
    if (!(this.#suspectAfter >= 1)) throw new RangeError(`suspectAfter must be at least 1, got ${this.#suspectAfter}`);
    if (!(this.#failedAfter >= this.#suspectAfter)) throw new RangeError(`failedAfter (${this.#failedAfter}) must be at least suspectAfter (${this.#suspectAfter})`);
  }

  /**
   * Applies one beacon.
   * @returns whether it was accepted and the event it caused
   */
  observe(obs: Observation): ObserveResult {
    const now = this.#clock.nowMs();
    const entry = this.#hosts.get(obs.host);
    if (obs.bye) {
      if (!entry) return { accepted: true };
      this.#hosts.delete(obs.host);
      const record: HostRecord = { ...entry.record, lastSeenMs: now, lastSeenUnixMs: this.#clock.unixNowMs() };
      return { accepted: true, event: this.#emit({ type: "leave", host: record }) };
    }
    if (!entry && this.#hosts.size >= this.#maxHosts) return { accepted: false };
    if (entry && this.#unchanged(entry, obs)) {
      // The common case, a steady beacon from the same address: only the times move (no event).
      entry.heard.set(obs.address, now);
      entry.record = { ...entry.record, lastSeenMs: now, lastSeenUnixMs: this.#clock.unixNowMs() };
      return { accepted: true };
    }
    const heard = entry?.heard ?? new Map<string, number>();
    heard.delete(obs.address);
    heard.set(obs.address, now);
    const staleMs = this.#failedAfter * obs.intervalMs;
    for (const [addr, at] of heard) if (now - at > staleMs) heard.delete(addr);
    while (heard.size > MAX_ADDRESSES) heard.delete(heard.keys().next().value!);
    const addresses = [...heard.keys()].reverse();
    for (const a of obs.addresses ?? []) if (!addresses.includes(a) && addresses.length < MAX_ADDRESSES) addresses.push(a);
    const record: HostRecord = {
      host: obs.host,
      addresses,
      state: "alive",
      lastSeenMs: now,
      lastSeenUnixMs: this.#clock.unixNowMs(),
      intervalMs: obs.intervalMs,
      source: obs.source,
      ...(obs.version !== undefined && { version: obs.version }),
      ...(obs.services !== undefined && { services: obs.services }),
      ...(obs.metricsEndpoint !== undefined && { metricsEndpoint: obs.metricsEndpoint }),
      ...(obs.gpio !== undefined && { gpio: obs.gpio }),
      ...(obs.httpEndpoint !== undefined && { httpEndpoint: obs.httpEndpoint }),
    };
    if (!entry) {
      this.#hosts.set(obs.host, { record, boot: obs.boot, heard });
      return { accepted: true, event: this.#emit({ type: "join", host: record }) };
    }
    const before = entry.record;
    const restarted = obs.boot !== undefined && entry.boot !== undefined && obs.boot !== entry.boot;
    entry.record = record;
    entry.boot = obs.boot ?? entry.boot;
    if (before.state === "failed") return { accepted: true, event: this.#emit({ type: "join", host: record }) };
    if (restarted || differs(before, record)) return { accepted: true, event: this.#emit({ type: "update", host: record }) };
    return { accepted: true };
  }

  /**
   * Moves hosts that missed beacons to `suspect` or `failed`, and forgets hosts failed for longer than
   * `forgetAfterMs`. Call it periodically (every 100 ms is plenty).
   * @returns the events, in host order
   */
  tick(): MembershipEvent[] {
    const now = this.#clock.nowMs();
    const events: MembershipEvent[] = [];
    for (const [name, entry] of this.#hosts) {
      const r = entry.record;
      const elapsed = now - r.lastSeenMs;
      const failAt = this.#failedAfter * r.intervalMs;
      if (r.state === "failed") {
        if (elapsed - failAt > this.#forgetAfterMs) this.#hosts.delete(name);
        continue;
      }
      let state: HostRecord["state"] = r.state;
      if (elapsed > failAt) state = "failed";
      else if (elapsed > this.#suspectAfter * r.intervalMs) state = "suspect";
      if (state === r.state) continue;
      entry.record = { ...r, state };
      events.push(this.#emit({ type: state === "failed" ? "failed" : "suspect", host: entry.record }));
    }
    return events;
  }

  /**
   * How long until {@link tick} would next change something (a host turning suspect, failed or forgotten),
   * so a ticker can wake right then instead of up to a polling period late.
   * @returns milliseconds (0 when something is due now), or undefined when the table is empty
   */
  msUntilNextChange(): number | undefined {
    const now = this.#clock.nowMs();
    let next = Infinity;
    for (const { record: r } of this.#hosts.values()) {
      const failAt = this.#failedAfter * r.intervalMs;
      const after = r.state === "alive" ? this.#suspectAfter * r.intervalMs : r.state === "suspect" ? failAt : failAt + this.#forgetAfterMs;
      // tick() acts once the time is strictly past the threshold: 1 ms after it.
      next = Math.min(next, r.lastSeenMs + after + 1 - now);
    }
    return next === Infinity ? undefined : Math.max(0, next);
  }

  /** Every host, sorted by name. */
  hosts(): HostRecord[] {
    return [...this.#hosts.values()].map((e) => e.record).sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0));
  }

  /** One host by name. */
  get(host: string): HostRecord | undefined {
    return this.#hosts.get(host)?.record;
  }

  /** Hosts in the table (any state). */
  get size(): number {
    return this.#hosts.size;
  }

  /** Hosts alive or suspect. */
  get activeCount(): number {
    let n = 0;
    for (const e of this.#hosts.values()) if (e.record.state !== "failed") n++;
    return n;
  }

  /**
   * Events from now on, as an async iterable (a slow reader loses the oldest beyond `maxQueued`).
   * `break` or the signal ends it.
   */
  subscribe(options: SubscribeOptions = {}): AsyncIterableIterator<MembershipEvent> {
    return this.#subscribers.subscribe({
      capacity: this.#maxQueued,
      ...(options.signal && { signal: options.signal }),
      ...(options.includeCurrent && { initial: this.hosts().map((host): MembershipEvent => ({ type: "join", host })) }),
    });
  }

  /** Ends every subscription. */
  close(): void {
    this.#subscribers.close();
  }

  /** Whether a beacon repeats the last one: alive, same source address last, nothing announced differs. */
  #unchanged(entry: Entry, obs: Observation): boolean {
    const r = entry.record;
    if (r.state !== "alive" || r.intervalMs !== obs.intervalMs || r.source !== obs.source || entry.boot !== obs.boot) return false;
    if (r.addresses[0] !== obs.address || entry.heard.size !== 1) return false;
    if ((obs.addresses?.length ?? 0) > 0 || obs.services !== undefined || obs.gpio !== undefined) return false;
    return r.version === obs.version && r.metricsEndpoint === obs.metricsEndpoint && r.httpEndpoint === obs.httpEndpoint && r.services === undefined && r.gpio === undefined;
  }

  #emit(e: MembershipEvent): MembershipEvent {
    this.#subscribers.emit(e);
    return e;
  }
}
