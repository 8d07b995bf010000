/**
 * Counters kept by beacon senders and receivers (py-vault-multicast's set, plus drops by reason).
 */
import { turnMonotonicMs } from "../async/index.ts";
import { DROP_REASONS, type DropReason } from "./errors.ts";

/** A point-in-time copy of {@link BeaconCounters}. */
export interface CountersSnapshot {
  readonly packetsSent: number;
  readonly bytesSent: number;
  readonly packetsReceived: number;
  readonly bytesReceived: number;
  /** Send or socket errors. */
  readonly errors: number;
  /** Datagrams dropped, by reason (only reasons that occurred). */
  readonly drops: Readonly<Partial<Record<DropReason, number>>>;
  /** Total of `drops`. */
  readonly dropped: number;
  /** Hosts alive or suspect. */
  readonly activeHosts: number;
  readonly uptimeMs: number;
  /** Packets sent and received per second, over the last 10 s (or the uptime when shorter). */
  readonly packetsPerSec: number;
}

const WINDOW_MS = 10_000;
const BUCKET_MS = 1000;

/** Mutable counters; one per sender or receiver (or shared by both in one process). */
export class BeaconCounters {
  packetsSent = 0;
  bytesSent = 0;
  packetsReceived = 0;
  bytesReceived = 0;
  errors = 0;
  readonly #drops = new Map<DropReason, number>();
  readonly #startedMs: number;
  readonly #now: () => number;
  /** Per-second packet counts for the rate window: [bucket start ms, count]. */
  #buckets: [number, number][] = [];

  /** @param nowMs a monotonic clock (injected for tests) */
  constructor(nowMs: () => number = turnMonotonicMs) {
    this.#now = nowMs;
    this.#startedMs = nowMs();
  }

  /** Counts one datagram sent. */
  recordSent(bytes: number): void {
    this.packetsSent++;
    this.bytesSent += bytes;
    this.#bump();
  }

  /** Counts one datagram received (before it is decoded; a dropped one is counted here too). */
  recordReceived(bytes: number): void {
    this.packetsReceived++;
    this.bytesReceived += bytes;
    this.#bump();
  }

  /** Counts one dropped datagram. */
  recordDrop(reason: DropReason): void {
    this.#drops.set(reason, (this.#drops.get(reason) ?? 0) + 1);
  }

  /** Counts one send or socket error. */
  recordError(): void {
    this.errors++;
  }

  /** Drops so far for one reason. */
  drops(reason: DropReason): number {
    return this.#drops.get(reason) ?? 0;
  }

  /**
   * A copy of the counters.
   * @param activeHosts hosts alive or suspect (from the membership table), 0 for a sender
   */
  snapshot(activeHosts = 0): CountersSnapshot {
    const now = this.#now();
    const drops: Partial<Record<DropReason, number>> = {};
    let dropped = 0;
    for (const r of DROP_REASONS) {
      const n = this.#drops.get(r);
      if (n) {
        drops[r] = n;
        dropped += n;
      }
    }
    const since = now - WINDOW_MS;
    const recent = this.#buckets.filter(([t]) => t + BUCKET_MS > since).reduce((n, [, c]) => n + c, 0);
    const spanMs = Math.min(WINDOW_MS, Math.max(now - this.#startedMs, 1));
    return {
      packetsSent: this.packetsSent,
      bytesSent: this.bytesSent,
      packetsReceived: this.packetsReceived,
      bytesReceived: this.bytesReceived,
      errors: this.errors,
      drops,
      dropped,
      activeHosts,
      uptimeMs: now - this.#startedMs,
      packetsPerSec: (recent * 1000) / spanMs,
    };
  }

  #bump(): void {
    const t = this.#now();
    const last = this.#buckets[this.#buckets.length - 1];
    if (last && t - last[0] < BUCKET_MS) {
      last[1]++;
      return;
    }
    this.#buckets.push([t, 1]);
    if (this.#buckets.length > WINDOW_MS / BUCKET_MS + 1) this.#buckets.shift();
  }
}
