import type { Section } from "./_schema.ts";

/** `[metrics]`: placeholder until the metrics capability defines its keys. */
export interface MetricsConfig {
  readonly enabled: boolean;
}

/** Reads and validates `[metrics]`. */
export function readMetrics(s: Section): MetricsConfig {
  const enabled = s.bool("enabled", { default: false })!;
  s.done();
  return { enabled };
}
