/**
 * Who holds a bound socket's accepted connections: at most `maxConnections` in all and
 * `maxConnectionsPerAddress` from one tcp source address. At a limit, a peer silent for the idle timeout
 * gives its place up to the newcomer, else the newcomer is refused: a stranger's silent ZMTP 3.0
 * connections (3.0 has no PING to time them out on) cannot hold every slot for good.
 */
import type { Session } from "./session.ts";

/** The limits of {@link AcceptedPeers}. */
export interface AdmissionLimits {
  readonly maxConnections: number;
  readonly maxConnectionsPerAddress: number;
  /** A peer silent this long may be evicted for a newcomer at a limit; 0 = never (heartbeats off). */
  readonly idleTimeoutMs: number;
}

/** What to do with a newcomer, discriminated on `type`. */
export type Admission =
  | { readonly type: "admit" }
  /** Close `victim` (silent for `silentMs`) first: then the newcomer fits. */
  | { readonly type: "evict"; readonly victim: Session; readonly silentMs: number }
  | { readonly type: "refuse"; readonly limit: "connections" | "connections-per-address" };

/** The accepted sessions and the source address each is counted under ("" when not limited per address). */
export class AcceptedPeers {
  readonly #limits: AdmissionLimits;
  readonly #peers = new Map<Session, string>();
  readonly #perAddress = new Map<string, number>();

  constructor(limits: AdmissionLimits) {
    this.#limits = limits;
  }

  /**
   * Decides on a newcomer.
   * @param address its source address, "" when not limited per address (ipc)
   * @param nowMs the sessions' clock now
   */
  admit(address: string, nowMs: number): Admission {
    const l = this.#limits;
    const addressFull = address !== "" && (this.#perAddress.get(address) ?? 0) >= l.maxConnectionsPerAddress;
    const full = this.#peers.size >= l.maxConnections;
    if (!full && !addressFull) return { type: "admit" };
    // The victim must free what the newcomer lacks: a place of its own address when that is full
    // (which frees one in all too), else any place.
    const victim = this.#silentLongest(addressFull ? address : undefined, nowMs);
    if (victim) return { type: "evict", ...victim };
    return { type: "refuse", limit: full ? "connections" : "connections-per-address" };
  }

  /** Counts an admitted session. */
  add(session: Session, address: string): void {
    this.#peers.set(session, address);
    if (address) this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
  }

  /** Frees the places of a session that ended (no-op for one never added). */
  release(session: Session): void {
    const address = this.#peers.get(session);
    if (address === undefined) return;
    this.#peers.delete(session);
    if (!address) return;
    const n = (this.#perAddress.get(address) ?? 1) - 1;
    if (n > 0) this.#perAddress.set(address, n);
    else this.#perAddress.delete(address);
  }

  /**
   * The peer silent longest, when silent for the idle timeout (silence is measured with heartbeats on; in
   * practice a ZMTP 3.0 peer, as a 3.1 peer that silent is dropped by its heartbeat).
   * @param address only among this source address's peers
   */
  #silentLongest(address: string | undefined, nowMs: number): { victim: Session; silentMs: number } | undefined {
    const timeoutMs = this.#limits.idleTimeoutMs;
    if (!(timeoutMs > 0)) return undefined;
    let found: { victim: Session; silentMs: number } | undefined;
    for (const [s, a] of this.#peers) {
      if (address !== undefined && a !== address) continue;
      const silent = s.silentMs(nowMs);
      if (silent !== undefined && silent >= timeoutMs && (!found || silent > found.silentMs)) found = { victim: s, silentMs: silent };
    }
    return found;
  }
}
