import type { Section } from "./_schema.ts";

/** `[beacon]`: placeholder until the beacon capability defines its keys. */
export interface BeaconConfig {
  readonly enabled: boolean;
}

/** Reads and validates `[beacon]`. */
export function readBeacon(s: Section): BeaconConfig {
  const enabled = s.bool("enabled", { default: false })!;
  s.done();
  return { enabled };
}
