/**
 * Host collectors: load average, memory, CPU temperature, uptime, root filesystem use and network bytes,
 * read from `/proc` and `/sys` under a configurable root (tests point it at a fake tree). A missing or
 * unreadable source is skipped, never an error. Values are strings, as disco.py publishes them.
 */
import { readdirSync, readFileSync, statfsSync } from "node:fs";
import { join } from "node:path";

/** The collectors, by name. */
export const COLLECTOR_NAMES = ["load", "memory", "temperature", "uptime", "disk", "network"] as const;
/** One collector's name. */
export type CollectorName = (typeof COLLECTOR_NAMES)[number];

/** Options of {@link collectHostMetrics}. */
export interface CollectOptions {
  /** Directory holding `proc/` and `sys/`. @default "/" */
  readonly root?: string;
  /** The filesystem whose use `disk` reports, under `root`. @default "/" */
  readonly diskPath?: string;
}

/** Values by metric name. */
export type MetricValues = Record<string, string>;

function fixed(n: number, digits: number): string {
  return Number(n.toFixed(digits)).toString();
}

/**
 * Parses `/proc/loadavg`.
 * @returns `load1`, `load5`, `load15`, or {} when the text is not a loadavg line
 */
export function parseLoadavg(text: string): MetricValues {
  const m = /^\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(text);
  return m ? { load1: m[1]!, load5: m[2]!, load15: m[3]! } : {};
}

/**
 * Parses `/proc/meminfo`.
 * @returns `mem_total_kb`, `mem_available_kb`, `mem_used_percent` (whatever the text has)
 */
export function parseMeminfo(text: string): MetricValues {
  const kb = (key: string) => {
    const m = new RegExp(`^${key}:\\s+(\\d+)\\s*kB`, "m").exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const total = kb("MemTotal");
  const available = kb("MemAvailable") ?? kb("MemFree");
  const out: MetricValues = {};
  if (total !== undefined) out.mem_total_kb = String(total);
  if (available !== undefined) out.mem_available_kb = String(available);
  if (total && available !== undefined) out.mem_used_percent = fixed(((total - available) / total) * 100, 1);
  return out;
}

/**
 * Parses `/proc/uptime`.
 * @returns `uptime_s` (whole seconds)
 */
export function parseUptime(text: string): MetricValues {
  const m = /^\s*([\d.]+)/.exec(text);
  return m ? { uptime_s: String(Math.floor(Number(m[1]))) } : {};
}

/**
 * Parses `/proc/net/dev`, summing every interface but loopback.
 * @returns `net_rx_bytes`, `net_tx_bytes`
 */
export function parseNetDev(text: string): MetricValues {
  let rx = 0;
  let tx = 0;
  let seen = false;
  for (const line of text.split("\n")) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === "lo") continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    if (f.length < 9 || f.some((x) => !Number.isFinite(x))) continue;
    rx += f[0]!;
    tx += f[8]!;
    seen = true;
  }
  return seen ? { net_rx_bytes: String(rx), net_tx_bytes: String(tx) } : {};
}

/**
 * Picks the CPU temperature from thermal zones (millidegrees Celsius): the first zone whose type names
 * the CPU (`cpu`, `x86_pkg_temp`, `soc`), else the first zone.
 * @returns `cpu_temperature` in degrees Celsius with one decimal
 */
export function pickTemperature(zones: readonly { type: string; milliC: number }[]): MetricValues {
  const cpu = zones.find((z) => /cpu|x86_pkg|soc|core/i.test(z.type)) ?? zones[0];
  return cpu ? { cpu_temperature: fixed(cpu.milliC / 1000, 1) } : {};
}

/**
 * A /proc or /sys file, read synchronously: these never block, and each async read was a thread-pool round
 * trip (and, on an idle daemon, a pool thread started again) for a few hundred bytes.
 */
function text(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

function thermalZones(root: string): { type: string; milliC: number }[] {
  const dir = join(root, "sys/class/thermal");
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith("thermal_zone")).sort((a, b) => Number(a.slice(12)) - Number(b.slice(12)));
  } catch {
    return [];
  }
  const zones: { type: string; milliC: number }[] = [];
  for (const n of names) {
    const t = text(join(dir, n, "temp"));
    const milliC = t === undefined ? NaN : Number(t.trim());
    if (!Number.isFinite(milliC)) continue;
    zones.push({ type: (text(join(dir, n, "type")) ?? "").trim(), milliC });
  }
  return zones;
}

function disk(root: string, path: string): MetricValues {
  try {
    const s = statfsSync(join(root, path));
    const used = Number(s.blocks) - Number(s.bfree);
    const usable = used + Number(s.bavail);
    if (usable <= 0) return {};
    return { disk_used_percent: fixed((used / usable) * 100, 1), disk_free_kb: String(Math.floor((Number(s.bavail) * Number(s.bsize)) / 1024)) };
  } catch {
    return {};
  }
}

/**
 * Reads one collector.
 * @returns its values; {} when its source is missing
 */
export async function collect(name: CollectorName, options: CollectOptions = {}): Promise<MetricValues> {
  const root = options.root ?? "/";
  const parse = (file: string, fn: (t: string) => MetricValues) => {
    const t = text(join(root, file));
    return t === undefined ? {} : fn(t);
  };
  switch (name) {
    case "load":
      return parse("proc/loadavg", parseLoadavg);
    case "memory":
      return parse("proc/meminfo", parseMeminfo);
    case "uptime":
      return parse("proc/uptime", parseUptime);
    case "network":
      return parse("proc/net/dev", parseNetDev);
    case "temperature":
      return pickTemperature(thermalZones(root));
    case "disk":
      return disk(root, options.diskPath ?? "/");
  }
}

/**
 * Reads several collectors into one set of values.
 * @param names which collectors (default: all)
 */
export async function collectHostMetrics(names: readonly CollectorName[] = COLLECTOR_NAMES, options: CollectOptions = {}): Promise<MetricValues> {
  const parts = await Promise.all(names.map((n) => collect(n, options)));
  return Object.assign({}, ...parts);
}
