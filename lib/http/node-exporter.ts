/**
 * Host metrics under node_exporter's names and units, so existing Grafana dashboards work: load, memory,
 * CPU time, boot time, thermal zones, filesystems and network devices, read from `proc/` and `sys/` under
 * a root directory (tests point it at a fake tree). The parsers are pure; {@link collectNodeFamilies} does
 * the reading. A missing or unreadable source is left out, never an error.
 */
import { readdir, readFile, statfs } from "node:fs/promises";
import { join } from "node:path";
import { sanitizeMetricName, type MetricFamily, type Sample } from "./exposition.ts";

const gauge = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name, help, type: "gauge", samples });
const counter = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name, help, type: "counter", samples });

/** `/proc/loadavg` -> node_load1, node_load5, node_load15. */
export function parseLoadFamilies(text: string): MetricFamily[] {
  const m = /^\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)/.exec(text);
  if (!m) return [];
  return [
    gauge("node_load1", "1m load average.", [{ value: Number(m[1]) }]),
    gauge("node_load5", "5m load average.", [{ value: Number(m[2]) }]),
    gauge("node_load15", "15m load average.", [{ value: Number(m[3]) }]),
  ];
}

/** `/proc/meminfo` -> node_memory_<Field>_bytes (kB fields times 1024) and node_memory_<Field> (counts). */
export function parseMeminfoFamilies(text: string): MetricFamily[] {
  const out: MetricFamily[] = [];
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Za-z0-9_()]+):\s+(\d+)(\s*kB)?\s*$/.exec(line);
    if (!m) continue;
    // node_exporter's naming: "Active(anon)" -> "Active_anon".
    const field = m[1]!.replace(/\((.*)\)/, "_$1");
    const name = `node_memory_${sanitizeMetricName(field)}${m[3] ? "_bytes" : ""}`;
    if (seen.has(name)) continue;
    seen.add(name);
    const value = Number(m[2]) * (m[3] ? 1024 : 1);
    out.push(gauge(name, `Memory information field ${field}${m[3] ? "_bytes" : ""}.`, [{ value }]));
  }
  return out;
}

const CPU_MODES = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"] as const;
/** Clock ticks per second of /proc/stat (USER_HZ, 100 on every Linux architecture disco runs on). */
const USER_HZ = 100;

/** `/proc/stat` -> node_boot_time_seconds, node_cpu_seconds_total{cpu,mode}, node_context_switches_total, node_forks_total. */
export function parseStatFamilies(text: string): MetricFamily[] {
  const cpu: Sample[] = [];
  const out: MetricFamily[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    const key = f[0];
    if (key === undefined) continue;
    const m = /^cpu(\d+)$/.exec(key);
    if (m) {
      CPU_MODES.forEach((mode, i) => {
        const v = Number(f[i + 1]);
        if (Number.isFinite(v)) cpu.push({ labels: { cpu: m[1]!, mode }, value: v / USER_HZ });
      });
    } else if (key === "btime" && Number.isFinite(Number(f[1]))) {
      out.push(gauge("node_boot_time_seconds", "Node boot time, in unixtime.", [{ value: Number(f[1]) }]));
    } else if (key === "ctxt" && Number.isFinite(Number(f[1]))) {
      out.push(counter("node_context_switches_total", "Total number of context switches.", [{ value: Number(f[1]) }]));
    } else if (key === "processes" && Number.isFinite(Number(f[1]))) {
      out.push(counter("node_forks_total", "Total number of forks.", [{ value: Number(f[1]) }]));
    }
  }
  if (cpu.length) out.unshift(counter("node_cpu_seconds_total", "Seconds the CPUs spent in each mode.", cpu));
  return out;
}

// node_exporter's netdev field names, in /proc/net/dev column order (receive 8, transmit 8).
const RX_FIELDS = ["bytes", "packets", "errs", "drop", "fifo", "frame", "compressed", "multicast"] as const;
const TX_FIELDS = ["bytes", "packets", "errs", "drop", "fifo", "colls", "carrier", "compressed"] as const;
const NET_KEPT = new Set(["bytes", "packets", "errs", "drop"]);

/** `/proc/net/dev` -> node_network_{receive,transmit}_{bytes,packets,errs,drop}_total{device}, every device (lo too, as node_exporter). */
export function parseNetDevFamilies(text: string, maxDevices = 64): MetricFamily[] {
  const acc = new Map<string, Sample[]>();
  let devices = 0;
  for (const line of text.split("\n")) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const f = m[2]!.trim().split(/\s+/).map(Number);
    if (f.length < 16 || f.some((x) => !Number.isFinite(x))) continue;
    if (++devices > maxDevices) break;
    const device = m[1]!;
    const add = (dir: string, fields: readonly string[], offset: number) =>
      fields.forEach((field, i) => {
        if (!NET_KEPT.has(field)) return;
        const name = `node_network_${dir}_${field}_total`;
        let list = acc.get(name);
        if (!list) acc.set(name, (list = []));
        list.push({ labels: { device }, value: f[offset + i]! });
      });
    add("receive", RX_FIELDS, 0);
    add("transmit", TX_FIELDS, 8);
  }
  return [...acc].map(([name, samples]) => counter(name, `Network device statistic ${name.slice(13, -6)}.`, samples));
}

/** Thermal zones -> node_thermal_zone_temp{type,zone} in degrees Celsius. */
export function thermalFamilies(zones: readonly { zone: string; type: string; milliC: number }[]): MetricFamily[] {
  return [gauge("node_thermal_zone_temp", "Zone temperature in Celsius", zones.map((z) => ({ labels: { type: z.type, zone: z.zone }, value: z.milliC / 1000 })))];
}

