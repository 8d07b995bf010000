/**
 * When a sender has missed a beacon: the one notion of "gone quiet" that the replay guard (may another boot
 * take over?) and the membership table (may another address become the primary?) share. Pure.
 */

/** Longest grace after an interval before a sender counts as quiet, in ms. */
export const MAX_QUIET_GRACE_MS = 2000;

/**
 * Whether a sender last heard at `lastMs` has missed a beacon by `nowMs`: more than its interval has passed,
 * plus a grace for a late timer or a delayed broadcast (half an interval, at most {@link MAX_QUIET_GRACE_MS}).
 */
export function missedBeacon(lastMs: number, intervalMs: number, nowMs: number): boolean {
  return nowMs - lastMs > intervalMs + Math.min(intervalMs / 2, MAX_QUIET_GRACE_MS);
}
