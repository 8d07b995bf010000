/**
 * The membership table: every host heard, keyed by its announced name, with states alive -> suspect ->
 * failed driven by beacons missed against each host's own interval. No timers and no I/O: the receiver
 * calls {@link MembershipTable.observe} per beacon and {@link MembershipTable.tick} periodically, and the
 * clock is injected, so tests run on fake time.
 */
import { Subscribers, turnMonotonicMs, turnUnixMs } from "../async/index.ts";
import { isValidHostName } from "../text/index.ts";
import { MAX_ADDRESSES, differs, sameAnnounced, sameJson, sameList } from "./_compare.ts";
import { missedBeacon } from "./_quiet.ts";
import { PaceEstimator } from "./pace.ts";
import type { HostRecord, MembershipEvent } from "./types.ts";

/** Monotonic time for state changes, wall-clock time for display. */
export interface Clock {
  /** Monotonic milliseconds. */
  nowMs(): number;
  /** Unix milliseconds. */
  unixNowMs(): number;
}

/** The process clock: `performance.now()` and `Date.now()`, each read once per turn of the event loop (lib/async/per-turn.ts). */
export const systemClock: Clock = { nowMs: turnMonotonicMs, unixNowMs: turnUnixMs };

/** One beacon (or announcement) as the table takes it. */
export interface Observation {
  readonly host: string;
  /** Source address of the datagram. */
  readonly address: string;
  /** The sender's announced interval (or the configured default for formats that carry none). */
  readonly intervalMs: number;
  readonly source: HostRecord["source"];
  /** The beacon was sealed (opened with a key of the keyring), so what it says is authenticated. */
  readonly sealed?: boolean;
  /**
   * The format announces no interval (disco.py): `intervalMs` is only where the table starts, and it learns
   * the host's pace from the arrivals of its beacons.
   */
  readonly learnPace?: boolean;
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
  /**
   * Most hosts held. A newcomer is always admitted: when full, the table evicts a failed host first, then
   * an unsealed one heard only once, then the unsealed one heard longest ago, then the oldest. @default 4096
   */
  maxHosts?: number;
  /** Names an unsealed sender may hold from one source address (sealed senders are not limited). @default 16 */
  maxNamesPerAddress?: number;
  /** Longest interval an unsealed beacon may announce (or a host's learned pace may reach), in ms. @default 300000 */
  maxUnsealedIntervalMs?: number;
  /** Events a slow subscriber may have queued before the oldest is dropped. @default 1024 */
  maxQueued?: number;
  /** @default systemClock */
  clock?: Clock;
}

/** The table's times and limits: what `[beacon]` sets, and what {@link MembershipTable.reconfigure} takes. */
export type MembershipSettings = Pick<MembershipOptions, "suspectAfter" | "failedAfter" | "forgetAfterMs" | "maxHosts" | "maxNamesPerAddress" | "maxUnsealedIntervalMs">;

const DEFAULT_SETTINGS: Required<MembershipSettings> = {
  suspectAfter: 2,
  failedAfter: 3,
  forgetAfterMs: 600_000,
  maxHosts: 4096,
  maxNamesPerAddress: 16,
  maxUnsealedIntervalMs: 300_000,
};

/**
 * `o` over `base` (what `o` leaves out stays), checked.
 * @throws {RangeError} when failedAfter is below suspectAfter or a count is below 1
 */
function checkedSettings(o: MembershipSettings, base: Required<MembershipSettings>): Required<MembershipSettings> {
  const s: Required<MembershipSettings> = {
    suspectAfter: o.suspectAfter ?? base.suspectAfter,
    failedAfter: o.failedAfter ?? base.failedAfter,
    forgetAfterMs: o.forgetAfterMs ?? base.forgetAfterMs,
    maxHosts: o.maxHosts ?? base.maxHosts,
    maxNamesPerAddress: o.maxNamesPerAddress ?? base.maxNamesPerAddress,
    maxUnsealedIntervalMs: o.maxUnsealedIntervalMs ?? base.maxUnsealedIntervalMs,
  };
  if (!(s.suspectAfter >= 1)) throw new RangeError(`suspectAfter must be at least 1, got ${s.suspectAfter}`);
  if (!(s.failedAfter >= s.suspectAfter)) throw new RangeError(`failedAfter (${s.failedAfter}) must be at least suspectAfter (${s.suspectAfter})`);
  if (!(s.maxHosts >= 1)) throw new RangeError(`maxHosts must be at least 1, got ${s.maxHosts}`);
  if (!(s.maxNamesPerAddress >= 1)) throw new RangeError(`maxNamesPerAddress must be at least 1, got ${s.maxNamesPerAddress}`);
  return s;
}

