/**
 * Replay protection for rich beacons without trusting the sender's clock. Per host the guard follows one
 * boot, the *current* one, and remembers a few other boots; each boot with the highest sequence number
 * seen from it.
 *
 * - A datagram of a boot already seen is fresh only with a higher sequence number than that boot's last.
 * - A datagram of another boot (a past one, or one never seen) takes over only once the current boot has
 *   gone quiet: it said goodbye, or nothing was heard from it for its interval plus a grace (half an
 *   interval, at most 2 s), so it missed a beacon. Until then it is held back (`other-boot`) and its
 *   sequence number is recorded, so the same datagram cannot take over later either.
 * - A goodbye counts only from the current boot.
 *
 * So a datagram recorded from any earlier boot — a beacon or a goodbye — changes nothing while the host
 * keeps beaconing, and the current boot's own beacons are never refused because another boot appeared (a
 * boot that loses its place stays remembered with its sequence number, and takes over again once the other
 * goes quiet). A host that restarts without a goodbye is followed from the first beacon of its new boot
 * that comes after the old boot missed one.
 *
 * Limits: a receiver that has not heard a host yet takes the first fresh datagram it hears as the current
 * boot, even a recorded one, and the real boot takes over once that one has gone quiet; someone holding a
 * long recording of an earlier boot can keep replaying it at its pace only while the real boot is silent.
 * A second process beaconing under the same name with its own boot is held back while the first beacons.
 */
import { missedBeacon } from "./_quiet.ts";

/** Options for {@link SequenceGuard}. */
export interface SequenceGuardOptions {
  /**
   * Hosts remembered; the least recently heard is forgotten first. A function is read each time a new host
   * is added, so the guard follows a capacity that changes (the membership table's, on a reload). @default 4096
   */
  maxHosts?: number | (() => number);
  /** Boots remembered per host besides the current one. @default 8 */
  maxOldBoots?: number;
}

/** What {@link SequenceGuard.admit} takes from a rich beacon. */
export interface SequencedBeacon {
  readonly host: string;
  readonly boot: string;
  readonly seq: number;
  /** The sender's announced interval, in ms: how long its boot may stay silent before it is quiet. */
  readonly intervalMs: number;
  /** A goodbye. */
  readonly bye?: boolean;
}

/**
 * What {@link SequenceGuard.admit} decided: `fresh` (apply it), `replayed` (a sequence number already
 * passed for its boot), `other-boot` (another boot than the host's current one, which is still beaconing:
 * a replay of an earlier boot, or a second sender under the name).
 */
export type SequenceVerdict = "fresh" | "replayed" | "other-boot";

interface Boot {
  readonly boot: string;
  seq: number;
  /** Receiver monotonic ms when last heard. */
  lastMs: number;
  intervalMs: number;
  /** It said goodbye. */
  ended: boolean;
}

interface Entry {
  current: Boot;
  /** Other boots, least recently heard first. */
  others: Boot[];
}

/** Whether a boot has gone quiet by `nowMs`: it said goodbye, or missed a beacon. */
function isQuiet(b: Boot, nowMs: number): boolean {
  return b.ended || missedBeacon(b.lastMs, b.intervalMs, nowMs);
}

/** Remembers each host's current boot and the boots it has seen, with their highest sequence numbers. */
export class SequenceGuard {
  #hosts = new Map<string, Entry>();
  readonly #maxHosts: number | (() => number);
  readonly #maxOldBoots: number;

  constructor(options: SequenceGuardOptions = {}) {
    this.#maxHosts = options.maxHosts ?? 4096;
    this.#maxOldBoots = options.maxOldBoots ?? 8;
  }

  /** Hosts remembered now (a smaller value forgets the least recently heard hosts at the next new one). */
  get maxHosts(): number {
    const m = this.#maxHosts;
    return Math.max(1, typeof m === "number" ? m : m());
  }

  /**
   * Checks and records one datagram.
   * @param b the beacon's host, boot, sequence number, interval and whether it is a goodbye
   * @param nowMs the receiver's monotonic clock, in ms
   * @returns `fresh` when it is to be applied, else why not
   * @example
   * guard.admit({ host: "pi", boot: "0123456789abcdef", seq: 7, intervalMs: 15000 }, performance.now()) // "fresh"
   */
  admit(b: SequencedBeacon, nowMs: number): SequenceVerdict {
    const e = this.#hosts.get(b.host);
    if (!e) {
      this.#hosts.set(b.host, { current: { boot: b.boot, seq: b.seq, lastMs: nowMs, intervalMs: b.intervalMs, ended: b.bye === true }, others: [] });
      const max = this.maxHosts;
      while (this.#hosts.size > max) this.#hosts.delete(this.#hosts.keys().next().value!);
      return "fresh";
    }
    // Most recently heard last, so the least recently heard host is forgotten first.
    this.#hosts.delete(b.host);
    this.#hosts.set(b.host, e);
    const cur = e.current;
    if (cur.boot === b.boot) {
      if (b.seq <= cur.seq) return "replayed";
      heard(cur, b, nowMs);
      return "fresh";
    }
    const i = e.others.findIndex((o) => o.boot === b.boot);
    const other = i >= 0 ? e.others[i]! : undefined;
    if (other && b.seq <= other.seq) return "replayed";
    if (i >= 0) e.others.splice(i, 1);
    const next: Boot = other ?? { boot: b.boot, seq: b.seq, lastMs: nowMs, intervalMs: b.intervalMs, ended: false };
    heard(next, b, nowMs);
    if (b.bye || !isQuiet(cur, nowMs)) {
      // Held back, but remembered (least recently heard other boot forgotten first).
      e.others.push(next);
      if (e.others.length > this.#maxOldBoots) e.others.shift();
      return "other-boot";
    }
    e.others.push(cur);
    if (e.others.length > this.#maxOldBoots) e.others.shift();
    e.current = next;
    return "fresh";
  }

  /** Hosts remembered. */
  get size(): number {
    return this.#hosts.size;
  }
}

function heard(boot: Boot, b: SequencedBeacon, nowMs: number): void {
  boot.seq = b.seq;
  boot.lastMs = nowMs;
  boot.intervalMs = b.intervalMs;
  if (b.bye) boot.ended = true;
}
