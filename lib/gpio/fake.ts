/**
 * An in-memory GPIO driver for contract tests and for running disco without hardware. It simulates what
 * gpio-sim does: inputs follow a settable pull, outputs drive the line, and a released line falls back to its
 * pull.
 */
import { compareChipNames, DriverBase, hasEdgeDetection, LineBase, requireLine, requireValidSettings } from "./_base.ts";
import { monotonicNs } from "./_clock.ts";
import { LevelEdges } from "./_level-edges.ts";
import { ChipNotFoundError, LineBusyError } from "./errors.ts";
import type { ChipInfo, LineHandle, LineInfo, LineSettings, LineValue } from "./types.ts";

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

/** The simulated wire of one line. */
interface SimLine {
  pull: LineValue;
  /** Physical level while driven as an output. */
  driven?: LineValue;
}

interface SimChip {
  readonly info: ChipInfo;
  readonly names: readonly string[];
  readonly lines: SimLine[];
}

/**
 * The fake driver; {@link FakeGpio.setPull} and {@link FakeGpio.physical} play the outside world.
 * @example
 * const gpio = new FakeGpio();
 * const door = await gpio.request("gpiochip0", 2, { direction: "input", edge: "both" });
 * gpio.setPull("gpiochip0", 2, 1); // door.events() yields a rising edge
 */
export class FakeGpio extends DriverBase<FakeLine> {
  readonly kind = "fake" as const;
  readonly #chips: Map<string, SimChip>;
  /** The clock edge timestamps come from. */
  readonly nowNs: () => bigint;

  constructor(options: FakeGpioOptions = {}) {
    super();
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

  /** @throws {ChipNotFoundError} */
  #chip(chip: string): SimChip {
    const c = this.#chips.get(chip);
    if (!c) throw new ChipNotFoundError(chip, [...this.#chips.keys()].sort(compareChipNames));
    return c;
  }

  /** @throws {ChipNotFoundError} @throws {LineNotFoundError} */
  #line(chip: string, line: number): SimLine {
    const c = this.#chip(chip);
    requireLine(chip, line, c.info.lines);
    return c.lines[line]!;
  }

  async chips(): Promise<ChipInfo[]> {
    return [...this.#chips.values()].map((c) => c.info).sort((a, b) => compareChipNames(a.name, b.name));
  }

  async chip(chip: string): Promise<ChipInfo> {
    return this.#chip(chip).info;
  }

  async lineInfo(chip: string, line: number): Promise<LineInfo> {
    this.#line(chip, line);
    const s = this.holder(chip, line)?.settings;
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
    this.assertOpen();
    const l = this.#line(chip, line);
    requireValidSettings(chip, line, settings);
    const held = this.holder(chip, line);
    if (held) throw new LineBusyError(chip, line, held.settings.consumer ?? "disco");
    if (settings.bias === "pull-up") l.pull = 1;
    else if (settings.bias === "pull-down") l.pull = 0;
    const h: FakeLine = this.track(
      new FakeLine(chip, line, settings, l, this.nowNs, () => {
        l.driven = undefined;
        this.untrack(h);
      }),
    );
    return h;
  }

  /**
   * Sets the level the outside world pulls a line to (like gpio-sim's `pull`); inputs see it and report edges.
   * @throws {ChipNotFoundError} @throws {LineNotFoundError}
   */
  setPull(chip: string, line: number, level: LineValue): void {
    this.#line(chip, line).pull = level;
    this.holder(chip, line)?.onLevel();
  }

  /**
   * The physical level of a line: what an output drives, else its pull.
   * @throws {ChipNotFoundError} @throws {LineNotFoundError}
   */
  physical(chip: string, line: number): LineValue {
    const l = this.#line(chip, line);
    return l.driven ?? l.pull;
  }
}

class FakeLine extends LineBase {
  readonly #sim: SimLine;
  readonly #edges?: LevelEdges;

  constructor(chip: string, line: number, settings: LineSettings, sim: SimLine, nowNs: () => bigint, onRelease: () => void) {
    super(chip, line, settings, onRelease);
    this.#sim = sim;
    if (settings.direction === "output") sim.driven = this.#physical(settings.initial ?? 0);
    else if (hasEdgeDetection(settings)) {
      this.#edges = new LevelEdges(this.readValue(), settings, {
        nowNs,
        recheck: () => this.onLevel(),
        emit: (c, timestampNs) => this.emitEdge(c.type, c.value, timestampNs),
      });
    }
  }

  /** The physical level for a logical value, or the other way round (active-low inverts both ways). */
  #physical(v: LineValue): LineValue {
    return (this.settings.activeLow ? 1 - v : v) as LineValue;
  }

  /** @internal the simulated level changed */
  onLevel(): void {
    this.#edges?.feed(this.readValue());
  }

  protected readValue(): LineValue {
    return this.#physical(this.#sim.driven ?? this.#sim.pull);
  }

  protected writeValue(value: LineValue): void {
    this.#sim.driven = this.#physical(value);
  }

  protected async release(): Promise<void> {
    this.#edges?.stop();
  }
}