/**
 * Why the table refused a beacon: a new name beyond its source address's quota, a goodbye from an address
 * the host was never heard on, an unsealed beacon for a name a sealed host holds, a name that breaks the
 * host name rule (lib/text).
 */
export type Refusal = "source-limit" | "foreign-bye" | "sealed-name" | "bad-name";

/** What {@link MembershipTable.observe} did. */
export interface ObserveResult {
  /** False when the beacon was refused (see `refused`). */
  readonly accepted: boolean;
  readonly refused?: Refusal;
  /** The event the beacon caused, if any (a beacon that changes nothing causes none). */
  readonly event?: MembershipEvent;
  /** The host evicted to make room for a newcomer, if any (a `leave` was emitted for it unless it had failed). */
  readonly evicted?: HostRecord;
}

/** Options for {@link MembershipTable.subscribe}. */
export interface SubscribeOptions {
  /** Ends the subscription. */
  signal?: AbortSignal;
  /** First yield a `join` for every host already in the table. @default false */
  includeCurrent?: boolean;
}

// Eviction ranks, first evicted first; within a rank, the least recently heard (or failed) goes first.
const RANK_FAILED = 0;
const RANK_UNCONFIRMED = 1;
const RANK_UNSEALED = 2;
const RANK_SEALED = 3;

/**
 * One host's entry. Its {@link record} is the snapshot events and lists hand out (never changed once handed
 * out); a steady beacon only moves the times (and a learned pace), which {@link touch} records without
 * copying the snapshot: the copy is made when the record is next read, at most once per read.
 */
class Entry {
  #record: HostRecord;
  /** A steady beacon's times (and learned pace) not yet in #record: `stale` says whether they are newer. */
  #stale = false;
  #seenMs = 0;
  #seenUnixMs = 0;
  #learnedMs: number | undefined;
  /** Source address -> monotonic ms last heard from it, least recently heard first. */
  readonly heard: Map<string, number>;
  /** Beacons heard, counted up to 2 (an unsealed host heard once is the first to go when full). */
  beacons = 1;
  /** The source address whose name quota this entry uses (held while unsealed and not failed). */
  quota: string | undefined = undefined;
  rank = -1;

  constructor(
    record: HostRecord,
    public boot: string | undefined,
    heard: Map<string, number>,
    /**
     * The address the host is followed at (`addresses[0]`): the first it was heard on, kept while it is
     * heard; another heard address takes its place only once it has missed a beacon.
     */
    public primary: string,
    public sealed: boolean,
    /** Arrival times, for formats that announce no interval. */
    public pace: PaceEstimator | undefined,
  ) {
    this.#record = record;
    this.heard = heard;
  }

