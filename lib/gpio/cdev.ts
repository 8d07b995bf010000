/**
 * The GPIO character device driver: `/dev/gpiochipN` through the uAPI v2 ioctls, called with `bun:ffi` on
 * libc's `ioctl`. Edge events are read from each request fd by one worker thread per driver that waits in
 * `poll(2)`, so the event loop never blocks; timestamps are the kernel's (CLOCK_MONOTONIC).
 */
import { closeSync, constants, openSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Subscribers } from "./_queue.ts";
import { ioctl } from "./_libc.ts";
import { EventPump } from "./_pump.ts";
import {
  ChipNotFoundError,
  GpioError,
  GpioPermissionError,
  GpioValueError,
  LineBusyError,
  LineNotFoundError,
  LineReleasedError,
} from "./errors.ts";
import { describeLineInfo, requestForSettings } from "./line-config.ts";
import {
  decodeChipInfo,
  decodeLineEvent,
  decodeLineInfo,
  decodeLineValues,
  encodeLineInfoQuery,
  encodeLineRequest,
  encodeLineValues,
  GPIO_GET_CHIPINFO_IOCTL,
  GPIO_V2_GET_LINE_IOCTL,
  GPIO_V2_GET_LINEINFO_IOCTL,
  GPIO_V2_LINE_EVENT_RISING_EDGE,
  GPIO_V2_LINE_GET_VALUES_IOCTL,
  GPIO_V2_LINE_SET_VALUES_IOCTL,
  GPIOCHIP_INFO_SIZE,
  requestFd,
} from "./uapi.ts";
import { describeSettingsProblem, type ChipInfo, type EdgeEvent, type GpioDriver, type LineHandle, type LineInfo, type LineSettings, type LineValue } from "./types.ts";

/** Options of {@link CdevGpio}. */
export interface CdevGpioOptions {
  /** Where the `gpiochipN` device nodes are. @default "/dev" */
  readonly devDir?: string;
}

/** The character device driver. */
export class CdevGpio implements GpioDriver {
  readonly kind = "cdev" as const;
  readonly #devDir: string;
  readonly #pump = new EventPump();
  readonly #held = new Set<CdevLine>();
  #closed = false;

  constructor(options: CdevGpioOptions = {}) {
    this.#devDir = options.devDir ?? "/dev";
  }

  #names(): string[] {
    try {
      return readdirSync(this.#devDir)
        .filter((n) => /^gpiochip\d+$/.test(n))
        .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
    } catch {
      return [];
    }
  }

