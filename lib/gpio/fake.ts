/**
 * An in-memory GPIO driver for contract tests and for running disco without hardware. It simulates what
 * gpio-sim does: inputs follow a settable pull, outputs drive the line, and a released line falls back to its
 * pull.
 */
import { Subscribers } from "./_queue.ts";
import { Debouncer } from "./debounce.ts";
import { monotonicNs } from "./_clock.ts";
import { ChipNotFoundError, GpioValueError, LineBusyError, LineNotFoundError, LineReleasedError } from "./errors.ts";
import { describeSettingsProblem, type ChipInfo, type EdgeEvent, type GpioDriver, type LineHandle, type LineInfo, type LineSettings, type LineValue } from "./types.ts";

/** A simulated chip. */
export interface FakeChipOptions {
  readonly name: string;
  /** @default "fake" */
  readonly label?: string;
  readonly lines: number;
  /** Line names by offset. */
  readonly names?: readonly string[];
}

/** Options of {@link FakeGpio}. */
export interface FakeGpioOptions {
  /** @default one chip `gpiochip0` with 8 lines */
  readonly chips?: readonly FakeChipOptions[];
  /** Monotonic clock in nanoseconds. @default CLOCK_MONOTONIC ({@link monotonicNs}) */
  readonly nowNs?: () => bigint;
}

interface SimLine {
  pull: LineValue;
  /** Physical level while driven as an output. */
  driven?: LineValue;
  holder?: FakeLine;
}

/** The fake driver; {@link FakeGpio.setPull} and {@link FakeGpio.physical} play the outside world. */
export class FakeGpio implements GpioDriver {
  readonly kind = "fake" as const;
  readonly #chips: Map<string, { info: ChipInfo; names: readonly string[]; lines: SimLine[] }>;
  readonly nowNs: () => bigint;
  #closed = false;

