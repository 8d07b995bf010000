/**
 * Replay protection for rich beacons without clocks: per host, the current boot id and the highest sequence
 * number seen, plus a few boot ids the host has already moved on from. A datagram is fresh when it has the
 * current boot and a higher sequence number, or a boot never seen before (the host restarted).
 *
 * Limit: a beacon recorded while this receiver was not running, from a boot it never saw, is accepted once
 * (it looks like a restart) and then superseded by the host's next real beacon.
 */

/** Options for {@link SequenceGuard}. */
export interface SequenceGuardOptions {
  /** Hosts remembered; the least recently heard is forgotten first. @default 4096 */
  maxHosts?: number;
  /** Past boot ids remembered per host. @default 8 */
  maxOldBoots?: number;
}

interface Entry {
  boot: string;
  seq: number;
  oldBoots: string[];
}

/** Remembers each host's boot id and highest sequence number. */
export class SequenceGuard {
  #hosts = new Map<string, Entry>();
  readonly #maxHosts: number;
  readonly #maxOldBoots: number;

  constructor(options: SequenceGuardOptions = {}) {
    this.#maxHosts = options.maxHosts ?? 4096;
    this.#maxOldBoots = options.maxOldBoots ?? 8;
  }

  /**
   * Checks and records a datagram's (host, boot, seq).
   * @returns true when fresh, false for a replay (old sequence number or a past boot)
   */
  check(host: string, boot: string, seq: number): boolean {
    const e = this.#hosts.get(host);
    if (!e) {
      this.#hosts.set(host, { boot, seq, oldBoots: [] });
      if (this.#hosts.size > this.#maxHosts) this.#hosts.delete(this.#hosts.keys().next().value!);
      return true;
    }
    if (e.boot === boot) {
      if (seq <= e.seq) return false;
      e.seq = seq;
    } else {
      if (e.oldBoots.includes(boot)) return false;
      e.oldBoots.push(e.boot);
      if (e.oldBoots.length > this.#maxOldBoots) e.oldBoots.shift();
      e.boot = boot;
      e.seq = seq;
    }
    // Most recently heard last, so the oldest is evicted first.
    this.#hosts.delete(host);
    this.#hosts.set(host, e);
    return true;
  }

  /** Hosts remembered. */
  get size(): number {
    return this.#hosts.size;
  }
}
