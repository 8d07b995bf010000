import type { Section } from "./_schema.ts";

/** `[gpio]`: placeholder until the gpio capability defines its keys. */
export interface GpioConfig {
  readonly enabled: boolean;
}

/** Reads and validates `[gpio]`. */
export function readGpio(s: Section): GpioConfig {
  const enabled = s.bool("enabled", { default: false })!;
  s.done();
  return { enabled };
}