/** One mounted filesystem's statfs figures. */
export interface FilesystemStat {
  readonly device: string;
  readonly fstype: string;
  readonly mountpoint: string;
  readonly sizeBytes: number;
  readonly freeBytes: number;
  readonly availBytes: number;
  readonly files: number;
  readonly filesFree: number;
}

/** Filesystems -> node_filesystem_{size,free,avail}_bytes, node_filesystem_files{,_free}{device,fstype,mountpoint}. */
export function filesystemFamilies(fs: readonly FilesystemStat[]): MetricFamily[] {
  const labels = (f: FilesystemStat) => ({ device: f.device, fstype: f.fstype, mountpoint: f.mountpoint });
  return [
    gauge("node_filesystem_size_bytes", "Filesystem size in bytes.", fs.map((f) => ({ labels: labels(f), value: f.sizeBytes }))),
    gauge("node_filesystem_free_bytes", "Filesystem free space in bytes.", fs.map((f) => ({ labels: labels(f), value: f.freeBytes }))),
    gauge("node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes.", fs.map((f) => ({ labels: labels(f), value: f.availBytes }))),
    gauge("node_filesystem_files", "Filesystem total file nodes.", fs.map((f) => ({ labels: labels(f), value: f.files }))),
    gauge("node_filesystem_files_free", "Filesystem total free file nodes.", fs.map((f) => ({ labels: labels(f), value: f.filesFree }))),
  ];
}

// node_exporter's defaults for what is not a real filesystem.
const IGNORED_FSTYPES = /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs|tmpfs|ramfs)$/;
const IGNORED_MOUNTS = /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+)($|\/)/;

/**
 * `/proc/mounts` -> the mounts node_exporter would report (pseudo filesystems left out), first mount of each
 * mount point only.
 */
export function parseMounts(text: string, maxMounts = 32): { device: string; mountpoint: string; fstype: string }[] {
  const out: { device: string; mountpoint: string; fstype: string }[] = [];
  const seen = new Set<string>();
  // Octal escapes of /proc/mounts (\040 for a space).
  const unescape = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length < 3) continue;
    const [device, mp, fstype] = [unescape(f[0]!), unescape(f[1]!), f[2]!];
    if (IGNORED_FSTYPES.test(fstype) || IGNORED_MOUNTS.test(mp) || seen.has(mp)) continue;
    seen.add(mp);
    out.push({ device, mountpoint: mp, fstype });
    if (out.length >= maxMounts) break;
  }
  return out;
}

async function text(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch {
    return undefined;
  }
}

async function readThermal(root: string): Promise<{ zone: string; type: string; milliC: number }[]> {
  const dir = join(root, "sys/class/thermal");
  const names = await readdir(dir).catch(() => [] as string[]);
  const zones: { zone: string; type: string; milliC: number }[] = [];
  for (const n of names.filter((x) => /^thermal_zone\d+$/.test(x)).sort((a, b) => Number(a.slice(12)) - Number(b.slice(12)))) {
    const milliC = Number((await text(join(dir, n, "temp")))?.trim());
    if (!Number.isFinite(milliC)) continue;
    zones.push({ zone: n.slice(12), type: ((await text(join(dir, n, "type"))) ?? "").trim(), milliC });
  }
  return zones;
}

async function readFilesystems(root: string): Promise<FilesystemStat[]> {
  const mounts = parseMounts((await text(join(root, "proc/mounts"))) ?? "");
  const out: FilesystemStat[] = [];
  for (const m of mounts) {
    try {
      const s = await statfs(join(root, m.mountpoint));
      const b = Number(s.bsize);
      out.push({ ...m, sizeBytes: Number(s.blocks) * b, freeBytes: Number(s.bfree) * b, availBytes: Number(s.bavail) * b, files: Number(s.files), filesFree: Number(s.ffree) });
    } catch {
      // Unreachable mount (permissions, a stale network mount): left out, as node_exporter does after its timeout.
    }
  }
  return out;
}

/** Options of {@link collectNodeFamilies}. */
export interface NodeCollectOptions {
  /** Directory holding `proc/` and `sys/`. @default "/" */
  readonly root?: string;
  /** Wall clock, unix ms (node_time_seconds). @default Date.now */
  readonly unixNowMs?: () => number;
}

/**
 * Reads every source and returns the node_exporter families.
 * @returns the families found (sources that are missing give none)
 */
export async function collectNodeFamilies(options: NodeCollectOptions = {}): Promise<MetricFamily[]> {
  const root = options.root ?? "/";
  const [load, mem, stat, net, zones, fs] = await Promise.all([
    text(join(root, "proc/loadavg")),
    text(join(root, "proc/meminfo")),
    text(join(root, "proc/stat")),
    text(join(root, "proc/net/dev")),
    readThermal(root),
    readFilesystems(root),
  ]);
  return [
    ...(load ? parseLoadFamilies(load) : []),
    ...(mem ? parseMeminfoFamilies(mem) : []),
    ...(stat ? parseStatFamilies(stat) : []),
    gauge("node_time_seconds", "System time in seconds since epoch (1970).", [{ value: (options.unixNowMs ?? Date.now)() / 1000 }]),
    ...(net ? parseNetDevFamilies(net) : []),
    ...(zones.length ? thermalFamilies(zones) : []),
    ...(fs.length ? filesystemFamilies(fs) : []),
  ];
}
