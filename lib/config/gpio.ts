/**
 * `[gpio]`: the driver choice and the lines this host drives, as `[[gpio.output]]`, `[[gpio.pwm]]` and
 * `[[gpio.input]]`. Validation reports duplicate names, a line claimed twice and impossible combinations,
 * each with its key and line. Whether a chip exists is checked at run time against the system.
 */
import { NAME_PATTERN, NAME_RULE, type Section } from "./_schema.ts";

/** The GPIO drivers a config (or `disco gpio --driver`) can choose. */
export const GPIO_DRIVERS = ["auto", "cdev", "sysfs"] as const;
const BIASES = ["as-is", "pull-up", "pull-down", "disabled"] as const;
const DRIVES = ["push-pull", "open-drain", "open-source"] as const;
const EDGES = ["none", "rising", "falling", "both"] as const;

/** `[gpio] driver`: "auto" picks cdev when /dev/gpiochip* exist, else sysfs. */
export type GpioDriverChoice = (typeof GPIO_DRIVERS)[number];
/** `bias` of an input. */
export type GpioBias = (typeof BIASES)[number];
/** `drive` of an output. */
export type GpioDrive = (typeof DRIVES)[number];
/** `edge` of an input. */
export type GpioEdge = (typeof EDGES)[number];

/** `[[gpio.output]]` */
export interface GpioOutputConfig {
  readonly name: string;
  readonly chip: string;
  readonly line: number;
  readonly activeLow: boolean;
  readonly drive: GpioDrive;
  readonly initial: 0 | 1;
  /** `remote = true`: the line accepts writes from other hosts (remote GPIO, the web page, MQTT). Default false. */
  readonly remote: boolean;
}

/** `[[gpio.pwm]]`: software PWM on `chip`/`line`, or hardware PWM on `pwmchip`/`channel`. */
export interface GpioPwmConfig {
  readonly name: string;
  /** Software PWM: the line driven. */
  readonly chip?: string;
  readonly line?: number;
  /** Hardware PWM: `/sys/class/pwm/pwmchip<pwmchip>/pwm<channel>`. */
  readonly pwmchip?: number;
  readonly channel?: number;
  readonly activeLow: boolean;
  readonly periodMs: number;
  /** 0..1 */
  readonly duty: number;
  /** `remote = true`: the duty accepts writes from other hosts (remote GPIO, the web page, MQTT). Default false. */
  readonly remote: boolean;
}

/** `[[gpio.input]]` */
export interface GpioInputConfig {
  readonly name: string;
  readonly chip: string;
  readonly line: number;
  readonly activeLow: boolean;
  readonly bias: GpioBias;
  readonly edge: GpioEdge;
  readonly debounceMs: number;
  /** Polled at this interval instead of edges (set only when `edge` is "none"). */
  readonly scanIntervalMs?: number;
}

/** `[gpio]` */
export interface GpioConfig {
  /** Whether any line is declared. */
  readonly enabled: boolean;
  readonly driver: GpioDriverChoice;
  /** The sysfs mount point for the sysfs driver and hardware PWM. */
  readonly sysfsRoot: string;
  readonly outputs: readonly GpioOutputConfig[];
  readonly pwms: readonly GpioPwmConfig[];
  readonly inputs: readonly GpioInputConfig[];
}

const DEFAULT_CHIP = "gpiochip0";

/** Reports each of `keys` present in `t` as not belonging there. */
function rejectKeys(t: Section, keys: readonly string[], why: (key: string) => string): void {
  // Only a key that is present is marked known, so the "unknown key" hint lists this table's own keys.
  for (const k of keys) {
    if (t.raw[k] === undefined) continue;
    t.accept(k);
    t.problem(k, why(k));
  }
}

/**
 * Reads and validates `[gpio]`: every problem is reported on `s` with its key.
 * @returns the typed config (lines with problems are left out; `s` then holds the problems)
 */
