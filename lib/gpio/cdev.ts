/**
 * The GPIO character device driver: `/dev/gpiochipN` through the uAPI v2 ioctls, called with `bun:ffi` on
 * libc's `ioctl`. Edge events are read from each request fd by one worker thread per driver that waits in
 * `poll(2)`, so the event loop never blocks; timestamps are the kernel's (CLOCK_MONOTONIC).
 */
import { closeSync, constants, openSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { compareChipNames, DriverBase, hasEdgeDetection, isChipName, LineBase, requireLine, requireValidSettings } from "./_base.ts";
import { ioctl } from "./_libc.ts";
import { EventPump } from "./_pump.ts";
import { ChipNotFoundError, errnoOf, GpioError, GpioPermissionError, GpioValueError, LineBusyError, LineNotFoundError } from "./errors.ts";
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
  GPIO_V2_LINE_EVENT_SIZE,
  GPIO_V2_LINE_GET_VALUES_IOCTL,
  GPIO_V2_LINE_SET_VALUES_IOCTL,
  GPIOCHIP_INFO_SIZE,
  requestFd,
} from "./uapi.ts";
import type { ChipInfo, LineHandle, LineInfo, LineSettings, LineValue } from "./types.ts";

/** Options of {@link CdevGpio}. */
export interface CdevGpioOptions {
  /** Where the `gpiochipN` device nodes are. @default "/dev" */
  readonly devDir?: string;
}

/** An open chip: its fd and kernel name. */
interface OpenChip {
  readonly fd: number;
  readonly name: string;
}

/**
 * The character device driver.
 * @example
 * await using gpio = new CdevGpio();
 * const led = await gpio.request("gpiochip0", 17, { direction: "output" });
 * await led.write(1);
 */
export class CdevGpio extends DriverBase<CdevLine> {
  readonly kind = "cdev" as const;
  readonly #devDir: string;
  readonly #pump = new EventPump();

  constructor(options: CdevGpioOptions = {}) {
    super();
    this.#devDir = options.devDir ?? "/dev";
  }

  #names(): string[] {
    try {
      return readdirSync(this.#devDir).filter(isChipName).sort(compareChipNames);
    } catch {
      return [];
    }
  }

