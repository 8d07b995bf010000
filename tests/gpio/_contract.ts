/**
 * The one contract every GPIO driver must honour: request, read, write, edges, debounce, release, busy line.
 * Written as plain cases (no test framework) so the same cases run under `bun test` on the host (fake driver,
 * sysfs over a temp tree) and inside the gpio-sim VM from the compiled runner (cdev and sysfs on a real
 * kernel).
 */
import assert from "node:assert/strict";
import {
  ChipNotFoundError,
  GpioValueError,
  LineBusyError,
  LineNotFoundError,
  LineReleasedError,
  monotonicNs,
  type EdgeEvent,
  type GpioDriver,
  type LineSettings,
  type LineValue,
} from "../../lib/gpio/index.ts";
import { Changes } from "../_lines.ts";

/** What the suite needs from a driver under test and the world around it. */
export interface ContractHarness {
  readonly name: string;
  /** A fresh driver. */
  driver(): Promise<GpioDriver>;
  /** The chip to use (at least 7 free lines, 0..6). */
  readonly chip: string;
  /** Pulls a line from outside (gpio-sim `pull`). */
  setPull(line: number, level: LineValue): Promise<void>;
  /** The physical level of a line as the outside sees it. */
  physical(line: number): Promise<LineValue>;
  /** Whether the driver sets bias (sysfs cannot). */
  readonly supportsBias: boolean;
  /** The consumer `lineInfo` reports for a line this driver holds with `label`. */
  expectedConsumer(label: string): string;
  /** Whether `lineInfo` sees a released line as free (a static temp tree cannot unexport). */
  readonly observesRelease: boolean;
}

/** One case. */
export interface ContractCase {
  readonly name: string;
  run(h: ContractHarness): Promise<void>;
}

const DEADLINE_MS = 3000;

/**
 * The next item of an event stream (edge events, input changes), or a failure at the deadline: the wait ends
 * as soon as the item arrives.
 */
export async function nextEvent<T = EdgeEvent>(it: AsyncIterator<T>, what: string, timeoutMs = DEADLINE_MS): Promise<T> {
  const arrived = new Changes();
  let settled: { readonly result: IteratorResult<T> } | { readonly error: unknown } | undefined;
  const settle = (s: NonNullable<typeof settled>) => {
    settled = s;
    arrived.notify();
  };
  it.next().then((result) => settle({ result }), (error: unknown) => settle({ error }));
  const s = await arrived.until(() => settled, { timeoutMs, failure: () => `no ${what} within ${timeoutMs} ms` });
  if ("error" in s) throw s.error;
  assert.equal(s.result.done, false, `event stream ended while waiting for ${what}`);
  return s.result.value as T;
}

/** Reads until `expected` or the deadline (sysfs/gpio-sim settle within microseconds; this bounds it). */
async function readUntil(read: () => Promise<LineValue>, expected: LineValue, what: string): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  let v = await read();
  while (v !== expected && Date.now() < deadline) {
    await new Promise((r) => setImmediate(r));
    v = await read();
  }
  assert.equal(v, expected, what);
}

/** Waits until a scanning driver has sampled the line twice (no-op for drivers with kernel edge events). */
async function settled(l: object): Promise<void> {
  const scan = (l as { nextScan?: () => Promise<void> }).nextScan;
  if (typeof scan !== "function") return;
  await scan.call(l);
  await scan.call(l);
}

async function withDriver(h: ContractHarness, fn: (d: GpioDriver) => Promise<void>): Promise<void> {
  const d = await h.driver();
  try {
    await fn(d);
  } finally {
    await d.close();
  }
}

/** Pulls `line` to `level`, then requests it with edge detection and subscribes before anything changes. */
async function watchEdges(h: ContractHarness, d: GpioDriver, line: number, level: LineValue, edges: Pick<LineSettings, "edge" | "debounceMs">) {
  await h.setPull(line, level);
  const l = await d.request(h.chip, line, { direction: "input", ...edges });
  return { l, it: l.events()[Symbol.asyncIterator]() };
}