export function readGpio(s: Section): GpioConfig {
  const driver = s.string("driver", { oneOf: GPIO_DRIVERS, default: "auto" }) as GpioDriverChoice;
  const sysfsRoot = s.string("sysfs_root", { default: "/sys", nonEmpty: true });
  const names = new Map<string, string>();
  const claimed = new Map<string, string>();
  /** Claims a resource (`chip:line`, `pwmchipN/pwmM`) for this table, or reports who has it. */
  const claim = (t: Section, key: string, what: string, field: string, name: string | undefined) => {
    const prev = claimed.get(key);
    if (prev) t.problem(field, `${what} is already claimed by ${prev}`);
    else claimed.set(key, name ? `'${name}' (${t.path})` : t.path);
  };
  const claimLine = (t: Section, chip: string, line: number | undefined, name: string | undefined) => {
    if (line !== undefined) claim(t, `${chip}:${line}`, `${chip} line ${line}`, "line", name);
  };
  const readName = (t: Section) => {
    const name = t.string("name", { required: true, pattern: NAME_PATTERN, patternText: NAME_RULE });
    if (name === undefined) return undefined;
    const prev = names.get(name);
    if (prev) t.problem("name", `duplicate name '${name}' (already used by ${prev})`);
    else names.set(name, t.path);
    return name;
  };
  /** What outputs and inputs both declare: name, chip (default gpiochip0), line (claimed) and active_low. */
  const readDeclaredLine = (t: Section) => {
    const name = readName(t);
    const chip = t.string("chip", { default: DEFAULT_CHIP, nonEmpty: true });
    const line = t.int("line", { required: true, min: 0, max: 65535 });
    claimLine(t, chip, line, name);
    return { name, chip, line, activeLow: t.bool("active_low", { default: false }) };
  };

  const outputs: GpioOutputConfig[] = [];
  for (const t of s.tables("output")) {
    const { name, chip, line, activeLow } = readDeclaredLine(t);
    const drive = t.string("drive", { oneOf: DRIVES, default: "push-pull" }) as GpioDrive;
    const initial = t.int("initial", { min: 0, max: 1, default: 0 }) as 0 | 1;
    const remote = t.bool("remote", { default: false });
    rejectKeys(t, ["edge", "debounce_ms", "bias", "scan_interval"], (k) => `'${k}' is for inputs ([[gpio.input]]), not outputs`);
    t.done();
    if (name !== undefined && line !== undefined) outputs.push({ name, chip, line, activeLow, drive, initial, remote });
  }

  const pwms: GpioPwmConfig[] = [];
  for (const t of s.tables("pwm")) {
    const name = readName(t);
    const hasLine = t.has("line");
    const hasPwmchip = t.has("pwmchip");
    const chip = t.string("chip", { nonEmpty: true });
    const line = t.int("line", { min: 0, max: 65535 });
    const pwmchip = t.int("pwmchip", { min: 0, max: 65535 });
    const channel = t.int("channel", { min: 0, max: 65535 });
    const activeLow = t.bool("active_low", { default: false });
    const periodMs = t.number("period_ms", { required: true, min: 0.001, max: 3_600_000 });
    const duty = t.number("duty", { min: 0, max: 1, default: 0 });
    const remote = t.bool("remote", { default: false });
    if (hasLine && hasPwmchip) t.problem("pwmchip", "set either line (software PWM) or pwmchip + channel (hardware PWM), not both");
    else if (!hasLine && !hasPwmchip) t.problem("line", "is required (or pwmchip + channel for hardware PWM)");
    if (hasPwmchip && !t.has("channel")) t.problem("channel", "is required with pwmchip");
    if (t.has("channel") && !hasPwmchip) t.problem("channel", "is only meaningful with pwmchip");
    if (chip !== undefined && !hasLine) t.problem("chip", "is only meaningful with line (software PWM)");
    if (hasPwmchip && activeLow && t.has("active_low")) t.problem("active_low", "hardware PWM does not take active_low (set the polarity in the device tree)");
    rejectKeys(t, ["edge", "debounce_ms", "bias", "scan_interval", "initial"], (k) => `'${k}' does not apply to PWM`);
    if (hasLine) claimLine(t, chip ?? DEFAULT_CHIP, line, name);
    if (pwmchip !== undefined && channel !== undefined) {
      const key = `pwmchip${pwmchip}/pwm${channel}`;
      claim(t, key, key, "channel", name);
    }
    t.done();
    if (name === undefined || periodMs === undefined) continue;
    if (line !== undefined && !hasPwmchip) pwms.push({ name, chip: chip ?? DEFAULT_CHIP, line, activeLow, periodMs, duty, remote });
    else if (pwmchip !== undefined && channel !== undefined && !hasLine) pwms.push({ name, pwmchip, channel, activeLow: false, periodMs, duty, remote });
  }

  const inputs: GpioInputConfig[] = [];
  for (const t of s.tables("input")) {
    const { name, chip, line, activeLow } = readDeclaredLine(t);
    const bias = t.string("bias", { oneOf: BIASES, default: "as-is" }) as GpioBias;
    const edge = t.string("edge", { oneOf: EDGES, default: "none" }) as GpioEdge;
    const debounceMs = t.number("debounce_ms", { min: 0, max: 60_000, default: 0 });
    const scanIntervalMs = t.durationMs("scan_interval", { minMs: 1 });
    if (t.has("debounce_ms") && debounceMs > 0 && edge === "none") t.problem("debounce_ms", "debounce needs edge detection (set edge = \"rising\", \"falling\" or \"both\")");
    if (scanIntervalMs !== undefined && edge !== "none") t.problem("scan_interval", "set either edge (events) or scan_interval (polling), not both");
    rejectKeys(t, ["initial", "drive", "period_ms", "duty", "pwmchip", "channel", "remote"], (k) => `'${k}' is for outputs or PWM, not inputs`);
    t.done();
    if (name !== undefined && line !== undefined) {
      inputs.push({ name, chip, line, activeLow, bias, edge, debounceMs, ...(scanIntervalMs !== undefined ? { scanIntervalMs } : {}) });
    }
  }
  s.done();
  return { enabled: outputs.length + pwms.length + inputs.length > 0, driver, sysfsRoot, outputs, pwms, inputs };
}
