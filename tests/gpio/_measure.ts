/**
 * Measurements shared by bench/gpio.bench.ts (host) and the in-VM runner (tests/gpio/vm/runner.ts): output
 * toggles per second, software PWM period jitter, and percentile summaries. They print figures; nothing here
 * fails on time.
 */
import { startSoftPwm, type LineHandle, type LineValue } from "../../lib/gpio/index.ts";

/** Percentiles and maximum of a sample, in the sample's unit. */
export interface Summary {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** The `p`th percentile (0..100, nearest rank) of an ascending sample. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** p50, p99 and max of a sample (any order). */
export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1)! };
}

/** Writes 0, 1, 0, ... to an output for `ms` milliseconds. @returns writes per second */
export async function measureToggles(h: LineHandle, ms: number): Promise<number> {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) await h.write((n++ & 1) as LineValue);
  return Math.round((n * 1000) / ms);
}

/** Runs software PWM for `periods` periods. @returns how far each period's length was from `periodMs`, in ms */
export async function measurePwmJitter(h: LineHandle, periods: number, periodMs = 20): Promise<Summary> {
  const starts: bigint[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const pwm = startSoftPwm(h, { periodMs, duty: 0.2, onPeriodStart: (t) => (starts.push(t) === periods + 1 ? done() : undefined) });
  await finished;
  await pwm.close();
  return summarize(starts.slice(1).map((t, i) => Math.abs(Number(t - starts[i]!) / 1e6 - periodMs)));
}
