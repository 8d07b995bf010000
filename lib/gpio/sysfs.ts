/**
 * The sysfs GPIO driver (`/sys/class/gpio`, deprecated by the kernel but still present on many images).
 * The chip base is looked up from each `gpiochipBASE` entry's `device` link (the `gpiochipN` it belongs to)
 * and `label`, never assumed: on Raspberry Pi OS with kernel 6.6 bases start at 512+.
 * Edges: the kernel is asked for `edge = both` and the line's `value` fd is awaited for POLLPRI by a worker
 * thread (no event-loop blocking); where the line has no interrupt (the kernel refuses `edge`) or
 * `edgeWait = "scan"`, the value is scanned every `scanIntervalMs`. Either way edges are filtered and debounced
 * in software, with CLOCK_MONOTONIC timestamps taken when the change is seen.
 */
import { readdir, readFile, readlink, realpath, stat, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { closeSync, constants, openSync, readSync, statfsSync } from "node:fs";
import { compareChipNames, DriverBase, hasEdgeDetection, isChipName, LineBase, requireLine, requireValidSettings, sampleEvery } from "./_base.ts";
import { monotonicNs } from "./_clock.ts";
import { LevelEdges } from "./_level-edges.ts";
import { retryAfterExport } from "./_export.ts";
import { EventPump } from "./_pump.ts";
import { ChipNotFoundError, errnoOf, fileError, GpioError, GpioValueError, LineBusyError } from "./errors.ts";
import type { ChipInfo, Edge, LineHandle, LineInfo, LineSettings, LineValue } from "./types.ts";

/** Options of {@link SysfsGpio}. */
export interface SysfsGpioOptions {
  /** The sysfs mount point; tests pass a temp tree. @default "/sys" */
  readonly root?: string;
  /** How edge inputs learn about changes: "interrupt" (POLLPRI on `value`, scanning when refused) or "scan". @default "interrupt" */
  readonly edgeWait?: "interrupt" | "scan";
  /** How often edge-detecting inputs are sampled when scanning. @default 10 */
  readonly scanIntervalMs?: number;
  /** How long to wait for an exported line's files to appear (udev may still be fixing modes). @default 2000 */
  readonly exportTimeoutMs?: number;
}

/** `SYSFS_MAGIC` from linux/magic.h: statfs() type of a sysfs mount. */
const SYSFS_MAGIC = 0x62656572;

interface SysfsChip extends ChipInfo {
  readonly base: number;
}

const exists = (path: string): Promise<boolean> => stat(path).then(() => true, () => false);

/**
 * The `gpiochipN` (as in /dev) a sysfs `gpiochipBASE` entry belongs to: the entry's real path runs through
 * the gpio device (`.../gpiochip0/gpio/gpiochip512`), or its `device` link points at it; else at the parent
 * device, which holds the gpio device when it has only one.
 */
async function chipDeviceName(entryDir: string): Promise<string> {
  try {
    const parts = (await realpath(entryDir)).split("/");
    const own = parts.pop();
    const up = parts.reverse().find(isChipName);
    if (up && up !== own) return up;
  } catch {
    // fall through
  }
  try {
    const target = await readlink(join(entryDir, "device"));
    if (isChipName(basename(target))) return basename(target);
    const kids = (await readdir(join(entryDir, "device"))).filter(isChipName);
    if (kids.length === 1) return kids[0]!;
  } catch {
    // older kernels: no link; the chip can still be addressed by its label
  }
  return "";
}

/**
 * The sysfs driver.
 * @example
 * await using gpio = new SysfsGpio();
 * const door = await gpio.request("gpiochip0", 22, { direction: "input", edge: "both" });
 * for await (const e of door.events(signal)) console.log(e.type);
 */
export class SysfsGpio extends DriverBase<SysfsLine> {
  readonly kind = "sysfs" as const;
  readonly #classDir: string;
  readonly #scanIntervalMs: number;
  readonly #edgeWait: "interrupt" | "scan";
  readonly #pump = new EventPump();
  readonly #exportTimeoutMs: number;

  constructor(options: SysfsGpioOptions = {}) {
    super();
    this.#classDir = join(options.root ?? "/sys", "class", "gpio");
    this.#scanIntervalMs = options.scanIntervalMs ?? 10;
    this.#edgeWait = options.edgeWait ?? "interrupt";
    this.#exportTimeoutMs = options.exportTimeoutMs ?? 2000;
  }

  /** Whether POLLPRI can be awaited: asked for, and the tree is a real sysfs (a temp tree of files cannot notify). */
  #interrupts(): boolean {
    if (this.#edgeWait !== "interrupt") return false;
    try {
      return statfsSync(this.#classDir).type === SYSFS_MAGIC;
    } catch {
      return false;
    }
  }

  async #sysChips(): Promise<SysfsChip[]> {
    let entries: string[];
    try {
      entries = await readdir(this.#classDir);
    } catch (err) {
      if (errnoOf(err) === "ENOENT") return [];
      throw fileError(err, this.#classDir);
    }
    const chips: SysfsChip[] = [];
    for (const e of entries.filter(isChipName)) {
      const dir = join(this.#classDir, e);
      const base = Number((await readFile(join(dir, "base"), "utf8")).trim());
      const lines = Number((await readFile(join(dir, "ngpio"), "utf8")).trim());
      const label = (await readFile(join(dir, "label"), "utf8").catch(() => "")).trim();
      chips.push({ name: (await chipDeviceName(dir)) || label || e, label, lines, base });
    }
    return chips.sort((a, b) => compareChipNames(a.name, b.name));
  }

  /** @throws {ChipNotFoundError} */
  async #find(chip: string): Promise<SysfsChip> {
    const chips = await this.#sysChips();
    const c = chips.find((x) => x.name === chip) ?? chips.find((x) => x.label === chip);
    if (!c) throw new ChipNotFoundError(chip, chips.map((x) => x.name));
    return c;
  }

  /** The chip and the line's number in sysfs (base + offset). @throws {ChipNotFoundError} @throws {LineNotFoundError} */
  async #findLine(chip: string, line: number): Promise<{ c: SysfsChip; n: number }> {
    const c = await this.#find(chip);
    requireLine(c.name, line, c.lines);
    return { c, n: c.base + line };
  }

  async chips(): Promise<ChipInfo[]> {
    return (await this.#sysChips()).map(({ name, label, lines }) => ({ name, label, lines }));
  }

  async chip(chip: string): Promise<ChipInfo> {
    const { name, label, lines } = await this.#find(chip);
    return { name, label, lines };
  }

  async lineInfo(chip: string, line: number): Promise<LineInfo> {
    const { c, n } = await this.#findLine(chip, line);
    const dir = join(this.#classDir, `gpio${n}`);
    const info: LineInfo = { chip: c.name, line, name: "", consumer: "", used: false, direction: "input", activeLow: false, bias: "as-is", drive: "push-pull", edge: "none" };
    if (!(await exists(join(dir, "value")))) return info;
    const read = (f: string) => readFile(join(dir, f), "utf8").then((s) => s.trim(), () => "");
    const edge = await read("edge");
    return {
      ...info,
      consumer: "sysfs",
      used: true,
      direction: (await read("direction")) === "in" ? "input" : "output",
      activeLow: (await read("active_low")) === "1",
      edge: (["rising", "falling", "both"].includes(edge) ? edge : "none") as Edge,
    };
  }

  async request(chip: string, line: number, settings: LineSettings): Promise<LineHandle> {
    this.assertOpen();
    const { c, n } = await this.#findLine(chip, line);
    const where = { chip: c.name, line };
    requireValidSettings(c.name, line, settings);
    if (settings.bias && settings.bias !== "as-is") {
      throw new GpioValueError(`${c.name} line ${line}: sysfs cannot set bias '${settings.bias}' (use driver = "cdev", or set the pull in the device tree)`, where);
    }
    if (settings.drive && settings.drive !== "push-pull") {
      throw new GpioValueError(`${c.name} line ${line}: sysfs cannot set drive '${settings.drive}' (use driver = "cdev")`, where);
    }
    const held = this.holder(c.name, line);
    if (held) throw new LineBusyError(c.name, line, held.settings.consumer ?? "disco");
    const exportPath = join(this.#classDir, "export");
    try {
      await writeFile(exportPath, String(n));
    } catch (err) {
      const code = errnoOf(err);
      if (code === "EBUSY") throw new LineBusyError(c.name, line, (await exists(join(this.#classDir, `gpio${n}`))) ? "sysfs" : undefined, { cause: err });
      if (code === "ENOENT") throw new GpioError(`${exportPath} does not exist: this kernel has no sysfs GPIO (use driver = "cdev")`, { ...where, errno: code, cause: err });
      throw fileError(err, exportPath, where);
    }
    const h: SysfsLine = this.track(
      new SysfsLine(c.name, line, settings, {
        classDir: this.#classDir,
        number: n,
        scanIntervalMs: this.#scanIntervalMs,
        pump: this.#interrupts() ? this.#pump : undefined,
        onRelease: () => this.untrack(h),
      }),
    );
    try {
      await h.setup(this.#exportTimeoutMs);
    } catch (err) {
      await h.close();
      throw err instanceof GpioError ? err : fileError(err, h.dir, where);
    }
    return h;
  }

  protected override async shutdown(): Promise<void> {
    await this.#pump.stop();
  }
}

/** Where a {@link SysfsLine} lives and how it learns about edges. */
interface SysfsLineOptions {
  readonly classDir: string;
  /** The line's global number (chip base + offset). */
  readonly number: number;
  readonly scanIntervalMs: number;
  /** The poll worker, when POLLPRI can be awaited. */
  readonly pump: EventPump | undefined;
  readonly onRelease: () => void;
}

class SysfsLine extends LineBase {
  /** `<classDir>/gpio<number>` */
  readonly dir: string;
  readonly #options: SysfsLineOptions;
  #edges?: LevelEdges;
  /** Stops the scan timer (scan mode only). */
  #stopScan?: () => void;
  /** The `value` fd awaited for POLLPRI (interrupt mode). */
  #valueFd?: number;
  #scanWaiters: (() => void)[] = [];
  /** The `value` fd kept for reads (see readValue). */
  #readFd?: number;
  readonly #readBuf = new Uint8Array(16);

  constructor(chip: string, line: number, settings: LineSettings, options: SysfsLineOptions) {
    super(chip, line, settings, options.onRelease);
    this.#options = options;
    this.dir = join(options.classDir, `gpio${options.number}`);
  }

  async #write(file: string, text: string): Promise<void> {
    await writeFile(join(this.dir, file), text);
  }

  /** Waits for the exported files, then applies active_low, direction and the initial value. */
  async setup(timeoutMs: number): Promise<void> {
    await retryAfterExport(() => this.#write("active_low", this.settings.activeLow ? "1" : "0"), timeoutMs);
    const s = this.settings;
    if (s.direction === "output") {
      const v = s.initial ?? 0;
      const physical = s.activeLow ? 1 - v : v;
      // "high"/"low" set direction and the (physical) level in one step: no glitch to the wrong level.
      await this.#write("direction", physical ? "high" : "low");
      await this.#write("value", String(v));
      return;
    }
    await this.#write("direction", "in");
    if (!hasEdgeDetection(s)) return;
    // The kernel reports both edges; LevelEdges filters by the requested one and tracks the level.
    this.#edges = new LevelEdges(await this.read(), s, {
      nowNs: monotonicNs,
      recheck: () => void this.read().then((v) => this.#edges?.feed(v), () => undefined),
      emit: (c, timestampNs) => this.emitEdge(c.type, c.value, timestampNs),
    });
    const armed = await this.#write("edge", "both").then(() => true, () => false);
    const pump = this.#options.pump;
    if (armed && pump) this.#startInterrupt(pump);
    else this.#startScan();
  }

  #wakeScanWaiters(): void {
    for (const w of this.#scanWaiters.splice(0)) w();
  }

  #startInterrupt(pump: EventPump): void {
    const fd = openSync(join(this.dir, "value"), constants.O_RDONLY);
    // A first read arms sysfs poll notification for this open file.
    readSync(fd, new Uint8Array(8), 0, 8, 0);
    this.#valueFd = fd;
    pump.add(
      fd,
      (bytes) => {
        if (!bytes) return;
        this.#edges?.feed(bytes[0] === 0x30 /* "0" */ ? 0 : 1);
        this.#wakeScanWaiters();
      },
      "pri",
    );
  }

  #startScan(): void {
    this.#stopScan = sampleEvery(this.#options.scanIntervalMs, () => {
      if (this.released) return;
      try {
        this.#edges?.feed(this.readNow());
      } finally {
        this.#wakeScanWaiters();
      }
    });
  }

  /**
   * Resolves once the driver has looked at the line again (the next scan; with interrupts, a fresh read fed
   * to the debouncer), so callers can wait until a level has been seen instead of sleeping.
   */
  async nextScan(): Promise<void> {
    if (this.released || !this.#edges) return;
    if (this.#stopScan) return new Promise((r) => this.#scanWaiters.push(r));
    this.#edges.feed(await this.read());
  }

  /**
   * A sysfs attribute read never blocks: one pread on a kept descriptor per sample, not a thread-pool round
   * trip with a fresh 256 KB buffer (a 1 s scan was most of an idle daemon's CPU).
   */
  protected readValue(): LineValue {
    this.#readFd ??= openSync(join(this.dir, "value"), constants.O_RDONLY);
    const n = readSync(this.#readFd, this.#readBuf, 0, this.#readBuf.length, 0);
    // The attribute is "0\n" or "1\n"; anything but a leading "0" reads as 1, as the kernel never writes it.
    return n > 0 && this.#readBuf[0] === 0x30 /* "0" */ ? 0 : 1;
  }

  protected async writeValue(value: LineValue): Promise<void> {
    await this.#write("value", String(value));
  }

  protected async release(): Promise<void> {
    this.#stopScan?.();
    this.#edges?.stop();
    this.#wakeScanWaiters();
    if (this.#valueFd !== undefined) {
      await this.#options.pump?.remove(this.#valueFd);
      closeSync(this.#valueFd);
    }
    if (this.#readFd !== undefined) closeSync(this.#readFd);
    this.#readFd = undefined;
    if (this.#edges) await this.#write("edge", "none").catch(() => undefined);
    // Left exported, the kernel keeps driving the output's value after this process exits.
    if (this.settings.keepAfterClose) return;
    await writeFile(join(this.#options.classDir, "unexport"), String(this.#options.number)).catch(() => undefined);
  }
}