  /** Opens a chip by name (or label), runs `fn` with it, closes it. */
  #withChip<T>(chip: string, fn: (c: OpenChip) => T): T {
    const name = isChipName(chip) ? chip : this.#nameOfLabel(chip);
    const path = join(this.#devDir, name);
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | 0o2000000 /* O_CLOEXEC */);
    } catch (err) {
      const code = errnoOf(err);
      if (code === "ENOENT" || code === "ENODEV") throw new ChipNotFoundError(chip, this.#names(), { cause: err });
      if (code === "EACCES" || code === "EPERM") throw new GpioPermissionError(path, { chip: name, errno: code, cause: err });
      throw new GpioError(`cannot open ${path}: ${code}`, { chip: name, errno: code, cause: err });
    }
    try {
      return fn({ fd, name });
    } finally {
      closeSync(fd);
    }
  }

  /** @throws {ChipNotFoundError} when no chip has this label */
  #nameOfLabel(label: string): string {
    const names = this.#names();
    const name = names.find((n) => {
      try {
        return this.#withChip(n, (c) => this.#chipInfo(c)).label === label;
      } catch {
        return false;
      }
    });
    if (!name) throw new ChipNotFoundError(label, names);
    return name;
  }

  #chipInfo(c: OpenChip): ChipInfo {
    const buf = new Uint8Array(GPIOCHIP_INFO_SIZE);
    const r = ioctl(c.fd, GPIO_GET_CHIPINFO_IOCTL, buf);
    if (typeof r === "string") throw new GpioError(`${c.name}: GPIO_GET_CHIPINFO_IOCTL failed (${r})`, { chip: c.name, errno: r });
    return decodeChipInfo(buf).value;
  }

  /** @throws {LineNotFoundError} when the chip has no such line */
  #requireLine(c: OpenChip, line: number): void {
    requireLine(c.name, line, this.#chipInfo(c).lines);
  }

  #lineInfo(c: OpenChip, line: number): LineInfo {
    const buf = encodeLineInfoQuery(line);
    const r = ioctl(c.fd, GPIO_V2_GET_LINEINFO_IOCTL, buf);
    if (typeof r === "string") {
      if (r === "EINVAL") throw new LineNotFoundError(c.name, line, this.#chipInfo(c).lines);
      if (r === "ENOTTY") throw noUapiV2(c.name, line);
      throw new GpioError(`${c.name} line ${line}: GPIO_V2_GET_LINEINFO_IOCTL failed (${r})`, { chip: c.name, line, errno: r });
    }
    return describeLineInfo(c.name, decodeLineInfo(buf).value);
  }

  async chips(): Promise<ChipInfo[]> {
    return this.#names().map((n) => this.#withChip(n, (c) => this.#chipInfo(c)));
  }

  async chip(chip: string): Promise<ChipInfo> {
    return this.#withChip(chip, (c) => this.#chipInfo(c));
  }

  async lineInfo(chip: string, line: number): Promise<LineInfo> {
    return this.#withChip(chip, (c) => {
      this.#requireLine(c, line);
      return this.#lineInfo(c, line);
    });
  }

  async request(chip: string, line: number, settings: LineSettings): Promise<LineHandle> {
    this.assertOpen();
    requireValidSettings(chip, line, settings);
    if (settings.keepAfterClose) {
      throw new GpioValueError(`${chip} line ${line}: the gpiochip device releases a line when its process exits, so it cannot leave a value set (use the sysfs driver, or keep the process running)`, { chip, line });
    }
    const { fd, name } = this.#withChip(chip, (c) => {
      this.#requireLine(c, line);
      return { fd: this.#requestLine(c, line, settings), name: c.name };
    });
    const h: CdevLine = this.track(new CdevLine(name, line, settings, fd, this.#pump, () => this.untrack(h)));
    return h;
  }

  /** `GPIO_V2_GET_LINE_IOCTL`: @returns the line request fd */
  #requestLine(c: OpenChip, line: number, settings: LineSettings): number {
    const where = { chip: c.name, line };
    let buf: Uint8Array;
    try {
      buf = encodeLineRequest(requestForSettings(line, settings));
    } catch (err) {
      throw new GpioValueError(`${c.name} line ${line}: ${(err as Error).message}`, { ...where, cause: err });
    }
    const r = ioctl(c.fd, GPIO_V2_GET_LINE_IOCTL, buf);
    if (typeof r !== "string") return requestFd(buf);
    if (r === "EBUSY") {
      let consumer: string | undefined;
      try {
        consumer = this.#lineInfo(c, line).consumer || undefined;
      } catch {
        // the consumer is only a hint
      }
      throw new LineBusyError(c.name, line, consumer);
    }
    if (r === "EPERM" || r === "EACCES") throw new GpioPermissionError(join(this.#devDir, c.name), { ...where, errno: r });
    if (r === "ENOTTY") throw noUapiV2(c.name, line);
    if (r === "EINVAL" || r === "EOPNOTSUPP" || r === "ENOTSUPP") {
      throw new GpioValueError(`${c.name} line ${line}: the chip rejected these settings (${r}): ${JSON.stringify(settings)}`, { ...where, errno: r });
    }
    throw new GpioError(`${c.name} line ${line}: GPIO_V2_GET_LINE_IOCTL failed (${r})`, { ...where, errno: r });
  }

  protected override async shutdown(): Promise<void> {
    await this.#pump.stop();
  }
}

function noUapiV2(chip: string, line: number): GpioError {
  return new GpioError(`${chip}: the kernel does not support GPIO uAPI v2 (Linux 5.10+ needed; use driver = "sysfs")`, { chip, line, errno: "ENOTTY" });
}

class CdevLine extends LineBase {
  readonly #fd: number;
  readonly #pump: EventPump;
  #pending = new Uint8Array(0);

  constructor(chip: string, line: number, settings: LineSettings, fd: number, pump: EventPump, onRelease: () => void) {
    super(chip, line, settings, onRelease);
    this.#fd = fd;
    this.#pump = pump;
    if (hasEdgeDetection(settings)) pump.add(fd, (bytes) => this.#onBytes(bytes));
  }

  /** Decodes the `gpio_v2_line_event` structs read from the request fd (a read may end mid-struct). */
  #onBytes(bytes: Uint8Array | undefined): void {
    if (!bytes) return this.endEvents();
    const all = new Uint8Array(this.#pending.length + bytes.length);
    all.set(this.#pending);
    all.set(bytes, this.#pending.length);
    let at = 0;
    for (;;) {
      let r;
      try {
        r = decodeLineEvent(all, at);
      } catch {
        at += GPIO_V2_LINE_EVENT_SIZE; // a struct with an unknown id: skip it, keep the stream aligned
        continue;
      }
      if (!r) break;
      at = r.next;
      const rising = r.value.id === GPIO_V2_LINE_EVENT_RISING_EDGE;
      this.emitEdge(rising ? "rising" : "falling", rising ? 1 : 0, r.value.timestampNs, r.value.lineSeqno);
    }
    this.#pending = all.slice(at);
  }

  protected readValue(): LineValue {
    const buf = encodeLineValues({ bits: 0n, mask: 1n });
    const r = ioctl(this.#fd, GPIO_V2_LINE_GET_VALUES_IOCTL, buf);
    if (typeof r === "string") throw new GpioError(`${this.chip} line ${this.line}: reading failed (${r})`, { chip: this.chip, line: this.line, errno: r });
    return (decodeLineValues(buf).value.bits & 1n) === 1n ? 1 : 0;
  }

  protected writeValue(value: LineValue): void {
    this.writeSync(value);
  }

  /** Sets the value without a promise or checks (software PWM's hot path). */
  writeSync(value: LineValue): void {
    const r = ioctl(this.#fd, GPIO_V2_LINE_SET_VALUES_IOCTL, encodeLineValues({ bits: BigInt(value), mask: 1n }));
    if (typeof r === "string") throw new GpioError(`${this.chip} line ${this.line}: setting failed (${r})`, { chip: this.chip, line: this.line, errno: r });
  }

  protected async release(): Promise<void> {
    if (hasEdgeDetection(this.settings)) await this.#pump.remove(this.#fd);
    closeSync(this.#fd);
  }
}
