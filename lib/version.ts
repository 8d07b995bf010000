/** The disco version, reported by `--version`, in discovery answers and in beacons. */
export const VERSION = "0.1.0";

/**
 * No real clock reads earlier than this: a date before this version was written (2026-11-01 UTC). A device whose
 * clock is behind it (no RTC, booted in 1970) cannot judge a query's freshness by time, so its discovery
 * responder answers every sealed query with a challenge instead.
 */
export const CLOCK_FLOOR_MS = Date.UTC(2026, 10, 1);