  constructor(options: FakeGpioOptions = {}) {
    const chips = options.chips ?? [{ name: "gpiochip0", lines: 8 }];
    this.#chips = new Map(
      chips.map((c) => [
        c.name,
        {
          info: { name: c.name, label: c.label ?? "fake", lines: c.lines },
          names: c.names ?? [],
          lines: Array.from({ length: c.lines }, () => ({ pull: 0 as LineValue })),
        },
      ]),
    );
    this.nowNs = options.nowNs ?? monotonicNs;
  }

  #chip(chip: string) {
    const c = this.#chips.get(chip);
    if (!c) throw new ChipNotFoundError(chip, [...this.#chips.keys()].sort());
    return c;
  }

  #line(chip: string, line: number): SimLine {
    const c = this.#chip(chip);
    const l = c.lines[line];
    if (!Number.isInteger(line) || !l) throw new LineNotFoundError(chip, line, c.info.lines);
    return l;
  }

  async chips(): Promise<ChipInfo[]> {
    return [...this.#chips.values()].map((c) => c.info).sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  }

  async chip(chip: string): Promise<ChipInfo> {
    return this.#chip(chip).info;
  }

  async lineInfo(chip: string, line: number): Promise<LineInfo> {
    const l = this.#line(chip, line);
    const s = l.holder?.settings;
    return {
      chip,
      line,
      name: this.#chip(chip).names[line] ?? "",
      consumer: s ? (s.consumer ?? "disco") : "",
      used: !!s,
      direction: s?.direction ?? "input",
      activeLow: s?.activeLow ?? false,
      bias: s?.bias ?? "as-is",
      drive: s?.drive ?? "push-pull",
      edge: s?.edge ?? "none",
      ...(s?.debounceMs ? { debounceUs: Math.round(s.debounceMs * 1000) } : {}),
    };
  }

  async request(chip: string, line: number, settings: LineSettings): Promise<LineHandle> {
    const l = this.#line(chip, line);
    const problem = describeSettingsProblem(settings);
    if (problem) throw new GpioValueError(`${chip} line ${line}: ${problem}`, { chip, line });
    if (l.holder) throw new LineBusyError(chip, line, l.holder.settings.consumer ?? "disco");
    if (settings.bias === "pull-up") l.pull = 1;
    else if (settings.bias === "pull-down") l.pull = 0;
    const h = new FakeLine(this, chip, line, settings, l);
    l.holder = h;
    return h;
  }

  /**
   * Sets the level the outside world pulls a line to (like gpio-sim's `pull`); inputs see it and report edges.
   * @throws {ChipNotFoundError} @throws {LineNotFoundError}
   */
  setPull(chip: string, line: number, level: LineValue): void {
    const l = this.#line(chip, line);
    l.pull = level;
    l.holder?.onLevel();
  }

  /** The physical level of a line: what an output drives, else its pull. */
  physical(chip: string, line: number): LineValue {
    const l = this.#line(chip, line);
    return l.driven ?? l.pull;
  }

  /** @internal releases a line's simulation state */
  releaseLine(l: SimLine): void {
    l.holder = undefined;
    l.driven = undefined;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#chips.values()) for (const l of c.lines) await l.holder?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

class FakeLine implements LineHandle {
  readonly chip: string;
  readonly line: number;
  readonly settings: Readonly<LineSettings>;
  readonly #driver: FakeGpio;
  readonly #sim: SimLine;
  readonly #subs = new Subscribers<EdgeEvent>();
  #debouncer?: Debouncer;
  #timer?: ReturnType<typeof setTimeout>;
  #seqno = 0;
  #released = false;

  constructor(driver: FakeGpio, chip: string, line: number, settings: LineSettings, sim: SimLine) {
    this.#driver = driver;
    this.chip = chip;
    this.line = line;
    this.settings = { ...settings };
    this.#sim = sim;
    if (settings.direction === "output") {
      const v = settings.initial ?? 0;
      sim.driven = (settings.activeLow ? 1 - v : v) as LineValue;
    } else if (settings.edge && settings.edge !== "none") {
      this.#debouncer = new Debouncer(this.#logical(), BigInt(Math.round((settings.debounceMs ?? 0) * 1e6)), settings.edge);
    }
  }

  #logical(): LineValue {
    const p = this.#sim.driven ?? this.#sim.pull;
    return (this.settings.activeLow ? 1 - p : p) as LineValue;
  }

  /** @internal the simulated level changed */
  onLevel(): void {
    const d = this.#debouncer;
    if (!d || this.#released) return;
    const change = d.sample(this.#logical(), this.#driver.nowNs());
    if (change) this.#emit(change.type, change.value);
    clearTimeout(this.#timer);
    const until = d.pendingUntilNs;
    if (until !== undefined) {
      const ms = Number(until - this.#driver.nowNs()) / 1e6;
      this.#timer = setTimeout(() => this.onLevel(), Math.max(0, Math.ceil(ms)));
    }
  }

  #emit(type: "rising" | "falling", value: LineValue): void {
    this.#subs.emit({ type, chip: this.chip, line: this.line, value, timestampNs: this.#driver.nowNs(), seqno: ++this.#seqno });
  }

  async read(): Promise<LineValue> {
    if (this.#released) throw new LineReleasedError(this.chip, this.line);
    return this.#logical();
  }

  async write(value: LineValue): Promise<void> {
    if (this.#released) throw new LineReleasedError(this.chip, this.line);
    if (this.settings.direction !== "output") throw new GpioValueError(`${this.chip} line ${this.line} is an input; it cannot be set`, { chip: this.chip, line: this.line });
    if (value !== 0 && value !== 1) throw new GpioValueError(`value must be 0 or 1, got ${String(value)}`, { chip: this.chip, line: this.line });
    this.#sim.driven = (this.settings.activeLow ? 1 - value : value) as LineValue;
  }

  events(signal?: AbortSignal): AsyncIterable<EdgeEvent> {
    if (!this.#debouncer) throw new GpioValueError(`${this.chip} line ${this.line} was requested without edge detection`, { chip: this.chip, line: this.line });
    return this.#subs.subscribe(signal);
  }

  async close(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearTimeout(this.#timer);
    this.#subs.close();
    this.#driver.releaseLine(this.#sim);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

