/**
 * The one driver interface every GPIO backend implements (cdev, sysfs, fake), and the values it uses.
 */

/** 0 (inactive) or 1 (active); with `activeLow` the physical level is the inverse. */
export type LineValue = 0 | 1;
/** Whether the line is read or driven. */
export type Direction = "input" | "output";
/** The pull resistor: left as the board set it, pull-up, pull-down, or none. */
export type Bias = "as-is" | "pull-up" | "pull-down" | "disabled";
/** How an output drives: both levels, only low (open drain) or only high (open source). */
export type Drive = "push-pull" | "open-drain" | "open-source";
/** Which changes of an input produce edge events. */
export type Edge = "none" | "rising" | "falling" | "both";

/** How to request a line. */
export interface LineSettings {
  readonly direction: Direction;
  /** @default false */
  readonly activeLow?: boolean;
  /** @default "as-is" */
  readonly bias?: Bias;
  /** Outputs only. @default "push-pull" */
  readonly drive?: Drive;
  /** Inputs only: which edges produce events. @default "none" */
  readonly edge?: Edge;
  /** Inputs with edges only: a level must hold this long before an edge is reported. @default 0 */
  readonly debounceMs?: number;
  /** Outputs only: the value set at request time. @default 0 */
  readonly initial?: LineValue;
  /** Consumer label the kernel shows (cdev; at most 31 bytes). @default "disco" */
  readonly consumer?: string;
  /**
   * Outputs only, sysfs only: `close()` leaves the line exported, so it keeps driving its value after the
   * process exits (`disco gpio set --exit`). The cdev driver refuses it: the kernel releases a cdev line
   * together with its file. @default false
   */
  readonly keepAfterClose?: boolean;
}

/** An edge seen on an input. */
export interface EdgeEvent {
  readonly type: "rising" | "falling";
  readonly chip: string;
  readonly line: number;
  /** The logical value after the edge (1 after rising). */
  readonly value: LineValue;
  /** Kernel CLOCK_MONOTONIC timestamp (cdev) or the driver's monotonic clock when it scans (sysfs, fake). */
  readonly timestampNs: bigint;
  /** Event number on this line, from 1. */
  readonly seqno: number;
}

/** A chip as the system describes it. */
export interface ChipInfo {
  /** Kernel name, e.g. `gpiochip0`. */
  readonly name: string;
  /** Functional label, e.g. `pinctrl-bcm2711`. */
  readonly label: string;
  readonly lines: number;
}

/** A line as the system describes it. */
export interface LineInfo {
  readonly chip: string;
  readonly line: number;
  /** Name given by the board or driver; empty when none. */
  readonly name: string;
  /** Who holds it; empty when free (or unnamed). */
  readonly consumer: string;
  readonly used: boolean;
  readonly direction: Direction;
  readonly activeLow: boolean;
  readonly bias: Bias;
  readonly drive: Drive;
  readonly edge: Edge;
  /** Kernel debounce in microseconds, when set. */
  readonly debounceUs?: number;
}

/** A requested line. Release with `close()` or `await using`. */
export interface LineHandle extends AsyncDisposable {
  readonly chip: string;
  readonly line: number;
  readonly settings: Readonly<LineSettings>;
  /** Reads the logical value. @throws {GpioError} after release or on an I/O error */
  read(): Promise<LineValue>;
  /**
   * Reads the logical value at once: every driver's read is one non-blocking syscall (an ioctl, a pread of
   * a sysfs attribute). What the input scanners call on every tick.
   * @throws {GpioError} after release or on an I/O error
   */
  readNow(): LineValue;
  /** Drives an output. @throws {GpioValueError} on an input or a value other than 0/1 */
  write(value: LineValue): Promise<void>;
  /**
   * Edge events, as they happen (debounced when `debounceMs` was set). Ends when the handle is released
   * or `signal` aborts; `break` stops only this iteration.
   * @throws {GpioValueError} when the line was requested without `edge`
   */
  events(signal?: AbortSignal): AsyncIterable<EdgeEvent>;
  /** Releases the line (idempotent). */
  close(): Promise<void>;
}

/** A GPIO backend. */
export interface GpioDriver extends AsyncDisposable {
  readonly kind: "cdev" | "sysfs" | "fake";
  /** Every chip on the system, sorted by name. */
  chips(): Promise<ChipInfo[]>;
  /** @throws {ChipNotFoundError} */
  chip(chip: string): Promise<ChipInfo>;
  /** @throws {ChipNotFoundError} @throws {LineNotFoundError} */
  lineInfo(chip: string, line: number): Promise<LineInfo>;
  /**
   * Requests one line.
   * @throws {ChipNotFoundError} @throws {LineNotFoundError} @throws {LineBusyError}
   * @throws {GpioPermissionError} @throws {GpioValueError} on settings the line or driver cannot take
   */
  request(chip: string, line: number, settings: LineSettings): Promise<LineHandle>;
  /** Releases every line this driver requested and frees its resources (idempotent). */
  close(): Promise<void>;
}

/**
 * Checks settings that no driver accepts (edge on an output, debounce without edge, initial on an input).
 * @returns what is wrong, or undefined when the settings are consistent (drivers turn it into a GpioValueError)
 */
export function describeSettingsProblem(s: LineSettings): string | undefined {
  if (s.direction === "output") {
    if (s.edge && s.edge !== "none") return "edge detection needs an input";
    if (s.debounceMs) return "debounce needs an input";
  } else {
    if (s.initial !== undefined) return "initial is for outputs";
    if (s.keepAfterClose) return "keepAfterClose is for outputs";
    if (s.drive && s.drive !== "push-pull") return "drive is for outputs";
    if (s.debounceMs && (!s.edge || s.edge === "none")) return "debounce needs edge detection";
  }
  if (s.debounceMs !== undefined && (!Number.isFinite(s.debounceMs) || s.debounceMs < 0)) return "debounceMs must be >= 0";
  return undefined;
}
