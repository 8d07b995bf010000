/**
 * What a process's memory is made of, from /proc (Linux only; benches run the process themselves, so its
 * /proc files are readable): RSS and its anonymous / file-backed parts, PSS, the pages of the executable
 * that are mapped per ELF section, and the working set (pages the process touched since
 * {@link clearReferenced}).
 *
 * Why more than VmRSS: most of a Bun binary's RSS is file-backed pages of the executable itself, mapped at
 * start-up and never touched again, and the kernel maps them in chunks (fault-around, 64 kB, or a whole
 * large page-cache folio), so VmRSS says little about what an idle daemon costs. Those pages are page cache:
 * shared with every other process running the binary, and reclaimable without swap. The working set says
 * what the process actually keeps using.
 */
import { closeSync, fsyncSync, openSync, readFileSync, readSync, realpathSync, writeFileSync } from "node:fs";
import { lazyLibc } from "../lib/libc.ts";

const PAGE_BYTES = 4096;
const MB = 1024 * 1024;

/** Clock ticks per second of /proc/PID/stat (USER_HZ: 100 on Linux). */
const CLK_TCK = 100;

/** CPU time (utime + stime, every thread, ended ones too: 10 ms resolution) and page faults, from /proc/PID/stat. */
export function procStat(pid: number): { cpuMs: number; minorFaults: number; majorFaults: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after "(comm)": the command name may hold spaces and parentheses.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK, minorFaults: Number(f[7]), majorFaults: Number(f[9]) };
}

/** `/proc/PID/status` and `/proc/PID/smaps_rollup` figures, in bytes. */
export interface MemoryFigures {
  readonly rss: number;
  readonly anon: number;
  readonly file: number;
  readonly pss: number;
}

/** RSS (anonymous, file-backed) and PSS of a running process, in bytes. */
export function memoryFigures(pid: number): MemoryFigures {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
  const kb = (text: string, key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(text)?.[1] ?? NaN) * 1024;
  return { rss: kb(status, "VmRSS"), anon: kb(status, "RssAnon"), file: kb(status, "RssFile"), pss: kb(rollup, "Pss") };
}

interface Section {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
}

/** The ELF64 section headers of a file: name, file offset and size of each allocated one. */
function elfSections(path: string): Section[] {
  const fd = openSync(path, "r");
  try {
    const read = (position: number, length: number) => {
      const b = Buffer.alloc(length);
      readSync(fd, b, 0, length, position);
      return b;
    };
    const h = read(0, 64);
    if (h.readUInt32BE(0) !== 0x7f454c46 || h[4] !== 2 || h[5] !== 1) return []; // not ELF64 little-endian
    const shoff = Number(h.readBigUInt64LE(0x28));
    const shentsize = h.readUInt16LE(0x3a);
    const shnum = h.readUInt16LE(0x3c);
    const shstrndx = h.readUInt16LE(0x3e);
    const table = read(shoff, shentsize * shnum);
    const at = (i: number) => ({
      nameOffset: table.readUInt32LE(i * shentsize),
      type: table.readUInt32LE(i * shentsize + 4),
      offset: Number(table.readBigUInt64LE(i * shentsize + 0x18)),
      size: Number(table.readBigUInt64LE(i * shentsize + 0x20)),
    });
    const strtab = at(shstrndx);
    const names = read(strtab.offset, strtab.size);
    const SHT_NOBITS = 8;
    const sections: Section[] = [];
    for (let i = 1; i < shnum; i++) {
      const s = at(i);
      if (s.type === SHT_NOBITS || s.size === 0) continue;
      const end = names.indexOf(0, s.nameOffset);
      sections.push({ name: names.toString("latin1", s.nameOffset, end), offset: s.offset, size: s.size });
    }
    return sections;
  } finally {
    closeSync(fd);
  }
}

/**
 * Bytes of the executable `exe` mapped into process `pid`, per ELF section (`.text`, `.rodata`, `.bun` —
 * Bun's embedded bundle — ...), from the present bits of /proc/PID/pagemap.
 */
export function residentSections(pid: number, exe: string): Map<string, number> {
  const path = realpathSync(exe);
  const sections = elfSections(path);
  const out = new Map<string, number>();
  const pagemap = openSync(`/proc/${pid}/pagemap`, "r");
  try {
    for (const line of readFileSync(`/proc/${pid}/maps`, "utf8").split("\n")) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ \d+\s+(.*)$/.exec(line);
      if (!m || m[4] !== path) continue;
      const lo = Number.parseInt(m[1]!, 16);
      const pages = (Number.parseInt(m[2]!, 16) - lo) / PAGE_BYTES;
      const fileOffset = Number.parseInt(m[3]!, 16);
      const entries = Buffer.alloc(pages * 8);
      readSync(pagemap, entries, 0, entries.length, (lo / PAGE_BYTES) * 8);
      for (let i = 0; i < pages; i++) {
        if ((entries.readBigUInt64LE(i * 8) >> 63n) === 0n) continue; // bit 63: page present
        const offset = fileOffset + i * PAGE_BYTES;
        const name = sections.find((s) => offset >= s.offset && offset < s.offset + s.size)?.name ?? "(headers)";
        out.set(name, (out.get(name) ?? 0) + PAGE_BYTES);
      }
    }
  } finally {
    closeSync(pagemap);
  }
  return out;
}

const POSIX_FADV_DONTNEED = 4;
const libc = lazyLibc({ posix_fadvise: { args: ["i32", "i64", "i64", "i32"], returns: "i32" } });

/**
 * Drops a file's pages from the page cache (fsync, then posix_fadvise DONTNEED; pages a running process
 * maps stay), so the next process reads it from disk as an installed binary is read. Why it matters here: a
 * binary the build has just written sits in the page cache in large folios (ext4, Linux 6.x), and a fault
 * maps a whole folio, so the same program shows several MB more RSS than when it was read from disk.
 */
export function dropFromPageCache(path: string): void {
  const fd = openSync(path, "r");
  try {
    // Dirty pages (a file just written) are not dropped: written back first.
    fsyncSync(fd);
    const rc = libc().posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    if (rc !== 0) throw new Error(`posix_fadvise(${path}) failed: errno ${rc}`);
  } finally {
    closeSync(fd);
  }
}

/** Clears the referenced bits of every page of `pid` (/proc/PID/clear_refs), starting a working-set window. */
export function clearReferenced(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, "1");
}

/** Bytes referenced since {@link clearReferenced}: anonymous pages, and file-backed pages of `exe` and of the rest. */
export function workingSet(pid: number, exe: string): { anon: number; exe: number; otherFiles: number } {
  const path = realpathSync(exe);
  const ws = { anon: 0, exe: 0, otherFiles: 0 };
  let kind: keyof typeof ws = "anon";
  for (const line of readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n")) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[1] ?? "";
      kind = name === path ? "exe" : name === "" || name.startsWith("[") ? "anon" : "otherFiles";
      continue;
    }
    const ref = /^Referenced:\s+(\d+) kB/.exec(line);
    if (ref) ws[kind] += Number(ref[1]) * 1024;
  }
  return ws;
}

/** `12.3` (MB, one decimal). */
export function mb(bytes: number): string {
  return (bytes / MB).toFixed(1);
}

/** `.text 28.9, .rodata 5.1, .bun 4.0` (MB): the sections above 0.1 MB, largest first. */
export function formatSections(sections: Map<string, number>): string {
  return [...sections].filter(([, b]) => b >= 0.1 * MB).sort((a, b) => b[1] - a[1]).map(([n, b]) => `${n} ${mb(b)}`).join(", ");
}