/**
 * A line whose level is checked from outside: an input follows the pulls (inverted when active-low); an output
 * requested with initial 1, then written 0 and 1, drives the physical level (inverted when active-low).
 */
interface LevelCase {
  readonly name: string;
  readonly direction: "input" | "output";
  readonly line: number;
  readonly activeLow: boolean;
}

const LEVEL_CASES: readonly LevelCase[] = [
  { name: "an input reads what the outside pulls", direction: "input", line: 0, activeLow: false },
  { name: "an active-low input reads the inverse", direction: "input", line: 1, activeLow: true },
  { name: "an output drives its initial value, then what is written", direction: "output", line: 2, activeLow: false },
  { name: "an active-low output drives the inverse", direction: "output", line: 3, activeLow: true },
];

function levelCase(c: LevelCase): ContractCase {
  const invert = (v: LineValue) => (c.activeLow ? 1 - v : v) as LineValue;
  const low = c.activeLow ? " when active-low" : "";
  return {
    name: c.name,
    run: (h) =>
      withDriver(h, async (d) => {
        if (c.direction === "input") {
          const l = await d.request(h.chip, c.line, { direction: "input", activeLow: c.activeLow });
          for (const level of [1, 0] as const) {
            await h.setPull(c.line, level);
            await readUntil(() => l.read(), invert(level), `pulled ${level ? "up" : "down"} reads ${invert(level)}${low}`);
          }
          await l.close();
          return;
        }
        const l = await d.request(h.chip, c.line, { direction: "output", activeLow: c.activeLow, initial: 1 });
        assert.equal(await h.physical(c.line), invert(1), `initial 1${low}`);
        for (const v of [0, 1] as const) {
          await l.write(v);
          assert.equal(await h.physical(c.line), invert(v), `after write(${v})${low}`);
        }
        assert.equal(await l.read(), 1, "reads back the value written");
        await l.close();
      }),
  };
}

