/**
 * Reporting hooks for the daemon: input changes as metric values, and the host's GPIO interfaces for the
 * discovery self-description. Pure.
 */
import type { LinesSpec } from "./lines.ts";
import type { LineValue } from "./types.ts";

/**
 * The metric values for an input change: `{"gpio.<name>": "0" | "1"}` (the metric frame's JSON object).
 * @example inputChangeMetric({ name: "door", value: 1 }) // { "gpio.door": "1" }
 */
export function inputChangeMetric(change: { readonly name: string; readonly value: LineValue }): Record<string, string> {
  return { [`gpio.${change.name}`]: change.value === 1 ? "1" : "0" };
}

/** One GPIO interface in a discovery answer. */
export interface GpioInterface {
  readonly name: string;
  /** "in", "out" or "pwm" (the words lib/discovery's `GpioLineInfo` uses). */
  readonly direction: "in" | "out" | "pwm";
}

/**
 * The host's GPIO interfaces by name and direction, for the discovery self-description.
 * @example describeGpioInterfaces({ inputs: [{ name: "door", chip: "gpiochip0", line: 22 }] }) // [{ name: "door", direction: "in" }]
 */
export function describeGpioInterfaces(spec: LinesSpec): GpioInterface[] {
  return [
    ...(spec.inputs ?? []).map((i) => ({ name: i.name, direction: "in" as const })),
    ...(spec.outputs ?? []).map((o) => ({ name: o.name, direction: "out" as const })),
    ...(spec.pwms ?? []).map((p) => ({ name: p.name, direction: "pwm" as const })),
  ];
}
