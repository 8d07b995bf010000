/**
 * The configured lines of a host, opened together: outputs, PWM and inputs by name. A line that fails to
 * open is reported in `failures` and the others keep working.
 */
import { access, readdir } from "node:fs/promises";
import { join } from "node:path";
import { hasEdgeDetection, isChipName, sampleEvery } from "./_base.ts";
import { AsyncQueue } from "../async/index.ts";
import { CdevGpio } from "./cdev.ts";
import { monotonicNs } from "./_clock.ts";
import { GpioError } from "./errors.ts";
import { openHardwarePwm, startSoftPwm, type PwmOutput } from "./pwm.ts";
import { SysfsGpio } from "./sysfs.ts";
import type { Bias, Drive, Edge, GpioDriver, LineHandle, LineValue } from "./types.ts";

/** An output as declared (`[[gpio.output]]`). */
export interface OutputSpec {
  readonly name: string;
  readonly chip: string;
  readonly line: number;
  readonly activeLow?: boolean;
  readonly drive?: Drive;
  readonly initial?: LineValue;
}

/** A PWM output as declared (`[[gpio.pwm]]`): `chip`/`line` for software PWM or `pwmchip`/`channel`. */
export interface PwmSpec {
  readonly name: string;
  readonly chip?: string;
  readonly line?: number;
  readonly pwmchip?: number;
  readonly channel?: number;
  readonly activeLow?: boolean;
  readonly periodMs: number;
  readonly duty: number;
}

/** An input as declared (`[[gpio.input]]`). */
export interface InputSpec {
  readonly name: string;
  readonly chip: string;
  readonly line: number;
  readonly activeLow?: boolean;
  readonly bias?: Bias;
  readonly edge?: Edge;
  readonly debounceMs?: number;
  readonly scanIntervalMs?: number;
}

/** Every declared line. */
export interface LinesSpec {
  readonly outputs?: readonly OutputSpec[];
  readonly pwms?: readonly PwmSpec[];
  readonly inputs?: readonly InputSpec[];
}

/** An input's value changed. */
export interface InputChange {
  readonly name: string;
  readonly value: LineValue;
  /** "rising"/"falling" from edge events, "scan" when polling saw the change, "initial" for the first reading. */
  readonly cause: "rising" | "falling" | "scan" | "initial";
  readonly timestampNs: bigint;
}

/**
 * Picks a driver: `cdev` when `/dev/gpiochip*` exist (auto), else `sysfs`.
 * @param choice "auto" | "cdev" | "sysfs"
 */
export async function selectDriver(choice: "auto" | "cdev" | "sysfs", options: { devDir?: string; sysfsRoot?: string } = {}): Promise<GpioDriver> {
  const devDir = options.devDir ?? "/dev";
  const root = options.sysfsRoot ?? "/sys";
  const cdev = () => new CdevGpio({ devDir });
  const sysfs = () => new SysfsGpio({ root });
  if (choice === "cdev") return cdev();
  if (choice === "sysfs") return sysfs();
  if ((await readdir(devDir).catch(() => [] as string[])).some(isChipName)) return cdev();
  const hasSysfs = await access(join(root, "class", "gpio")).then(() => true, () => false);
  return hasSysfs ? sysfs() : cdev();
}

/** Options of {@link openLines}. */
export interface OpenLinesOptions {
  /** Consumer label. @default "disco" */
  readonly consumer?: string;
  /** For hardware PWM. @default "/sys" */
  readonly sysfsRoot?: string;
  /** Scan interval for inputs declared with neither edge nor scan_interval. @default 1000 */
  readonly defaultScanIntervalMs?: number;
}

/** Opened lines, by their declared name. Release them all with `close()` or `await using`. */
export class GpioLines implements AsyncDisposable {
  /** The outputs that opened. */
  readonly outputs = new Map<string, LineHandle>();
  /** The inputs that opened, with their declaration. */
  readonly inputs = new Map<string, { handle: LineHandle; spec: InputSpec }>();
  /** The PWM outputs that started (hardware or software). */
  readonly pwms = new Map<string, PwmOutput>();
  /** Lines that could not be opened, with why. */
  readonly failures: { name: string; error: GpioError }[] = [];
  readonly #pwmHandles: LineHandle[] = [];
  readonly #defaultScanMs: number;

  /** @param defaultScanMs how often inputs without `edge` or their own scan interval are read */
  constructor(defaultScanMs: number) {
    this.#defaultScanMs = defaultScanMs;
  }

  /** @internal the output line under a software PWM, released after the PWM stops */
  addPwmHandle(h: LineHandle): void {
    this.#pwmHandles.push(h);
  }

