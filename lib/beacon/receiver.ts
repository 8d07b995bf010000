/**
 * The receive path: datagrams -> decoded, opened, replay-checked beacons -> the membership table. Every bad
 * datagram is counted by reason and dropped; nothing a sender does can end the loop.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { untilAborted } from "../async/index.ts";
import { findKeyAt, openAesGcmAt, type Keyring } from "../crypto/index.ts";
import { BeaconCounters } from "./counters.ts";
import { decodeDatagram, MAX_BEACON_BYTES, type DecodedDatagram } from "./decode.ts";
import { isSealedFor, SEALED_HEADER_BYTES } from "./envelope.ts";
import { BeaconFrameError, type DropReason } from "./errors.ts";
import { systemClock, type Clock, type MembershipTable, type Observation, type Refusal } from "./membership.ts";
import { RichBeaconDecoder, type RichBeacon } from "./rich.ts";
import { FORGED_MESSAGE, UNKNOWN_KEY_MESSAGE } from "./seal.ts";
import { SequenceGuard } from "./sequence.ts";
import type { Datagram } from "../net/index.ts";
import { decodeVaultAnnouncement, type VaultAnnouncement, type VaultService } from "./vault.ts";

/** A beacon that passed every check, as `broadcast --receive` prints it. */
export interface ReceivedBeacon {
  /** Source address. */
  readonly from: string;
  readonly format: "disco.py" | "disco-json" | "vault-multicast";
  readonly sealed: boolean;
  readonly host: string;
  readonly bye: boolean;
  /** The sender's unix seconds, when the format carries a time. */
  readonly unixSeconds?: number;
  /** The beacon in disco.py's text form (`HOST <name> <seconds>`), whatever its format. */
  readonly text: string;
  readonly rich?: RichBeacon;
  readonly vault?: VaultAnnouncement;
}

/** A rich beacon as received; its disco.py text form is made only when someone reads it. */
class ReceivedRich implements ReceivedBeacon {
  readonly format = "disco-json";
  readonly host: string;
  readonly bye: boolean;
  readonly unixSeconds?: number;

  constructor(
    readonly from: string,
    readonly sealed: boolean,
    readonly rich: RichBeacon,
  ) {
    this.host = rich.host;
    this.bye = rich.bye === true;
    this.unixSeconds = rich.unixMs !== undefined ? Math.floor(rich.unixMs / 1000) : undefined;
  }

  get text(): string {
    return `${this.bye ? "BYE" : "HOST"} ${this.host} ${this.unixSeconds ?? 0}`;
  }
}

const ignore = (): void => undefined;

/** Options for {@link BeaconIngest}. */
export interface BeaconIngestOptions {
  /** Channel id rich beacons must carry (deriveChannelId of the discovery magic). */
  channelId: Uint8Array;
  /** Keys that open sealed beacons; without it sealed beacons are dropped as `unknown-key`. */
  keyring?: Keyring;
  /** Accept disco.py and unsealed rich beacons. @default true */
  acceptUnsealed?: boolean;
  /** Interval assumed for disco.py beacons (they announce none), in ms. @default 15000 */
  defaultIntervalMs?: number;
  /** Interval assumed for py-vault-multicast announcements, in ms. @default 10000 */
  vaultIntervalMs?: number;
  /** Largest datagram accepted. @default 8192 */
  maxBytes?: number;
  /** Where beacons go; without one, beacons are only decoded and counted. */
  table?: MembershipTable;
  /** @default new BeaconCounters() */
  counters?: BeaconCounters;
  /** Called for every dropped datagram (for `--debug`). */
  onDrop?: (reason: DropReason, from: string, error: BeaconFrameError) => void;
  /** The receiver's monotonic clock, for the replay guard (when a host's current boot has gone quiet). @default the table's, else systemClock */
  clock?: Clock;
}

/** Services one py-vault-multicast sender address may hold (the most recently announced are kept). */
export const MAX_VAULT_SERVICES = 8;
/** Hosts the replay guards remember without a table (with one, they follow its capacity). */
const GUARD_HOSTS = 4096;

const REFUSALS: Record<Refusal, (obs: Observation) => string> = {
  "source-limit": (o) => `${o.address} holds as many unsealed host names as allowed; ${o.host} not added`,
  "foreign-bye": (o) => `goodbye for ${o.host} from ${o.address}, an address it was not heard on`,
  "sealed-name": (o) => `unsealed beacon for ${o.host}, a host whose beacons are sealed`,
  "bad-name": () => "host name breaks the host name rule",
};