  get record(): HostRecord {
    if (this.#stale) {
      this.#stale = false;
      const r: Mutable<HostRecord> = { ...this.#record, lastSeenMs: this.#seenMs, lastSeenUnixMs: this.#seenUnixMs };
      // A learned pace is the host's interval (observe() makes them one).
      if (this.#learnedMs !== undefined) r.intervalMs = r.learnedIntervalMs = this.#learnedMs;
      this.#record = r;
    }
    return this.#record;
  }

  set record(r: HostRecord) {
    this.#stale = false;
    this.#record = r;
  }

  /** A steady beacon: the same record but for the times (and, when learned, the pace). */
  touch(lastSeenMs: number, lastSeenUnixMs: number, learnedMs: number | undefined): void {
    this.#stale = true;
    this.#seenMs = lastSeenMs;
    this.#seenUnixMs = lastSeenUnixMs;
    this.#learnedMs = learnedMs;
  }

  /**
   * The record without the pending times and pace: for reading what a steady beacon does not change
   * (state, source, addresses, announced fields) without making a snapshot.
   */
  get base(): HostRecord {
    return this.#record;
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Hosts heard and their states. Subscribers read {@link MembershipEvent}s as async iterables.
 *
 * Bounded against a LAN that lies: the table holds at most `maxHosts` names and always admits a newcomer
 * (evicting failed, then unsealed, then old entries), one source address holds at most
 * `maxNamesPerAddress` unsealed names (a failed name brought back counts as a new one), an unsealed beacon
 * cannot announce an interval longer than `maxUnsealedIntervalMs`, a beacon from a new address does not
 * move a host's primary address (`addresses[0]`) while the host is still heard there, an unsealed goodbye
 * counts only from the primary address, and an unsealed beacon cannot take over a name a live sealed host
 * holds.
 * @example
 * const table = new MembershipTable({ clock });
 * table.observe({ host: "shed", address: "10.0.0.5", intervalMs: 15000, source: "disco.py", learnPace: true }); // join
 * for await (const e of table.subscribe({ signal })) console.log(e.type, e.host.host);
 */
export class MembershipTable {
  #hosts = new Map<string, Entry>();
  /** Names by eviction rank, least recently heard first. */
  readonly #ranks: Set<string>[] = [new Set(), new Set(), new Set(), new Set()];
  /** Source address -> unsealed live names it holds. */
  readonly #quota = new Map<string, number>();
  readonly #subscribers = new Subscribers<MembershipEvent>();
  /** The times and limits: from the constructor, then from each {@link reconfigure}. */
  #s: Required<MembershipSettings>;
  readonly #maxQueued: number;
  readonly #clock: Clock;

  /** @throws {RangeError} when failedAfter is below suspectAfter or a count is below 1 */
  constructor(options: MembershipOptions = {}) {
    this.#s = checkedSettings(options, DEFAULT_SETTINGS);
    this.#maxQueued = options.maxQueued ?? 1024;
    this.#clock = options.clock ?? systemClock;
  }

  /** The most hosts held (what a replay guard in front of the table sizes itself by). */
  get maxHosts(): number {
    return this.#s.maxHosts;
  }

  /** The longest interval an unsealed beacon may announce, in ms. */
  get maxUnsealedIntervalMs(): number {
    return this.#s.maxUnsealedIntervalMs;
  }

  /** The table's clock (what a replay guard in front of the table reads too). */
  get clock(): Clock {
    return this.#clock;
  }

  /**
   * Applies one beacon.
   * @returns whether it was accepted (or why it was refused), the event it caused and any host evicted for it
   */
  observe(obs: Observation): ObserveResult {
    const now = this.#clock.nowMs();
    const sealed = obs.sealed === true;
    const entry = this.#hosts.get(obs.host);
    if (entry && !sealed && entry.sealed && entry.base.state !== "failed") return { accepted: false, refused: "sealed-name" };
    if (obs.bye) {
      if (!entry) return { accepted: true };
      // Anyone can send a goodbye naming any host: unsealed, only the address the host is followed at can
      // mean it (an address a stranger's beacons added to the host does not).
      if (!sealed && !this.#speaksFor(entry, obs.address, now)) return { accepted: false, refused: "foreign-bye" };
      this.#remove(obs.host, entry);
      const record: HostRecord = { ...entry.record, state: "left", lastSeenMs: now, lastSeenUnixMs: this.#clock.unixNowMs() };
      return { accepted: true, event: this.#emit({ type: "leave", host: record }) };
    }
    let evicted: HostRecord | undefined;
    if (!entry && !isValidHostName(obs.host)) return { accepted: false, refused: "bad-name" };
    // A new unsealed name, or one coming back from failed (which gave its quota back), takes a name of its
    // source address's quota: reviving failed names must not hold more than a new name could.
    if (!sealed && entry?.quota === undefined && (this.#quota.get(obs.address) ?? 0) >= this.#s.maxNamesPerAddress) return { accepted: false, refused: "source-limit" };
    if (!entry && this.#hosts.size >= this.#s.maxHosts) evicted = this.#evictOne();
    let intervalMs = obs.intervalMs;
    let learnedMs: number | undefined;
    let pace = entry?.pace;
    if (obs.learnPace) {
      pace ??= new PaceEstimator();
      pace.arrive(now);
      learnedMs = pace.estimateMs();
      if (learnedMs !== undefined) intervalMs = learnedMs = Math.min(learnedMs, this.#s.maxUnsealedIntervalMs);
    }
    if (!sealed) intervalMs = Math.min(intervalMs, this.#s.maxUnsealedIntervalMs);
    if (entry && this.#unchanged(entry, obs, intervalMs, sealed)) {
      // The common case, a steady beacon from the same address: only the times (and a learned pace) move.
      entry.heard.set(obs.address, now);
      // With a learned pace keep it; otherwise the record's interval stands (#unchanged compared it).
      entry.touch(now, this.#clock.unixNowMs(), learnedMs);
      entry.beacons = 2;
      this.#place(obs.host, entry);
      return { accepted: true };
    }
    const heard = entry?.heard ?? new Map<string, number>();
    // The primary address stays while it is heard: a beacon from another address (a second interface, or
    // a stranger naming this host) takes its place only once it has missed a beacon.
    const before = entry && heard.get(entry.primary);
    const primary = entry && before !== undefined && entry.primary !== obs.address && !missedBeacon(before, entry.record.intervalMs, now) ? entry.primary : obs.address;
    heard.delete(obs.address);
    heard.set(obs.address, now);
    const staleMs = this.#s.failedAfter * intervalMs;
    for (const [addr, at] of heard) if (now - at > staleMs && addr !== primary) heard.delete(addr);
    for (const addr of heard.keys()) {
      if (heard.size <= MAX_ADDRESSES) break;
      if (addr !== primary) heard.delete(addr);
    }
    const addresses = [primary];
    for (const a of [...heard.keys()].reverse()) if (a !== primary) addresses.push(a);
    for (const a of obs.addresses ?? []) if (!addresses.includes(a) && addresses.length < MAX_ADDRESSES) addresses.push(a);
    const record: HostRecord = {
      host: obs.host,
      addresses,
      state: "alive",
      lastSeenMs: now,
      lastSeenUnixMs: this.#clock.unixNowMs(),
      intervalMs,
      ...(learnedMs !== undefined && { learnedIntervalMs: learnedMs }),
      source: obs.source,
      sealed,
      ...(obs.version !== undefined && { version: obs.version }),
      ...(obs.services !== undefined && { services: obs.services }),
      ...(obs.metricsEndpoint !== undefined && { metricsEndpoint: obs.metricsEndpoint }),
      ...(obs.gpio !== undefined && { gpio: obs.gpio }),
      ...(obs.httpEndpoint !== undefined && { httpEndpoint: obs.httpEndpoint }),
    };
    if (!entry) {
      const created = new Entry(record, obs.boot, heard, primary, sealed, pace);
      this.#hosts.set(obs.host, created);
      this.#place(obs.host, created);
      return { accepted: true, event: this.#emit({ type: "join", host: record }), ...(evicted && { evicted }) };
    }
    const previous = entry.record;
    const restarted = obs.boot !== undefined && entry.boot !== undefined && obs.boot !== entry.boot;
    entry.record = record;
    entry.primary = primary;
    entry.boot = obs.boot ?? entry.boot;
    entry.sealed = sealed;
    entry.beacons = 2;
    entry.pace = pace;
    this.#place(obs.host, entry);
    if (previous.state === "failed") return { accepted: true, event: this.#emit({ type: "join", host: record }) };
    if (restarted || differs(previous, record)) return { accepted: true, event: this.#emit({ type: "update", host: record }) };
    return { accepted: true };
  }

  /**
   * Takes new times and limits (a reloaded config), keeping every host and its state: the next {@link tick}
   * judges them by the new times. A smaller `maxHosts` evicts at once, as admissions do (failed hosts
   * first, then unsealed ones); a smaller `maxNamesPerAddress` or `maxUnsealedIntervalMs` applies to the
   * beacons heard from now on.
   * @returns the hosts evicted to fit `maxHosts`
   * @throws {RangeError} as the constructor does, changing nothing
   */
  reconfigure(options: MembershipSettings): HostRecord[] {
    this.#s = checkedSettings(options, this.#s);
    const evicted: HostRecord[] = [];
    while (this.#hosts.size > this.#s.maxHosts) {
      const e = this.#evictOne();
      if (!e) break;
      evicted.push(e);
    }
    return evicted;
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
      const failAt = this.#s.failedAfter * r.intervalMs;
      if (r.state === "failed") {
        if (elapsed - failAt > this.#s.forgetAfterMs) this.#remove(name, entry);
        continue;
      }
      let state: HostRecord["state"] = r.state;
      if (elapsed > failAt) state = "failed";
      else if (elapsed > this.#s.suspectAfter * r.intervalMs) state = "suspect";
      if (state === r.state) continue;
      entry.record = { ...r, state };
      if (state === "failed") this.#place(name, entry);
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
      const failAt = this.#s.failedAfter * r.intervalMs;
      const after = r.state === "alive" ? this.#s.suspectAfter * r.intervalMs : r.state === "suspect" ? failAt : failAt + this.#s.forgetAfterMs;
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
    for (const e of this.#hosts.values()) if (e.base.state !== "failed") n++;
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

  /**
   * Whether a beacon repeats the last one: alive, same source address last, same sealing, nothing announced
   * differs (for a learned pace, the interval may drift).
   */
  #unchanged(entry: Entry, obs: Observation, intervalMs: number, sealed: boolean): boolean {
    // The base record: the pending times do not matter here, and its interval is compared only without a
    // learned pace (which the pending update may hold).
    const r = entry.base;
    if (r.state !== "alive" || r.source !== obs.source || entry.boot !== obs.boot || entry.sealed !== sealed) return false;
    if (!obs.learnPace && r.intervalMs !== intervalMs) return false;
    if (r.addresses[0] !== obs.address || entry.heard.size !== 1) return false;
    if (r.version !== obs.version || r.metricsEndpoint !== obs.metricsEndpoint || r.httpEndpoint !== obs.httpEndpoint || !sameList(r.gpio, obs.gpio)) return false;
    if (!sameAnnounced(r.addresses, obs.address, obs.addresses)) return false;
    // A rich beacon repeats its services every time: compared by value, not by identity.
    return obs.services === undefined ? r.services === undefined : r.services !== undefined && sameJson(r.services, obs.services);
  }

  /**
   * Whether an unsealed goodbye from `address` speaks for the host: it comes from the primary address, or
   * from another address the host was heard on once the primary has missed a beacon (as the host's next
   * beacon from there would make it the primary).
   */
  #speaksFor(entry: Entry, address: string, now: number): boolean {
    if (address === entry.primary) return true;
    const primaryAt = entry.heard.get(entry.primary);
    return entry.heard.has(address) && (primaryAt === undefined || missedBeacon(primaryAt, entry.record.intervalMs, now));
  }

  /**
   * Files an entry under its eviction rank as the most recently heard, and makes it hold a name of its
   * source address's quota exactly while it is unsealed and not failed.
   */
  #place(name: string, entry: Entry): void {
    const failed = entry.base.state === "failed";
    const rank = failed ? RANK_FAILED : entry.sealed ? RANK_SEALED : entry.beacons < 2 ? RANK_UNCONFIRMED : RANK_UNSEALED;
    if (entry.rank >= 0) this.#ranks[entry.rank]!.delete(name);
    entry.rank = rank;
    this.#ranks[rank]!.add(name);
    const wantsQuota = !entry.sealed && !failed;
    if (wantsQuota && entry.quota === undefined) {
      const address = entry.base.addresses[0];
      if (address !== undefined) {
        entry.quota = address;
        this.#quota.set(address, (this.#quota.get(address) ?? 0) + 1);
      }
    } else if (!wantsQuota && entry.quota !== undefined) this.#releaseQuota(entry);
  }

  #releaseQuota(entry: Entry): void {
    const address = entry.quota;
    if (address === undefined) return;
    entry.quota = undefined;
    const n = (this.#quota.get(address) ?? 1) - 1;
    if (n > 0) this.#quota.set(address, n);
    else this.#quota.delete(address);
  }

  #remove(name: string, entry: Entry): void {
    this.#hosts.delete(name);
    this.#ranks[entry.rank]?.delete(name);
    this.#releaseQuota(entry);
  }

  /**
   * Makes room for a newcomer: the first entry of the first non-empty rank goes (a failed host, else an
   * unsealed host heard once, else the unsealed host heard longest ago, else the oldest sealed one).
   * @returns the evicted record; subscribers got a `leave` for it unless it had failed
   */
  #evictOne(): HostRecord | undefined {
    for (const names of this.#ranks) {
      const name = names.values().next().value;
      if (name === undefined) continue;
      const entry = this.#hosts.get(name)!;
      this.#remove(name, entry);
      if (entry.record.state !== "failed") this.#emit({ type: "leave", host: { ...entry.record, state: "left" } });
      return entry.record;
    }
    return undefined;
  }

  #emit(e: MembershipEvent): MembershipEvent {
    this.#subscribers.emit(e);
    return e;
  }
}