export const CONTRACT_CASES: readonly ContractCase[] = [
  {
    name: "chips() lists the chip and chip() finds it",
    run: (h) =>
      withDriver(h, async (d) => {
        const chips = await d.chips();
        assert.ok(chips.some((c) => c.name === h.chip), `${h.chip} in ${JSON.stringify(chips)}`);
        const c = await d.chip(h.chip);
        assert.ok(c.lines >= 7);
      }),
  },
  {
    name: "a missing chip is ChipNotFoundError, a line past the end is LineNotFoundError",
    run: (h) =>
      withDriver(h, async (d) => {
        await assert.rejects(d.request("gpiochip99", 0, { direction: "input" }), (e) => e instanceof ChipNotFoundError && e.chip === "gpiochip99");
        const c = await d.chip(h.chip);
        await assert.rejects(d.request(h.chip, c.lines, { direction: "input" }), (e) => e instanceof LineNotFoundError && e.line === c.lines);
      }),
  },
  ...LEVEL_CASES.map(levelCase),
  {
    name: "bad values and settings are GpioValueError",
    run: (h) =>
      withDriver(h, async (d) => {
        await assert.rejects(d.request(h.chip, 4, { direction: "output", edge: "both" }), GpioValueError);
        await assert.rejects(d.request(h.chip, 4, { direction: "input", debounceMs: 10 }), GpioValueError);
        const i = await d.request(h.chip, 4, { direction: "input" });
        await assert.rejects(i.write(1), GpioValueError);
        assert.throws(() => i.events(), GpioValueError);
        await i.close();
        const o = await d.request(h.chip, 4, { direction: "output" });
        await assert.rejects(o.write(2 as LineValue), GpioValueError);
        await o.close();
      }),
  },
  {
    name: "edges: rising and falling events with the value after the edge",
    run: (h) =>
      withDriver(h, async (d) => {
        const { l, it } = await watchEdges(h, d, 5, 0, { edge: "both" });
        const t0 = monotonicNs();
        await h.setPull(5, 1);
        const up = await nextEvent(it, "rising edge");
        assert.equal(up.type, "rising");
        assert.equal(up.value, 1);
        assert.equal(up.line, 5);
        assert.ok(up.timestampNs >= t0, "timestamp is on the monotonic clock, after the pull");
        await h.setPull(5, 0);
        const down = await nextEvent(it, "falling edge");
        assert.equal(down.type, "falling");
        assert.equal(down.value, 0);
        assert.ok(down.seqno > up.seqno);
        await l.close();
        assert.equal((await it.next()).done, true, "release ends the event stream");
      }),
  },
  {
    name: "edges: a rising-only line skips falling edges",
    run: (h) =>
      withDriver(h, async (d) => {
        const { l, it } = await watchEdges(h, d, 6, 1, { edge: "rising" });
        await readUntil(() => l.read(), 1, "starts high");
        const t0 = monotonicNs();
        await h.setPull(6, 0);
        await readUntil(() => l.read(), 0, "went low");
        await settled(l);
        await h.setPull(6, 1);
        const e = await nextEvent(it, "rising edge");
        assert.equal(e.type, "rising");
        assert.ok(e.timestampNs >= t0);
        await l.close();
      }),
  },
  {
    name: "debounce: a glitch shorter than debounce_ms gives no event; a held level gives one",
    run: (h) =>
      withDriver(h, async (d) => {
        const { l, it } = await watchEdges(h, d, 0, 0, { edge: "both", debounceMs: 50 });
        await h.setPull(0, 1); // glitch up ...
        await h.setPull(0, 0); // ... and straight back down
        const hold = monotonicNs();
        await h.setPull(0, 1); // now held
        const e = await nextEvent(it, "debounced rising edge");
        assert.equal(e.type, "rising");
        assert.ok(e.timestampNs >= hold, `the first event comes after the level was held (${e.timestampNs} >= ${hold}), not from the glitch`);
        await l.close();
      }),
  },
  {
    name: "release: the line can be requested again, the old handle refuses",
    run: (h) =>
      withDriver(h, async (d) => {
        const a = await d.request(h.chip, 2, { direction: "output", initial: 1 });
        await a.close();
        await a.close(); // idempotent
        await assert.rejects(a.read(), LineReleasedError);
        const b = await d.request(h.chip, 2, { direction: "input" });
        const info = await d.lineInfo(h.chip, 2);
        assert.equal(info.used, true);
        assert.equal(info.direction, "input");
        await b.close();
        if (h.observesRelease) assert.equal((await d.lineInfo(h.chip, 2)).used, false, "free after release");
      }),
  },
  {
    name: "busy line: a second request is LineBusyError naming the consumer",
    run: (h) =>
      withDriver(h, async (d) => {
        const a = await d.request(h.chip, 3, { direction: "output", consumer: "contract-a" });
        const info = await d.lineInfo(h.chip, 3);
        assert.equal(info.consumer, h.expectedConsumer("contract-a"));
        assert.equal(info.direction, "output");
        await assert.rejects(d.request(h.chip, 3, { direction: "input", consumer: "contract-b" }), (e) => {
          assert.ok(e instanceof LineBusyError, String(e));
          assert.equal(e.line, 3);
          assert.equal(e.consumer, "contract-a");
          return true;
        });
        await a.close();
      }),
  },
  {
    name: "bias: pull-up and pull-down are applied (or refused with GpioValueError where unsupported)",
    run: (h) =>
      withDriver(h, async (d) => {
        if (!h.supportsBias) {
          await assert.rejects(d.request(h.chip, 4, { direction: "input", bias: "pull-up" }), GpioValueError);
          return;
        }
        const l = await d.request(h.chip, 4, { direction: "input", bias: "pull-up" });
        await readUntil(() => l.read(), 1, "pull-up reads 1");
        assert.equal((await d.lineInfo(h.chip, 4)).bias, "pull-up");
        await l.close();
      }),
  },
];
