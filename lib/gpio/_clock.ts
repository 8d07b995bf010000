/**
 * CLOCK_MONOTONIC in nanoseconds: the clock the kernel stamps GPIO edge events with, so scanned events
 * (sysfs, fake) and kernel events (cdev) compare. `process.hrtime` in Bun has its own origin, hence libc.
 */
import { ptr } from "bun:ffi";
import { lazyLibc } from "../libc.ts";

const load = lazyLibc({ clock_gettime: { args: ["i32", "ptr"], returns: "i32" } });

let clock: ((id: number, ts: ReturnType<typeof ptr>) => number) | undefined | null;
const ts = new BigInt64Array(2);

/** Nanoseconds on CLOCK_MONOTONIC (falls back to `process.hrtime` where libc cannot be loaded). */
export function monotonicNs(): bigint {
  if (clock === undefined) {
    try {
      clock = load().clock_gettime;
    } catch {
      clock = null;
    }
  }
  if (clock && clock(1 /* CLOCK_MONOTONIC */, ptr(ts)) === 0) return ts[0]! * 1_000_000_000n + ts[1]!;
  return process.hrtime.bigint();
}