  /**
   * Every change of every input: edge events where the input has `edge`, else polling at its scan interval.
   * Starts with one "initial" change per input.
   */
  changes(signal?: AbortSignal): AsyncIterable<InputChange> {
    const q = new AsyncQueue<InputChange>({ overflow: "drop-oldest" });
    const tasks: Promise<void>[] = [];
    const inner = new AbortController();
    const sig = signal ? AbortSignal.any([signal, inner.signal]) : inner.signal;
    for (const [name, { handle, spec }] of this.inputs) {
      tasks.push(watchOne(name, handle, spec.scanIntervalMs ?? this.#defaultScanMs, q, sig).catch(() => undefined));
    }
    void Promise.all(tasks).then(() => q.close());
    return {
      [Symbol.asyncIterator]: () => {
        const it = q.iterate(sig);
        return {
          next: () => it.next(),
          return: async () => {
            inner.abort();
            q.close();
            return { value: undefined, done: true };
          },
        };
      },
    };
  }

  /** Stops every PWM output and releases every line (idempotent). */
  async close(): Promise<void> {
    for (const p of this.pwms.values()) await p.close();
    for (const h of this.#pwmHandles) await h.close();
    for (const h of this.outputs.values()) await h.close();
    for (const { handle } of this.inputs.values()) await handle.close();
    this.pwms.clear();
    this.outputs.clear();
    this.inputs.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function watchOne(name: string, h: LineHandle, scanMs: number, q: AsyncQueue<InputChange>, signal: AbortSignal): Promise<void> {
  const events = hasEdgeDetection(h.settings) ? h.events(signal) : undefined; // subscribe before the first read: no edge is lost
  let last = await h.read();
  q.push({ name, value: last, cause: "initial", timestampNs: monotonicNs() });
  if (events) {
    for await (const e of events) {
      q.push({ name, value: e.value, cause: e.type, timestampNs: e.timestampNs });
    }
    return;
  }
  await new Promise<void>((resolve) => {
    const stopSampling = sampleEvery(scanMs, () => {
      const v = h.readNow();
      if (v === last || signal.aborted) return;
      last = v;
      q.push({ name, value: v, cause: "scan", timestampNs: monotonicNs() });
    });
    const stop = () => {
      stopSampling();
      resolve();
    };
    if (signal.aborted) stop();
    else signal.addEventListener("abort", stop, { once: true });
  });
}

/**
 * Opens every declared line; a line that fails is listed in `failures` and the others still open.
 * @example
 * await using lines = await openLines(driver, { inputs: [{ name: "door", chip: "gpiochip0", line: 22, edge: "both" }] });
 * for await (const c of lines.changes(signal)) console.log(c.name, c.value);
 */
export async function openLines(driver: GpioDriver, spec: LinesSpec, options: OpenLinesOptions = {}): Promise<GpioLines> {
  const consumer = options.consumer ?? "disco";
  const lines = new GpioLines(options.defaultScanIntervalMs ?? 1000);
  const attempt = async (name: string, open: () => Promise<void>) => {
    try {
      await open();
    } catch (err) {
      lines.failures.push({ name, error: err instanceof GpioError ? err : new GpioError(String(err), { cause: err }) });
    }
  };
  for (const o of spec.outputs ?? []) {
    await attempt(o.name, async () => {
      const settings = { direction: "output", activeLow: o.activeLow ?? false, drive: o.drive ?? "push-pull", initial: o.initial ?? 0, consumer } as const;
      lines.outputs.set(o.name, await driver.request(o.chip, o.line, settings));
    });
  }
  for (const p of spec.pwms ?? []) {
    await attempt(p.name, async () => {
      if (p.pwmchip !== undefined && p.channel !== undefined) {
        lines.pwms.set(p.name, await openHardwarePwm(p.pwmchip, p.channel, { root: options.sysfsRoot, periodMs: p.periodMs, duty: p.duty }));
      } else if (p.chip !== undefined && p.line !== undefined) {
        const h = await driver.request(p.chip, p.line, { direction: "output", activeLow: p.activeLow ?? false, initial: 0, consumer });
        lines.addPwmHandle(h);
        lines.pwms.set(p.name, startSoftPwm(h, { periodMs: p.periodMs, duty: p.duty }));
      }
    });
  }
  for (const i of spec.inputs ?? []) {
    await attempt(i.name, async () => {
      const edge = i.edge ?? "none";
      const h = await driver.request(i.chip, i.line, {
        direction: "input",
        activeLow: i.activeLow ?? false,
        bias: i.bias ?? "as-is",
        edge,
        ...(edge !== "none" && i.debounceMs ? { debounceMs: i.debounceMs } : {}),
        consumer,
      });
      lines.inputs.set(i.name, { handle: h, spec: i });
    });
  }
  return lines;
}

/** A declared line whose chip does not exist on this system. */
export interface MissingChip {
  readonly name: string;
  readonly chip: string;
  /** The chips that do exist. */
  readonly available: readonly string[];
}

/**
 * Checks the declared lines' chips against the system (the config cannot know them), by name or label.
 * @returns one entry per declared line whose chip is missing (empty when all exist)
 */
export async function findMissingChips(driver: GpioDriver, spec: LinesSpec): Promise<MissingChip[]> {
  const chips = await driver.chips();
  const known = new Set(chips.flatMap((c) => [c.name, c.label]));
  const available = chips.map((c) => c.name);
  const declared = [...(spec.outputs ?? []), ...(spec.inputs ?? []), ...(spec.pwms ?? [])];
  return declared.flatMap((x) => (x.chip !== undefined && !known.has(x.chip) ? [{ name: x.name, chip: x.chip, available }] : []));
}