/** Decodes, checks and applies datagrams one at a time. */
export class BeaconIngest {
  readonly counters: BeaconCounters;
  readonly #o: BeaconIngestOptions;
  // Separate replay state for sealed and unsealed rich beacons: a forged unsealed beacon must not move a
  // sealed host's boot or sequence (its real beacons would then look replayed), nor evict it from the guard.
  // The guards remember at least every host the table can hold (read when a host is added: a reload may
  // change the table's capacity).
  readonly #sealedGuard = new SequenceGuard({ maxHosts: () => this.#o.table?.maxHosts ?? GUARD_HOSTS });
  readonly #unsealedGuard = new SequenceGuard({ maxHosts: () => this.#o.table?.maxHosts ?? GUARD_HOSTS });
  readonly #acceptUnsealed: boolean;
  // Sealed payloads only: each fleet host's last one, so a steady beacon is read without JSON.parse.
  readonly #sealedRich: RichBeaconDecoder;
  readonly #defaultIntervalMs: number;
  readonly #vaultIntervalMs: number;
  readonly #maxBytes: number;
  readonly #clock: Clock;

  constructor(options: BeaconIngestOptions) {
    this.#o = options;
    this.counters = options.counters ?? new BeaconCounters();
    this.#acceptUnsealed = options.acceptUnsealed ?? true;
    this.#defaultIntervalMs = options.defaultIntervalMs ?? 15_000;
    this.#vaultIntervalMs = options.vaultIntervalMs ?? 10_000;
    this.#maxBytes = options.maxBytes ?? MAX_BEACON_BYTES;
    this.#clock = options.clock ?? options.table?.clock ?? systemClock;
    this.#sealedRich = new RichBeaconDecoder(options.table?.maxHosts ?? GUARD_HOSTS);
  }

  /**
   * Handles one beacon datagram (disco.py or rich, sealed or not). The same as {@link acceptNow}, as a
   * promise, for callers written when opening a sealed beacon was asynchronous.
   * @returns the beacon, or undefined when it was dropped (and counted)
   */
  accept(d: Datagram): Promise<ReceivedBeacon | undefined> {
    return Promise.resolve(this.acceptNow(d));
  }

