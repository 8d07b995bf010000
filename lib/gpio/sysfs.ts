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
import { Subscribers } from "./_queue.ts";
import { EventPump } from "./_pump.ts";
import { Debouncer } from "./debounce.ts";
import { monotonicNs } from "./_clock.ts";
import {
  ChipNotFoundError,
  GpioError,
  GpioPermissionError,
  GpioValueError,
  LineBusyError,
  LineNotFoundError,
  LineReleasedError,
} from "./errors.ts";
import { describeSettingsProblem, type ChipInfo, type Direction, type Edge, type EdgeEvent, type GpioDriver, type LineHandle, type LineInfo, type LineSettings, type LineValue } from "./types.ts";

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

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * The `gpiochipN` (as in /dev) a sysfs `gpiochipBASE` entry belongs to: the entry's real path runs through
 * the gpio device (`.../gpiochip0/gpio/gpiochip512`), or its `device` link points at it; else at the parent
 * device, which holds the gpio device when it has only one.
 */
async function chipDeviceName(entryDir: string): Promise<string> {
  const isChip = (x: string) => /^gpiochip\d+$/.test(x);
  try {
    const parts = (await realpath(entryDir)).split("/");
    const own = parts.pop();
    const up = parts.reverse().find(isChip);
    if (up && up !== own) return up;
  } catch {
    // fall through
  }
  try {
    const target = await readlink(join(entryDir, "device"));
    if (isChip(basename(target))) return basename(target);
    const kids = (await readdir(join(entryDir, "device"))).filter(isChip);
    if (kids.length === 1) return kids[0]!;
  } catch {
    // older kernels: no link; the chip can still be addressed by its label
  }
  return "";
}

/** The sysfs driver. */
export class SysfsGpio implements GpioDriver {
  readonly kind = "sysfs" as const;
  readonly #classDir: string;
  readonly #scanIntervalMs: number;
  readonly #edgeWait: "interrupt" | "scan";
  readonly #pump = new EventPump();
  readonly #exportTimeoutMs: number;
  readonly #held = new Map<number, SysfsLine>();
  #closed = false;

  constructor(options: SysfsGpioOptions = {}) {
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
      throw this.#ioError(err, this.#classDir);
    }
    const chips: SysfsChip[] = [];
    for (const e of entries.filter((x) => /^gpiochip\d+$/.test(x))) {
      const dir = join(this.#classDir, e);
      const base = Number((await readFile(join(dir, "base"), "utf8")).trim());
      const lines = Number((await readFile(join(dir, "ngpio"), "utf8")).trim());
      const label = (await readFile(join(dir, "label"), "utf8").catch(() => "")).trim();
      chips.push({ name: (await chipDeviceName(dir)) || label || e, label, lines, base });
    }
    return chips.sort((a, b) => a.name.localeCompare(b.name, "en", { numeric: true }));
  }

