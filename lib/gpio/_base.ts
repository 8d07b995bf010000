/**
 * What the cdev, sysfs and fake drivers share: the request checks, the bookkeeping of held lines, and a line
 * handle base class with the released state, the write/edge checks, event fan-out and an idempotent close.
 * Each driver only adds its I/O.
 */
import { Subscribers } from "../async/index.ts";
import { compareNatural } from "../text/index.ts";
import { GpioError, GpioValueError, LineNotFoundError, LineReleasedError } from "./errors.ts";
import { describeSettingsProblem, type ChipInfo, type EdgeEvent, type GpioDriver, type LineHandle, type LineInfo, type LineSettings, type LineValue } from "./types.ts";

const CHIP_NAME = /^gpiochip\d+$/;

/** Whether `name` is a kernel chip name (`gpiochip0`, as in /dev), as opposed to a label. */
export function isChipName(name: string): boolean {
  return CHIP_NAME.test(name);
}

/** Orders chip names as a person would (`gpiochip2` before `gpiochip10`), without loading ICU (lib/text). */
export function compareChipNames(a: string, b: string): number {
  return compareNatural(a, b);
}

/** Whether settings ask for edge events (an input with `edge` other than "none"). */
export function hasEdgeDetection(s: LineSettings): boolean {
  return s.direction === "input" && !!s.edge && s.edge !== "none";
}

/**
 * Calls `sample` every `intervalMs` on one interval timer (not an abortable sleep per sample, which cost an
 * idle daemon about 0.3 ms of CPU a turn). `sample` is synchronous: every driver reads a line with one
 * non-blocking syscall, and a chain of promises per tick was a measurable part of a scanned input's cost
 * (bench/daemon.bench.ts part 1). A sample that throws is dropped; the next tick tries again.
 * @returns stops the timer
 */
export function sampleEvery(intervalMs: number, sample: () => void): () => void {
  const timer = setInterval(() => {
    try {
      sample();
    } catch {
      // an I/O error on one read: the line is read again at the next tick
    }
  }, intervalMs);
  return () => clearInterval(timer);
}

/** @throws {LineNotFoundError} when `line` is not an offset on a chip of `lines` lines */
export function requireLine(chip: string, line: number, lines: number): void {
  if (!Number.isInteger(line) || line < 0 || line >= lines) throw new LineNotFoundError(chip, line, lines);
}

/** @throws {GpioValueError} on settings no driver accepts (see {@link describeSettingsProblem}) */
export function requireValidSettings(chip: string, line: number, settings: LineSettings): void {
  const problem = describeSettingsProblem(settings);
  if (problem) throw new GpioValueError(`${chip} line ${line}: ${problem}`, { chip, line });
}

/**
 * A requested line. Subclasses implement the I/O (`readValue`, `writeValue`, `release`) and report edges with
 * `emitEdge`; this class does the checks every driver makes and the fan-out of events to subscribers.
 */
export abstract class LineBase implements LineHandle {
  readonly chip: string;
  readonly line: number;
  readonly settings: Readonly<LineSettings>;
  readonly #subs = new Subscribers<EdgeEvent>();
  readonly #onRelease: () => void;
  #released = false;
  #seqno = 0;

  /** @param onRelease called once the line is released (the driver stops tracking it) */
  constructor(chip: string, line: number, settings: LineSettings, onRelease: () => void) {
    this.chip = chip;
    this.line = line;
    this.settings = { ...settings };
    this.#onRelease = onRelease;
  }

  /** Whether `close()` was called. */
  get released(): boolean {
    return this.#released;
  }

  /** Reads the logical value (the handle is not released): one non-blocking syscall, never a wait. */
  protected abstract readValue(): LineValue;
  /** Sets the logical value of an output (checked: not released, an output, 0 or 1). */
  protected abstract writeValue(value: LineValue): Promise<void> | void;
  /** Frees what the driver holds for the line; called once, after event streams have ended. */
  protected abstract release(): Promise<void>;

  /** Delivers an edge to every subscriber; `seqno` defaults to this handle's own count from 1. */
  protected emitEdge(type: EdgeEvent["type"], value: LineValue, timestampNs: bigint, seqno = ++this.#seqno): void {
    this.#subs.emit({ type, chip: this.chip, line: this.line, value, timestampNs, seqno });
  }

  /** Ends every event stream (the event source failed). */
  protected endEvents(): void {
    this.#subs.close();
  }

  async read(): Promise<LineValue> {
    return this.readNow();
  }

  readNow(): LineValue {
    if (this.#released) throw new LineReleasedError(this.chip, this.line);
    return this.readValue();
  }

  async write(value: LineValue): Promise<void> {
    const where = { chip: this.chip, line: this.line };
    if (this.#released) throw new LineReleasedError(this.chip, this.line);
    if (this.settings.direction !== "output") throw new GpioValueError(`${this.chip} line ${this.line} is an input; it cannot be set`, where);
    if (value !== 0 && value !== 1) throw new GpioValueError(`value must be 0 or 1, got ${String(value)}`, where);
    await this.writeValue(value);
  }

  events(signal?: AbortSignal): AsyncIterable<EdgeEvent> {
    if (!hasEdgeDetection(this.settings)) {
      throw new GpioValueError(`${this.chip} line ${this.line} was requested without edge detection`, { chip: this.chip, line: this.line });
    }
    return this.#subs.subscribe(signal ? { signal } : {});
  }

  async close(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#subs.close();
    try {
      await this.release();
    } finally {
      this.#onRelease();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** A driver that tracks the lines it handed out, so `close()` releases them all. */
export abstract class DriverBase<H extends LineBase> implements GpioDriver {
  abstract readonly kind: GpioDriver["kind"];
  readonly #held = new Map<string, H>();
  #closed = false;

  abstract chips(): Promise<ChipInfo[]>;
  abstract chip(chip: string): Promise<ChipInfo>;
  abstract lineInfo(chip: string, line: number): Promise<LineInfo>;
  abstract request(chip: string, line: number, settings: LineSettings): Promise<LineHandle>;

  /** @throws {GpioError} once the driver was closed */
  protected assertOpen(): void {
    if (this.#closed) throw new GpioError(`the ${this.kind} driver was closed`);
  }

  /** The handle this driver holds on a line (by chip name), if any. */
  protected holder(chip: string, line: number): H | undefined {
    return this.#held.get(`${chip}:${line}`);
  }

  /** Tracks a handle until {@link DriverBase.untrack} (which its `onRelease` calls). */
  protected track(h: H): H {
    this.#held.set(`${h.chip}:${h.line}`, h);
    return h;
  }

  protected untrack(h: H): void {
    const key = `${h.chip}:${h.line}`;
    if (this.#held.get(key) === h) this.#held.delete(key);
  }

  /** Frees the driver's own resources after every line was released. */
  protected async shutdown(): Promise<void> {}

  /** Releases every line this driver requested, then its resources (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const h of [...this.#held.values()]) await h.close();
    await this.shutdown();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