  /**
   * Handles one beacon datagram (disco.py or rich, sealed or not), synchronously: sealed beacons are opened
   * with `node:crypto`, so the receive loop needs no promise per datagram and applies in arrival order.
   * @returns the beacon, or undefined when it was dropped (and counted)
   */
  acceptNow(d: Datagram): ReceivedBeacon | undefined {
    this.counters.recordReceived(d.data.length);
    const ring = this.#o.keyring;
    // A keyed fleet's beacons: checked and opened in place, without an envelope object and its views.
    // Anything else (including a malformed sealed header) takes the decoder, which names what is wrong.
    if (ring && d.data.length <= this.#maxBytes && isSealedFor(d.data, this.#o.channelId)) return this.#acceptSealed(ring, d);
    let decoded: DecodedDatagram;
    try {
      decoded = decodeDatagram(d.data, { channelId: this.#o.channelId, maxBytes: this.#maxBytes });
    } catch (err) {
      return this.#drop(err, d);
    }
    // (With a keyring, a sealed beacon the decoder accepts has the layout isSealedFor() checks.)
    if (decoded.kind === "sealed") return ring ? this.#acceptSealed(ring, d) : this.#refuse("unknown-key", d, () => "sealed beacon but no key is configured");
    if (!this.#acceptUnsealed) return this.#refuse("unsealed", d, () => "unsealed beacon refused (a key is set and accept_unsealed is false)");
    if (decoded.kind === "rich") return this.#applyRich(decoded.beacon, d, false);
    const b = decoded.beacon;
    // disco.py beacons announce no interval: the table learns each host's pace, starting from the default.
    const obs: Observation = { host: b.host, address: d.address, intervalMs: this.#defaultIntervalMs, source: "disco.py", learnPace: true, ...(b.bye && { bye: true }) };
    if (!this.#apply(obs, d)) return undefined;
    return { from: d.address, format: "disco.py", sealed: false, host: b.host, bye: b.bye, unixSeconds: b.unixSeconds, text: b.text };
  }

  /** Opens a sealed beacon of this channel (header already checked) in place, then checks and applies it. */
  #acceptSealed(ring: Keyring, d: Datagram): ReceivedBeacon | undefined {
    const key = findKeyAt(ring, d.data, 8);
    if (!key) return this.#refuse("unknown-key", d, () => UNKNOWN_KEY_MESSAGE);
    // A forged flood is the costly case: its drop builds no error unless --debug asks.
    const plain = openAesGcmAt(key.aead, d.data, 12, SEALED_HEADER_BYTES);
    if (!plain) return this.#refuse("forged", d, () => FORGED_MESSAGE);
    let rich: RichBeacon;
    try {
      rich = this.#sealedRich.decode(plain);
    } catch (err) {
      return this.#drop(err, d);
    }
    return this.#applyRich(rich, d, true);
  }

  #applyRich(rich: RichBeacon, d: Datagram, sealed: boolean): ReceivedBeacon | undefined {
    const guard = sealed ? this.#sealedGuard : this.#unsealedGuard;
    const table = this.#o.table;
    // An unsealed beacon's interval is capped as the table caps it: a forged one cannot hold the real
    // boot back for a day.
    const intervalMs = sealed ? rich.intervalMs : Math.min(rich.intervalMs, table?.maxUnsealedIntervalMs ?? rich.intervalMs);
    // A sealed beacon is its own sequence record (no object per datagram); an unsealed one with a capped interval.
    const sequenced = intervalMs === rich.intervalMs ? rich : { host: rich.host, boot: rich.boot, seq: rich.seq, intervalMs, bye: rich.bye === true };
    const verdict = guard.admit(sequenced, this.#clock.nowMs());
    if (verdict === "replayed") return this.#refuse("replayed", d, () => `replayed or stale beacon from ${rich.host} (boot ${rich.boot}, seq ${rich.seq})`);
    if (verdict === "other-boot") {
      return this.#refuse("replayed", d, () => `${rich.bye ? "goodbye" : "beacon"} from ${rich.host} of boot ${rich.boot}, not its current boot, which is still beaconing (a replay of an earlier boot, or a second sender with this name)`);
    }
    // Built field by field rather than spread: this runs for every received rich beacon.
    const obs: { -readonly [K in keyof Observation]: Observation[K] } = { host: rich.host, address: d.address, intervalMs: rich.intervalMs, source: "disco-json", sealed, boot: rich.boot, addresses: rich.addresses };
    if (rich.version !== undefined) obs.version = rich.version;
    if (rich.services !== undefined) obs.services = rich.services;
    if (rich.metricsEndpoint !== undefined) obs.metricsEndpoint = rich.metricsEndpoint;
    if (rich.gpio !== undefined) obs.gpio = rich.gpio;
    if (rich.httpEndpoint !== undefined) obs.httpEndpoint = rich.httpEndpoint;
    if (rich.bye) obs.bye = true;
    if (!this.#apply(obs, d)) return undefined;
    return new ReceivedRich(d.address, sealed, rich);
  }

  /**
   * Handles one py-vault-multicast announcement: the source address becomes a host whose services are
   * the announced ones (the last {@link MAX_VAULT_SERVICES} names it announced).
   *
   * The services live only in the table's record of that host (no copy is kept here), so what the
   * announcements hold is bounded by the table's capacity, and goes with the host when it is forgotten.
   * @returns the announcement, or undefined when it was dropped (and counted)
   */
  acceptVault(d: Datagram): ReceivedBeacon | undefined {
    this.counters.recordReceived(d.data.length);
    try {
      if (d.data.length > this.#maxBytes) throw new BeaconFrameError("oversized", `datagram of ${d.data.length} bytes is over the ${this.#maxBytes}-byte limit`);
      const a = decodeVaultAnnouncement(d.data);
      if (!this.#apply({ host: d.address, address: d.address, intervalMs: this.#vaultIntervalMs, source: "vault-multicast", services: this.#vaultServices(d.address, a) }, d)) return undefined;
      return { from: d.address, format: "vault-multicast", sealed: false, host: a.name, bye: false, unixSeconds: Math.floor(a.timestamp), text: `SERVICE ${a.type} ${a.name} ${a.addr} ${a.version}`, vault: a };
    } catch (err) {
      return this.#drop(err, d);
    }
  }

  /** The services of a vault sender after one more announcement: what its table record holds, plus this one. */
  #vaultServices(address: string, a: VaultAnnouncement): Record<string, VaultService> {
    const held = this.#o.table?.get(address);
    // Only a record the announcements made holds vault services (a beacon may name a host by an address).
    const before = held?.source === "vault-multicast" ? (held.services as Readonly<Record<string, VaultService>> | undefined) : undefined;
    const entries: [string, VaultService][] = before ? Object.entries(before).filter(([name]) => name !== a.name) : [];
    entries.push([a.name, { type: a.type, addr: a.addr, version: a.version }]);
    return Object.fromEntries(entries.slice(-MAX_VAULT_SERVICES));
  }

  /** Hands an observation to the table. @returns false when the table refused it (counted) */
  #apply(obs: Observation, d: Datagram): boolean {
    const refused = this.#o.table?.observe(obs).refused;
    if (!refused) return true;
    this.#refuse(refused, d, () => REFUSALS[refused](obs));
    return false;
  }

  /** Counts a drop decided here; the error object is built only for `onDrop` (a flood pays no stack traces). */
  #refuse(reason: DropReason, d: Datagram, message: () => string): undefined {
    this.counters.recordDrop(reason);
    this.#o.onDrop?.(reason, d.address, new BeaconFrameError(reason, message()));
    return undefined;
  }

  #drop(err: unknown, d: Datagram): undefined {
    const e = err instanceof BeaconFrameError ? err : new BeaconFrameError("malformed", `unexpected decoder failure: ${String(err)}`, { cause: err });
    this.counters.recordDrop(e.reason);
    this.#o.onDrop?.(e.reason, d.address, e);
    return undefined;
  }
}

/** Options for {@link runBeaconReceiver}. */
export interface BeaconReceiverOptions {
  /** Stops the loop. */
  signal: AbortSignal;
  /** Beacon datagrams (the socket bound to the beacon port), one by one or in batches. */
  datagrams: AsyncIterable<Datagram | readonly Datagram[]>;
  /** py-vault-multicast datagrams (a socket joined to the group), when enabled. */
  vault?: AsyncIterable<Datagram>;
  ingest: BeaconIngest;
  /** Called for each accepted beacon (`broadcast --receive` prints it). */
  onBeacon?: (b: ReceivedBeacon) => void;
}

function isBatch(v: Datagram | readonly Datagram[]): v is readonly Datagram[] {
  return Array.isArray(v);
}

/**
 * Feeds every datagram to `handle`, in arrival order, until the signal aborts or the source ends. Each wait
 * for the next batch is one short-lived promise (untilAborted), never a race against a promise that lives
 * as long as the loop: such a race keeps each turn's batch reachable (issue 9: 1.1 KB per datagram, never
 * freed). A `handle` that throws (an `onBeacon` callback) ends the loop with its error.
 */
async function drain(signal: AbortSignal, source: AsyncIterable<Datagram | readonly Datagram[]>, handle: (d: Datagram) => void): Promise<void> {
  const it = source[Symbol.asyncIterator]();
  try {
    while (!signal.aborted) {
      const r = await untilAborted(it.next(), signal);
      if (r === undefined || r.done) break;
      if (isBatch(r.value)) for (const d of r.value) handle(d);
      else handle(r.value);
    }
  } finally {
    await it.return?.();
  }
}

/**
 * Receives until the signal aborts. Resolves then; never rejects because of what was received.
 */
export async function runBeaconReceiver(options: BeaconReceiverOptions): Promise<void> {
  const { signal, ingest, onBeacon } = options;
  const deliver = onBeacon ? (b: ReceivedBeacon | undefined) => void (b && onBeacon(b)) : ignore;
  const tasks = [drain(signal, options.datagrams, (d) => deliver(ingest.acceptNow(d)))];
  if (options.vault) tasks.push(drain(signal, options.vault, (d) => deliver(ingest.acceptVault(d))));
  await Promise.all(tasks);
}

/** Options for {@link runMembershipTicker}. */
export interface TickerOptions {
  signal: AbortSignal;
  table: MembershipTable;
  /** Longest wait between checks for missed beacons, in ms. @default 100 */
  tickMs?: number;
  /**
   * Return once the table holds no host: for a table nothing feeds any more (its hosts can only go
   * suspect, failed and be forgotten, and none can join). @default false
   */
  untilEmpty?: boolean;
}

/**
 * Calls `table.tick()` until the signal aborts (or, with `untilEmpty`, the table is empty): at the moment
 * the next host is due to change state, and at least every `tickMs` (beacons heard meanwhile can move
 * deadlines).
 */
export async function runMembershipTicker(options: TickerOptions): Promise<void> {
  const { signal, table } = options;
  const tickMs = options.tickMs ?? 100;
  try {
    while (!signal.aborted && !(options.untilEmpty && table.size === 0)) {
      await sleep(Math.max(1, Math.min(tickMs, table.msUntilNextChange() ?? tickMs)), undefined, { signal });
      table.tick();
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  }
}