  /** Opens a chip by name (or label), runs `fn` with its fd, closes it. */
  #withChip<T>(chip: string, fn: (fd: number, name: string) => T): T {
    let name = chip;
    if (!/^gpiochip\d+$/.test(chip)) {
      const byLabel = this.#names().find((n) => {
        try {
          return this.#info(n).label === chip;
        } catch {
          return false;
        }
      });
      if (!byLabel) throw new ChipNotFoundError(chip, this.#names());
      name = byLabel;
    }
    const path = join(this.#devDir, name);
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | 0o2000000 /* O_CLOEXEC */);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENODEV") throw new ChipNotFoundError(chip, this.#names(), { cause: err });
      if (code === "EACCES" || code === "EPERM") throw new GpioPermissionError(path, { chip: name, errno: code, cause: err });
      throw new GpioError(`cannot open ${path}: ${code}`, { chip: name, errno: code, cause: err });
    }
    try {
      return fn(fd, name);
    } finally {
      closeSync(fd);
    }
  }

  #info(name: string): ChipInfo {
    return this.#withChip(name, (fd) => {
      const buf = new Uint8Array(GPIOCHIP_INFO_SIZE);
      const r = ioctl(fd, GPIO_GET_CHIPINFO_IOCTL, buf);
      if (typeof r === "string") throw new GpioError(`${name}: GPIO_GET_CHIPINFO_IOCTL failed (${r})`, { chip: name, errno: r });
      return decodeChipInfo(buf).value;
    });
  }

  #lineInfoFd(fd: number, name: string, line: number): LineInfo {
    const buf = encodeLineInfoQuery(line);
    const r = ioctl(fd, GPIO_V2_GET_LINEINFO_IOCTL, buf);
    if (typeof r === "string") {
      if (r === "EINVAL") throw new LineNotFoundError(name, line, this.#info(name).lines);
      if (r === "ENOTTY") throw new GpioError(`${name}: the kernel does not support GPIO uAPI v2 (Linux 5.10+ needed; use driver = "sysfs")`, { chip: name, line, errno: r });
      throw new GpioError(`${name} line ${line}: GPIO_V2_GET_LINEINFO_IOCTL failed (${r})`, { chip: name, line, errno: r });
    }
    return describeLineInfo(name, decodeLineInfo(buf).value);
  }

  async chips(): Promise<ChipInfo[]> {
    return this.#names().map((n) => this.#info(n));
  }

  async chip(chip: string): Promise<ChipInfo> {
    return this.#withChip(chip, (_fd, name) => this.#info(name));
  }

  async lineInfo(chip: string, line: number): Promise<LineInfo> {
    return this.#withChip(chip, (fd, name) => {
      const lines = this.#info(name).lines;
      if (!Number.isInteger(line) || line < 0 || line >= lines) throw new LineNotFoundError(name, line, lines);
      return this.#lineInfoFd(fd, name, line);
    });
  }

  async request(chip: string, line: number, settings: LineSettings): Promise<LineHandle> {
    if (this.#closed) throw new GpioError("the cdev driver was closed");
    const problem = describeSettingsProblem(settings);
    if (problem) throw new GpioValueError(`${chip} line ${line}: ${problem}`, { chip, line });
    const { fd, name } = this.#withChip(chip, (chipFd, name) => {
      const lines = this.#info(name).lines;
      if (!Number.isInteger(line) || line < 0 || line >= lines) throw new LineNotFoundError(name, line, lines);
      let buf: Uint8Array;
      try {
        buf = encodeLineRequest(requestForSettings(line, settings));
      } catch (err) {
        throw new GpioValueError(`${name} line ${line}: ${(err as Error).message}`, { chip: name, line, cause: err });
      }
      const r = ioctl(chipFd, GPIO_V2_GET_LINE_IOCTL, buf);
      if (typeof r === "string") {
        if (r === "EBUSY") {
          let consumer: string | undefined;
          try {
            consumer = this.#lineInfoFd(chipFd, name, line).consumer || undefined;
          } catch {
            // the consumer is only a hint
          }
          throw new LineBusyError(name, line, consumer);
        }
        if (r === "EPERM" || r === "EACCES") throw new GpioPermissionError(join(this.#devDir, name), { chip: name, line, errno: r });
        if (r === "ENOTTY") throw new GpioError(`${name}: the kernel does not support GPIO uAPI v2 (Linux 5.10+ needed; use driver = "sysfs")`, { chip: name, line, errno: r });
        if (r === "EINVAL" || r === "EOPNOTSUPP" || r === "ENOTSUPP") {
          throw new GpioValueError(`${name} line ${line}: the chip rejected these settings (${r}): ${JSON.stringify(settings)}`, { chip: name, line, errno: r });
        }
        throw new GpioError(`${name} line ${line}: GPIO_V2_GET_LINE_IOCTL failed (${r})`, { chip: name, line, errno: r });
      }
      return { fd: requestFd(buf), name };
    });
    const h = new CdevLine(name, line, settings, fd, this.#pump, () => this.#held.delete(h));
    this.#held.add(h);
    return h;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const h of [...this.#held]) await h.close();
    await this.#pump.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

class CdevLine implements LineHandle {
  readonly chip: string;
  readonly line: number;
  readonly settings: Readonly<LineSettings>;
  readonly #fd: number;
  readonly #pump: EventPump;
  readonly #onRelease: () => void;
  readonly #subs = new Subscribers<EdgeEvent>();
  readonly #edges: boolean;
  #pending = new Uint8Array(0);
  #released = false;

  constructor(chip: string, line: number, settings: LineSettings, fd: number, pump: EventPump, onRelease: () => void) {
    this.chip = chip;
    this.line = line;
    this.settings = { ...settings };
    this.#fd = fd;
    this.#pump = pump;
    this.#onRelease = onRelease;
    this.#edges = settings.direction === "input" && !!settings.edge && settings.edge !== "none";
    if (this.#edges) pump.add(fd, (bytes) => this.#onBytes(bytes));
  }

  #onBytes(bytes: Uint8Array | undefined): void {
    if (!bytes) return this.#subs.close();
    const all = new Uint8Array(this.#pending.length + bytes.length);
    all.set(this.#pending);
    all.set(bytes, this.#pending.length);
    let at = 0;
    for (;;) {
      let r;
      try {
        r = decodeLineEvent(all, at);
      } catch {
        at += 48; // a struct with an unknown id: skip it, keep the stream aligned
        continue;
      }
      if (!r) break;
      at = r.next;
      const rising = r.value.id === GPIO_V2_LINE_EVENT_RISING_EDGE;
      this.#subs.emit({
        type: rising ? "rising" : "falling",
        chip: this.chip,
        line: this.line,
        value: rising ? 1 : 0,
        timestampNs: r.value.timestampNs,
        seqno: r.value.lineSeqno,
      });
    }
    this.#pending = all.slice(at);
  }

  #check(): void {
    if (this.#released) throw new LineReleasedError(this.chip, this.line);
  }

  async read(): Promise<LineValue> {
    this.#check();
    const buf = encodeLineValues({ bits: 0n, mask: 1n });
    const r = ioctl(this.#fd, GPIO_V2_LINE_GET_VALUES_IOCTL, buf);
    if (typeof r === "string") throw new GpioError(`${this.chip} line ${this.line}: reading failed (${r})`, { chip: this.chip, line: this.line, errno: r });
    return (decodeLineValues(buf).value.bits & 1n) === 1n ? 1 : 0;
  }

  async write(value: LineValue): Promise<void> {
    this.#check();
    if (this.settings.direction !== "output") throw new GpioValueError(`${this.chip} line ${this.line} is an input; it cannot be set`, { chip: this.chip, line: this.line });
    if (value !== 0 && value !== 1) throw new GpioValueError(`value must be 0 or 1, got ${String(value)}`, { chip: this.chip, line: this.line });
    this.writeSync(value);
  }

  /** Sets the value without a promise (software PWM's hot path). */
  writeSync(value: LineValue): void {
    const r = ioctl(this.#fd, GPIO_V2_LINE_SET_VALUES_IOCTL, encodeLineValues({ bits: BigInt(value), mask: 1n }));
    if (typeof r === "string") throw new GpioError(`${this.chip} line ${this.line}: setting failed (${r})`, { chip: this.chip, line: this.line, errno: r });
  }

  events(signal?: AbortSignal): AsyncIterable<EdgeEvent> {
    if (!this.#edges) throw new GpioValueError(`${this.chip} line ${this.line} was requested without edge detection`, { chip: this.chip, line: this.line });
    return this.#subs.subscribe(signal);
  }

  async close(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#subs.close();
    if (this.#edges) await this.#pump.remove(this.#fd);
    closeSync(this.#fd);
    this.#onRelease();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