  async #find(chip: string): Promise<SysfsChip> {
    const chips = await this.#sysChips();
    const c = chips.find((x) => x.name === chip) ?? chips.find((x) => x.label === chip);
    if (!c) throw new ChipNotFoundError(chip, chips.map((x) => x.name));
    return c;
  }

  #ioError(err: unknown, path: string, chip?: string, line?: number): GpioError {
    const code = errnoOf(err);
    if (code === "EACCES" || code === "EPERM") return new GpioPermissionError(path, { chip, line, errno: code, cause: err });
    return new GpioError(`${path}: ${code ?? String(err)}`, { chip, line, errno: code, cause: err });
  }

  async chips(): Promise<ChipInfo[]> {
    return (await this.#sysChips()).map(({ name, label, lines }) => ({ name, label, lines }));
  }

  async chip(chip: string): Promise<ChipInfo> {
    const { name, label, lines } = await this.#find(chip);
    return { name, label, lines };
  }

  async lineInfo(chip: string, line: number): Promise<LineInfo> {
    const c = await this.#find(chip);
    if (!Number.isInteger(line) || line < 0 || line >= c.lines) throw new LineNotFoundError(c.name, line, c.lines);
    const dir = join(this.#classDir, `gpio${c.base + line}`);
    const exported = await stat(join(dir, "value")).then(() => true, () => false);
    const info: LineInfo = { chip: c.name, line, name: "", consumer: "", used: false, direction: "input", activeLow: false, bias: "as-is", drive: "push-pull", edge: "none" };
    if (!exported) return info;
    const read = (f: string) => readFile(join(dir, f), "utf8").then((s) => s.trim(), () => "");
    const dir0 = await read("direction");
    const edge = await read("edge");
    return {
      ...info,
      consumer: "sysfs",
      used: true,
      direction: dir0 === "in" ? "input" : "output",
      activeLow: (await read("active_low")) === "1",
      edge: (["rising", "falling", "both"].includes(edge) ? edge : "none") as Edge,
    };
  }

  async request(chip: string, line: number, settings: LineSettings): Promise<LineHandle> {
    const c = await this.#find(chip);
    if (!Number.isInteger(line) || line < 0 || line >= c.lines) throw new LineNotFoundError(c.name, line, c.lines);
    const problem = describeSettingsProblem(settings);
    if (problem) throw new GpioValueError(`${c.name} line ${line}: ${problem}`, { chip: c.name, line });
    if (settings.bias && settings.bias !== "as-is") {
      throw new GpioValueError(`${c.name} line ${line}: sysfs cannot set bias '${settings.bias}' (use driver = "cdev", or set the pull in the device tree)`, { chip: c.name, line });
    }
    if (settings.drive && settings.drive !== "push-pull") {
      throw new GpioValueError(`${c.name} line ${line}: sysfs cannot set drive '${settings.drive}' (use driver = "cdev")`, { chip: c.name, line });
    }
    const n = c.base + line;
    const held = this.#held.get(n);
    if (held) throw new LineBusyError(c.name, line, held.settings.consumer ?? "disco");
    const exportPath = join(this.#classDir, "export");
    try {
      await writeFile(exportPath, String(n));
    } catch (err) {
      const code = errnoOf(err);
      if (code === "EBUSY") {
        const exported = await stat(join(this.#classDir, `gpio${n}`)).then(() => true, () => false);
        throw new LineBusyError(c.name, line, exported ? "sysfs" : undefined, { cause: err });
      }
      if (code === "ENOENT") throw new GpioError(`${exportPath} does not exist: this kernel has no sysfs GPIO (use driver = "cdev")`, { chip: c.name, line, errno: code, cause: err });
      throw this.#ioError(err, exportPath, c.name, line);
    }
    const dir = join(this.#classDir, `gpio${n}`);
    const h = new SysfsLine(c.name, line, settings, dir, this.#classDir, n, { scanIntervalMs: this.#scanIntervalMs, pump: this.#interrupts() ? this.#pump : undefined }, () => this.#held.delete(n));
    this.#held.set(n, h);
    try {
      await h.setup(this.#exportTimeoutMs);
    } catch (err) {
      await h.close();
      throw err instanceof GpioError ? err : this.#ioError(err, dir, c.name, line);
    }
    return h;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const h of [...this.#held.values()]) await h.close();
    await this.#pump.stop();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

class SysfsLine implements LineHandle {
  readonly chip: string;
  readonly line: number;
  readonly settings: Readonly<LineSettings>;
  readonly #dir: string;
  readonly #classDir: string;
  readonly #number: number;
  readonly #scanIntervalMs: number;
  readonly #pump?: EventPump;
  readonly #onRelease: () => void;
  readonly #subs = new Subscribers<EdgeEvent>();
  #debouncer?: Debouncer;
  #timer?: ReturnType<typeof setInterval>;
  #debounceTimer?: ReturnType<typeof setTimeout>;
  /** The `value` fd awaited for POLLPRI (interrupt mode). */
  #valueFd?: number;
  #released = false;
  #seqno = 0;
  #scanWaiters: (() => void)[] = [];

  constructor(
    chip: string,
    line: number,
    settings: LineSettings,
    dir: string,
    classDir: string,
    n: number,
    edges: { scanIntervalMs: number; pump?: EventPump | undefined },
    onRelease: () => void,
  ) {
    this.chip = chip;
    this.line = line;
    this.settings = { ...settings };
    this.#dir = dir;
    this.#classDir = classDir;
    this.#number = n;
    this.#scanIntervalMs = edges.scanIntervalMs;
    this.#pump = edges.pump;
    this.#onRelease = onRelease;
  }

  async #write(file: string, text: string): Promise<void> {
    await writeFile(join(this.#dir, file), text);
  }

  /** Waits for the exported files, then applies active_low, direction and the initial value. */
  async setup(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.#write("active_low", this.settings.activeLow ? "1" : "0");
        break;
      } catch (err) {
        const code = errnoOf(err);
        // Right after export the files may not exist yet, or udev may not have changed their group yet.
        if ((code === "ENOENT" || code === "EACCES") && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        throw err;
      }
    }
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
    if (!s.edge || s.edge === "none") return;
    this.#debouncer = new Debouncer(await this.read(), BigInt(Math.round((s.debounceMs ?? 0) * 1e6)), s.edge);
    // The kernel reports both edges; the debouncer filters by the requested one and tracks the level.
    const armed = await this.#write("edge", "both").then(() => true, () => false);
    if (armed && this.#pump) this.#startInterrupt(this.#pump);
    else this.#startScan();
  }

  /** Feeds a level seen at `nowNs`; emits confirmed edges and re-checks when a debounce is pending. */
  #feed(value: LineValue): void {
    const d = this.#debouncer;
    if (!d || this.#released) return;
    const now = monotonicNs();
    const change = d.sample(value, now);
    if (change) this.#subs.emit({ type: change.type, chip: this.chip, line: this.line, value: change.value, timestampNs: now, seqno: ++this.#seqno });
    clearTimeout(this.#debounceTimer);
    const until = d.pendingUntilNs;
    if (until !== undefined) {
      this.#debounceTimer = setTimeout(() => {
        this.read().then((v) => this.#feed(v), () => undefined);
      }, Math.max(0, Math.ceil(Number(until - now) / 1e6)));
    }
  }

  #startInterrupt(pump: EventPump): void {
    const fd = openSync(join(this.#dir, "value"), constants.O_RDONLY);
    // A first read arms sysfs poll notification for this open file.
    readSync(fd, new Uint8Array(8), 0, 8, 0);
    this.#valueFd = fd;
    pump.add(
      fd,
      (bytes) => {
        if (!bytes) return;
        this.#feed(bytes[0] === 0x30 /* "0" */ ? 0 : 1);
        for (const w of this.#scanWaiters.splice(0)) w();
      },
      "pri",
    );
  }

  #startScan(): void {
    let busy = false;
    this.#timer = setInterval(async () => {
      if (busy || this.#released) return;
      busy = true;
      try {
        this.#feed(await this.read());
      } catch {
        // a failed sample is retried at the next tick; release stops the timer
      } finally {
        busy = false;
        for (const w of this.#scanWaiters.splice(0)) w();
      }
    }, this.#scanIntervalMs);
  }

  /**
   * Resolves once the driver has looked at the line again (the next scan; with interrupts, a fresh read fed
   * to the debouncer), so callers can wait until a level has been seen instead of sleeping.
   */
  async nextScan(): Promise<void> {
    if (this.#released || !this.#debouncer) return;
    if (this.#timer) return new Promise((r) => this.#scanWaiters.push(r));
    this.#feed(await this.read());
  }

  get direction(): Direction {
    return this.settings.direction;
  }

  async read(): Promise<LineValue> {
    if (this.#released) throw new LineReleasedError(this.chip, this.line);
    const t = (await readFile(join(this.#dir, "value"), "utf8")).trim();
    return t === "0" ? 0 : 1;
  }

  async write(value: LineValue): Promise<void> {
    if (this.#released) throw new LineReleasedError(this.chip, this.line);
    if (this.settings.direction !== "output") throw new GpioValueError(`${this.chip} line ${this.line} is an input; it cannot be set`, { chip: this.chip, line: this.line });
    if (value !== 0 && value !== 1) throw new GpioValueError(`value must be 0 or 1, got ${String(value)}`, { chip: this.chip, line: this.line });
    await this.#write("value", String(value));
  }

  events(signal?: AbortSignal): AsyncIterable<EdgeEvent> {
    if (!this.#debouncer) {
      throw new GpioValueError(`${this.chip} line ${this.line} was requested without edge detection`, { chip: this.chip, line: this.line });
    }
    return this.#subs.subscribe(signal);
  }

  async close(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    clearInterval(this.#timer);
    clearTimeout(this.#debounceTimer);
    for (const w of this.#scanWaiters.splice(0)) w();
    this.#subs.close();
    if (this.#valueFd !== undefined) {
      await this.#pump?.remove(this.#valueFd);
      closeSync(this.#valueFd);
    }
    this.#onRelease();
    if (this.#debouncer) await this.#write("edge", "none").catch(() => undefined);
    await writeFile(join(this.#classDir, "unexport"), String(this.#number)).catch(() => undefined);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
