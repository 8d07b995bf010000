/**
 * `disco gpio info | get | set | watch`: inspect and drive GPIO lines, by their name in the config or as a
 * raw `chip:line`, through the gpiochip character device (uAPI v2) or sysfs.
 */
import { statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { Command, CliIo } from "./command.ts";
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from "./command.ts";
import { parseDurationFlag, parseFlags, parseIntFlag } from "./_args.ts";
import { loadConfigFile } from "./_config.ts";
import { UsageError } from "./errors.ts";
import { CONTROL_CLIENT_FLAGS, CONTROL_CLIENT_HELP } from "./_control.ts";
import { runRemoteGpio } from "./_remote-gpio.ts";
import { GPIO_DRIVERS, type GpioConfig } from "../config/index.ts";
import { escapeForTerminal, jsonForTerminal } from "../text/index.ts";
import {
  ChipNotFoundError,
  findMissingChips,
  GpioError,
  LineBusyError,
  openLines,
  selectDriver,
  type GpioDriver,
  type InputSpec,
  type LineInfo,
  type LineValue,
} from "../gpio/index.ts";

const HELP = `Usage: disco gpio <info|get|set|watch> [flags]

  disco gpio info [--json]                     chips and lines: names, consumers, directions (like gpioinfo)
  disco gpio get NAME|CHIP:LINE [--json]       the value of a declared input or a raw line (like gpioget)
  disco gpio set NAME|CHIP:LINE 0|1 [--hold D | --exit]
                                               drive an output and hold it until Ctrl-C / SIGTERM (like
                                               gpioset); --hold D releases it after D (e.g. 5s); --exit
                                               sets it and exits, leaving the value set (sysfs driver only)
  disco gpio watch [NAME|CHIP:LINE ...] [--json] [--count N]
                                               input changes as they happen (like gpiomon); NDJSON with --json;
                                               without names, every [[gpio.input]] of the config

Flags:
  -c, --config FILE     config with [[gpio.output]]/[[gpio.input]]/[[gpio.pwm]] (default /etc/disco.toml)
  --driver D            auto | cdev | sysfs (default: [gpio] driver, else auto = cdev when /dev/gpiochip* exist)
  --sysfs-root DIR      sysfs mount point for the sysfs driver (default: [gpio] sysfs_root, else /sys)
  --dev-dir DIR         where gpiochipN device nodes are (default /dev)
  --json                machine-readable output (watch: one JSON object per line)
  --hold D              set: drive for D, then release the line and exit (default: until Ctrl-C / SIGTERM)
  --exit                set: set and exit at once; the line stays exported and keeps its value (sysfs
                        only: the gpiochip device releases a line when its process exits)
  --count N             watch: exit after N changes (initial values not counted)

Remote (another host's declared lines, over the sealed channel; set only on its remote = true lines):
  disco gpio --host HOST info | get NAME | set NAME VALUE | watch [NAME ...] [--json]
${CONTROL_CLIENT_HELP}

Examples:
  disco gpio info
  disco gpio get door
  disco gpio get gpiochip0:22
  disco gpio set pump_drive 1                       until Ctrl-C
  disco gpio set pump_drive 1 --hold 5s
  disco gpio set pump_drive 1 --exit --driver sysfs   stays 1 after disco exits
  disco gpio watch door --json

Lines are addressed by the name given in the config, or as CHIP:LINE where CHIP is gpiochipN or the chip's
label. Exit codes: 0 ok, 1 GPIO failure (missing chip, busy line, permission), 2 usage or config error.
`;

interface Target {
  /** Display name: the config name or CHIP:LINE. */
  readonly name: string;
  readonly chip: string;
  readonly line: number;
  readonly kind: "input" | "output" | "pwm" | "raw";
  readonly activeLow: boolean;
  readonly input?: InputSpec;
  readonly drive?: "push-pull" | "open-drain" | "open-source";
}

function resolveTarget(word: string, gpio: GpioConfig): Target {
  const o = gpio.outputs.find((x) => x.name === word);
  if (o) return { name: o.name, chip: o.chip, line: o.line, kind: "output", activeLow: o.activeLow, drive: o.drive };
  const i = gpio.inputs.find((x) => x.name === word);
  if (i) return { name: i.name, chip: i.chip, line: i.line, kind: "input", activeLow: i.activeLow, input: i };
  const p = gpio.pwms.find((x) => x.name === word);
  if (p) return { name: p.name, chip: p.chip ?? "", line: p.line ?? -1, kind: "pwm", activeLow: p.activeLow };
  const m = /^([^:\s]+):(\d+)$/.exec(word);
  if (m) return { name: word, chip: m[1]!, line: parseIntFlag("gpio", "line", m[2]!, 0, 65535), kind: "raw", activeLow: false };
  const declared = [...gpio.outputs, ...gpio.inputs, ...gpio.pwms].map((x) => x.name);
  throw new UsageError(
    "gpio",
    `'${word}' is neither a line declared in the config${declared.length ? ` (${declared.join(", ")})` : " (none declared)"} nor CHIP:LINE such as gpiochip0:22`,
  );
}

/** A GPIO failure as one actionable line. */
function describeFailure(err: unknown): string {
  if (err instanceof LineBusyError) {
    return `${err.chip} line ${err.line} is busy${err.consumer ? `: used by '${err.consumer}'` : " (used by another program)"}; stop that program (or 'disco run') first`;
  }
  if (err instanceof ChipNotFoundError) return `${err.message}; run 'disco gpio info' to list chips`;
  return err instanceof Error ? err.message : String(err);
}

function parseValue(text: string): LineValue {
  if (text === "0") return 0;
  if (text === "1") return 1;
  throw new UsageError("gpio", `the value must be 0 or 1, got '${text}'`);
}

/** Resolves when `signal` aborts or, when given, after `ms`. */
async function waitAbort(signal: AbortSignal, ms?: number): Promise<void> {
  if (ms !== undefined) return sleep(ms, undefined, { signal }).catch(() => undefined);
  if (!signal.aborted) await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
}

async function info(driver: GpioDriver, gpio: GpioConfig, json: boolean, io: CliIo): Promise<number> {
  const chips = await driver.chips();
  const declared = new Map<string, string>();
  for (const x of [...gpio.outputs, ...gpio.inputs, ...gpio.pwms]) if (x.chip !== undefined && x.line !== undefined) declared.set(`${x.chip}:${x.line}`, x.name);
  type DeclaredLineInfo = LineInfo & { declared?: string };
  const out: { name: string; label: string; lines: number; info: DeclaredLineInfo[] }[] = [];
  for (const c of chips) {
    const lines: DeclaredLineInfo[] = [];
    for (let l = 0; l < c.lines; l++) {
      const li = await driver.lineInfo(c.name, l);
      const d = declared.get(`${c.name}:${l}`) ?? declared.get(`${c.label}:${l}`);
      lines.push(d ? { ...li, declared: d } : li);
    }
    out.push({ name: c.name, label: c.label, lines: c.lines, info: lines });
  }
  const missing = await findMissingChips(driver, gpio);
  // Chip labels, line names and consumers are whatever a driver or another local program set: escaped.
  if (json) {
    io.out(`${jsonForTerminal({ driver: driver.kind, chips: out })}\n`);
  } else {
    if (!chips.length) io.out(`no GPIO chips found (driver ${driver.kind})\n`);
    for (const c of out) {
      io.out(`${escapeForTerminal(`${c.name} [${c.label}] (${c.lines} lines)`)}\n`);
      for (const l of c.info) {
        const flags = [l.activeLow ? "active-low" : "active-high", l.bias !== "as-is" ? l.bias : "", l.drive !== "push-pull" ? l.drive : "", l.edge !== "none" ? `edge=${l.edge}` : "", l.used ? "[used]" : ""].filter(Boolean);
        io.out(
          `\t${escapeForTerminal(`line ${String(l.line).padStart(3)}: ${jsonForTerminal(l.name || "unnamed").padEnd(14)} ${jsonForTerminal(l.consumer || "unused").padEnd(12)} ${l.direction.padEnd(6)} ${flags.join(" ")}${l.declared ? `  <- ${l.declared}` : ""}`)}\n`,
        );
      }
    }
  }
  for (const x of missing) io.err(`disco gpio: config line '${x.name}' uses chip '${x.chip}', which does not exist here (chips: ${x.available.join(", ") || "none"})\n`);
  return missing.length ? EXIT_FAILURE : EXIT_OK;
}

async function get(driver: GpioDriver, t: Target, json: boolean, io: CliIo): Promise<number> {
  if (t.kind === "output" || t.kind === "pwm") {
    throw new UsageError("gpio", `'${t.name}' is declared as ${t.kind === "pwm" ? "a PWM output" : "an output"}; reading it would turn it into an input (use 'disco gpio info' to see who drives it)`);
  }
  const h = await driver.request(t.chip, t.line, {
    direction: "input",
    activeLow: t.activeLow,
    bias: t.input?.bias ?? "as-is",
    consumer: "disco-get",
  });
  try {
    const v = await h.read();
    io.out(json ? `${jsonForTerminal({ name: t.name, chip: h.chip, line: t.line, value: v })}\n` : `${v}\n`);
  } finally {
    await h.close();
  }
  return EXIT_OK;
}

/**
 * Drives an output: held until `signal` aborts (`holdMs` Infinity), for `holdMs`, or (`holdMs` 0, `--exit`)
 * set and left set by a driver that keeps it.
 */
async function set(driver: GpioDriver, t: Target, value: LineValue, holdMs: number, io: CliIo, signal: AbortSignal): Promise<number> {
  if (t.kind === "input") throw new UsageError("gpio", `'${t.name}' is declared as an input; only outputs can be set`);
  if (t.kind === "pwm") throw new UsageError("gpio", `'${t.name}' is a PWM output; set its period_ms and duty in the config`);
  const keep = holdMs === 0;
  if (keep && driver.kind !== "sysfs") {
    throw new UsageError("gpio", `--exit needs the sysfs driver (--driver sysfs): the ${driver.kind} driver releases the line when disco exits, so the value would not stay`);
  }
  const h = await driver.request(t.chip, t.line, { direction: "output", activeLow: t.activeLow, drive: t.drive ?? "push-pull", initial: value, consumer: "disco-set", ...(keep && { keepAfterClose: true }) });
  try {
    await h.write(value);
    if (keep) io.err(`disco gpio: ${t.name} = ${value}, left set (the line stays exported)\n`);
    else {
      io.err(`disco gpio: ${t.name} = ${value}, holding ${Number.isFinite(holdMs) ? `for ${holdMs / 1000} s` : "until Ctrl-C / SIGTERM"}\n`);
      await waitAbort(signal, Number.isFinite(holdMs) ? holdMs : undefined);
    }
  } finally {
    await h.close();
  }
  return EXIT_OK;
}

async function watch(driver: GpioDriver, targets: Target[], json: boolean, count: number | undefined, io: CliIo, signal: AbortSignal): Promise<number> {
  const inputs: InputSpec[] = targets.map((t) => {
    if (t.kind === "output" || t.kind === "pwm") throw new UsageError("gpio", `'${t.name}' is an output; only inputs can be watched`);
    if (t.input) return { ...t.input, name: t.name };
    return { name: t.name, chip: t.chip, line: t.line, edge: "both" };
  });
  await using lines = await openLines(driver, { inputs }, { consumer: "disco-watch" });
  for (const f of lines.failures) io.err(`disco gpio: ${escapeForTerminal(`${f.name}: ${describeFailure(f.error)}`)}\n`);
  if (lines.inputs.size === 0) return EXIT_FAILURE;
  let seen = 0;
  for await (const c of lines.changes(signal)) {
    const { handle } = lines.inputs.get(c.name)!;
    const time = new Date().toISOString();
    if (json) {
      io.out(`${jsonForTerminal({ time, name: c.name, chip: handle.chip, line: handle.line, value: c.value, cause: c.cause, timestamp_ns: c.timestampNs.toString() })}\n`);
    } else {
      io.out(`${escapeForTerminal(`${time} ${c.name} ${c.value} ${c.cause}`)}\n`);
    }
    if (c.cause !== "initial" && count !== undefined && ++seen >= count) break;
  }
  return lines.failures.length ? EXIT_FAILURE : EXIT_OK;
}

/** `disco gpio` */
export const command: Command = {
  name: "gpio",
  async run(argv, io, signal) {
    const { values, positionals, help } = parseFlags(
      "gpio",
      argv,
      {
        config: { type: "string", short: "c" },
        driver: { type: "string" },
        "sysfs-root": { type: "string" },
        "dev-dir": { type: "string" },
        json: { type: "boolean" },
        hold: { type: "string" },
        exit: { type: "boolean" },
        count: { type: "string" },
        ...CONTROL_CLIENT_FLAGS,
      },
      true,
    );
    if (help) {
      io.out(HELP);
      return EXIT_OK;
    }
    const [sub, ...words] = positionals;
    if (!sub) {
      io.err(HELP);
      return EXIT_USAGE;
    }
    if (!["info", "get", "set", "watch"].includes(sub)) throw new UsageError("gpio", `unknown subcommand '${sub}' (info, get, set, watch)`);
    const choice = values.driver as GpioConfig["driver"] | undefined;
    if (choice !== undefined && !GPIO_DRIVERS.includes(choice)) throw new UsageError("gpio", `--driver must be ${GPIO_DRIVERS.join(", ")}, got '${choice}'`);
    const { config } = loadConfigFile(values.config);
    const gpio = config.gpio;
    const json = values.json === true;
    if (values.host !== undefined) {
      const count = values.count !== undefined ? parseIntFlag("gpio", "--count", values.count, 1, Number.MAX_SAFE_INTEGER) : undefined;
      return runRemoteGpio({ sub: sub as "info" | "get" | "set" | "watch", words, json, ...(count !== undefined && { count }), flags: values, config }, io, signal);
    }
    // Check the words before touching any device, so usage errors come first.
    let targets: Target[] = [];
    let value: LineValue = 0;
    let holdMs = Infinity;
    let count: number | undefined;
    if (sub === "info") {
      if (words.length) throw new UsageError("gpio", "info takes no arguments");
    } else if (sub === "get") {
      if (words.length !== 1) throw new UsageError("gpio", "get takes one line: NAME or CHIP:LINE");
      targets = [resolveTarget(words[0]!, gpio)];
    } else if (sub === "set") {
      if (words.length !== 2) throw new UsageError("gpio", "set takes a line and a value: set NAME|CHIP:LINE 0|1");
      targets = [resolveTarget(words[0]!, gpio)];
      value = parseValue(words[1]!);
      if (values.hold !== undefined && values.exit) throw new UsageError("gpio", "give --hold or --exit, not both");
      if (values.hold !== undefined) holdMs = values.hold === "forever" ? Infinity : parseDurationFlag("gpio", "--hold", values.hold);
      if (values.exit) holdMs = 0;
    } else {
      targets = words.length ? words.map((w) => resolveTarget(w, gpio)) : gpio.inputs.map((i) => resolveTarget(i.name, gpio));
      if (!targets.length) throw new UsageError("gpio", "no [[gpio.input]] in the config: name a line, e.g. disco gpio watch gpiochip0:22");
      if (values.count !== undefined) count = parseIntFlag("gpio", "--count", values.count, 1, Number.MAX_SAFE_INTEGER);
    }
    if (values.hold !== undefined && sub !== "set") throw new UsageError("gpio", "--hold is for set");
    if (values.exit && sub !== "set") throw new UsageError("gpio", "--exit is for set");
    if (values.count !== undefined && sub !== "watch") throw new UsageError("gpio", "--count is for watch");

    for (const flag of ["sysfs-root", "dev-dir"] as const) {
      const dir = values[flag];
      if (dir !== undefined && !statSync(dir, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError("gpio", `--${flag}: no such directory '${dir}'`);
    }
    await using driver = await selectDriver(choice ?? gpio.driver, {
      sysfsRoot: values["sysfs-root"] ?? gpio.sysfsRoot,
      ...(values["dev-dir"] !== undefined ? { devDir: values["dev-dir"] } : {}),
    });
    try {
      if (sub === "info") return await info(driver, gpio, json, io);
      if (sub === "get") return await get(driver, targets[0]!, json, io);
      if (sub === "set") return await set(driver, targets[0]!, value, holdMs, io, signal);
      return await watch(driver, targets, json, count, io, signal);
    } catch (err) {
      if (!(err instanceof GpioError)) throw err;
      io.err(`disco gpio: ${escapeForTerminal(describeFailure(err))}\n`);
      return EXIT_FAILURE;
    }
  },
};
