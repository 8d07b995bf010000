/**
 * How the membership table tells a beacon that changes something from one that only repeats: comparisons
 * of records and announced fields. Pure.
 */
import type { HostRecord } from "./types.ts";

/** Addresses kept per host (heard and announced). */
export const MAX_ADDRESSES = 16;

/** Whether two optional lists hold the same strings in the same order. */
export function sameList(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  return a.every((x, i) => x === b[i]);
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

/** Deep equality of JSON values (key order does not matter): cheaper than comparing two JSON.stringify's. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * Whether a record's addresses are what a beacon from `source` announcing `announced` would make them for a
 * host heard on that one address: the source, then the announced ones (without it), at most MAX_ADDRESSES.
 */
export function sameAnnounced(current: readonly string[], source: string, announced: readonly string[] | undefined): boolean {
  let k = 1;
  for (const a of announced ?? []) {
    if (a === source) continue;
    if (k >= MAX_ADDRESSES) break;
    if (current[k] !== a) return false;
    k++;
  }
  return k === current.length;
}

/**
 * Whether two records differ in anything but when they were last heard (and a learned pace's drift). The
 * addresses count as a set, but for the first (the primary, where the host is followed).
 */
export function differs(a: HostRecord, b: HostRecord): boolean {
  const learning = a.learnedIntervalMs !== undefined || b.learnedIntervalMs !== undefined;
  return (
    a.state !== b.state ||
    (!learning && a.intervalMs !== b.intervalMs) ||
    a.source !== b.source ||
    a.sealed !== b.sealed ||
    a.version !== b.version ||
    a.metricsEndpoint !== b.metricsEndpoint ||
    a.httpEndpoint !== b.httpEndpoint ||
    a.addresses[0] !== b.addresses[0] ||
    !sameSet(a.addresses, b.addresses) ||
    !sameList(a.gpio, b.gpio) ||
    !sameJson(a.services, b.services)
  );
}
