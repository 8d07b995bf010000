/**
 * Membership events: the contract between the beacon receiver (which produces them) and everything that
 * follows the fleet (the metrics receiver connects and disconnects by them, hooks run on them, the
 * `hosts` view draws them).
 */

/** A host as the membership table knows it. */
export interface HostRecord {
  /** Host identity (its announced name). */
  readonly host: string;
  /**
   * Addresses the host was heard from or announced. First the primary address, the one the host is
   * followed at (the metrics receiver connects there): the first it was heard on, until it misses a beacon
   * and another it is heard on takes its place. Then the other source addresses, most recent first, then
   * the announced ones.
   */
  readonly addresses: readonly string[];
  /**
   * `alive`, `suspect` or `failed` in the table; `left` only in the record a `leave` event carries (the
   * host said goodbye, or was evicted to make room): the state the host is now in.
   */
  readonly state: "alive" | "suspect" | "failed" | "left";
  /** Monotonic ms when last heard. */
  readonly lastSeenMs: number;
  /** Wall-clock unix ms when last heard (for display). */
  readonly lastSeenUnixMs: number;
  /**
   * The interval missed beacons are counted against, in ms: the announced one (at most the unsealed cap
   * for an unsealed beacon), or, for formats that announce none (disco.py), the learned pace once known and
   * the configured default until then.
   */
  readonly intervalMs: number;
  /** The pace learned from arrival times, in ms, for formats that announce no interval (once two beacons arrived). */
  readonly learnedIntervalMs?: number;
  /** True when the host's beacons are sealed (opened with a key of the keyring): authenticated. */
  readonly sealed?: boolean;
  /** Announced version, when the beacon format carries one. */
  readonly version?: string;
  /** Announced `[services]`, when the beacon format carries them. */
  readonly services?: Readonly<Record<string, unknown>>;
  /** Announced metrics endpoint (e.g. "tcp://10.0.0.5:9000"), when known. */
  readonly metricsEndpoint?: string;
  /** Announced GPIO interface names. */
  readonly gpio?: readonly string[];
  /** Announced HTTP server base URL (e.g. "http://10.0.0.5:9180"), when known. */
  readonly httpEndpoint?: string;
  /** Which wire format announced it. */
  readonly source: "disco.py" | "disco-json" | "vault-multicast";
}

/** A change in membership. */
export type MembershipEvent =
  | { readonly type: "join"; readonly host: HostRecord }
  | { readonly type: "update"; readonly host: HostRecord }
  | { readonly type: "suspect"; readonly host: HostRecord }
  | { readonly type: "leave"; readonly host: HostRecord }
  | { readonly type: "failed"; readonly host: HostRecord };
