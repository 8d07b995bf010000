/**
 * Giving back the executable's start-up pages. A compiled Bun binary maps much of its 110 MB file while it
 * starts: the runtime's code, its read-only data and the embedded bundle are read while the runtime starts
 * and the bundle loads, and most are not touched again. Mapped, they count in the process's RSS (about
 * 35 MB of an idle daemon's 44 MB, against 8 MB of its own memory), and the kernel holds on to them: it
 * reclaims mapped executable pages last, after every unmapped page of the page cache.
 *
 * Two madvise(2) advices over the executable's own mappings unmap them:
 *
 * - `MADV_DONTNEED` on a read-only mapping (code, read-only data) that holds no private page. Such a
 *   mapping is nothing but clean copies of the file: a page used again is mapped again at its next touch,
 *   from the page cache (or read back from the file), with the same bytes (the kernel refuses writes to
 *   a running executable, ETXTBSY; an upgrade that replaces the file leaves this process the old inode).
 *   It needs no permission, so it works for the unit's unprivileged user. A read-only mapping WITH private pages (RELRO data relocated
 *   at start-up, JavaScriptCore's frozen config) would lose them, so it is never given this advice.
 * - `MADV_PAGEOUT` (Linux 5.4) on the others: it reclaims clean file pages and keeps private ones (there
 *   is no swap to page them to). The kernel only applies it to file pages of a file the process could
 *   write, so as the unit's user it leaves these alone; they are a few hundred kB.
 *
 * Pages that another process also maps (a second `disco`) stay where they are for that process. What
 * stays mapped afterwards is what the process really uses, about 4 to 8 MB of code for an idle daemon; the
 * rest is page cache that the kernel drops first when it needs memory.
 */
import { readFileSync, readlinkSync } from "node:fs";
import { sleepUnlessAborted } from "./async/index.ts";
import { DiscoError } from "./errors.ts";
import { errnoFrom, lazyLibc } from "./libc.ts";

/** The executable's pages could not be given back: nothing else changes. */
export class PageOutError extends DiscoError {
  override name = "PageOutError";
  /** The errno of the failed madvise, where that is what failed. */
  readonly errno?: number;
  constructor(message: string, options?: { cause?: unknown; errno?: number }) {
    super(message, options);
    if (options?.errno !== undefined) this.errno = options.errno;
  }
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

const MADV_DONTNEED = 4;
const MADV_PAGEOUT = 21;
const EINVAL = 22;

const load = lazyLibc({
  madvise: { args: ["u64", "u64", "i32"], returns: "i32" },
  __errno_location: { args: [], returns: "ptr" },
});

/** One mapping of /proc/PID/smaps. */
export interface Mapping {
  readonly start: bigint;
  readonly end: bigint;
  /** `r-xp` and the like. */
  readonly perms: string;
  readonly path: string;
  /** Private (anonymous) pages in the mapping, in kB: copies written since it was mapped. */
  readonly anonymousKb: number;
}

/** A mapping's first line; anonymous mappings have no path (and no padding after the inode). */
const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+(?: +(.*))?$/;

/** The mappings of a /proc/PID/smaps text whose path is exactly `path`. */
export function mappingsOf(smaps: string, path: string): Mapping[] {
  const out: Mapping[] = [];
  let current: { start: bigint; end: bigint; perms: string; path: string; anonymousKb: number } | undefined;
  for (const line of smaps.split("\n")) {
    const m = HEADER.exec(line);
    if (m) {
      current = m[4] === path ? { start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), perms: m[3]!, path, anonymousKb: NaN } : undefined;
      if (current) out.push(current);
    } else if (current && line.startsWith("Anonymous:")) {
      current.anonymousKb = Number(/(\d+) kB/.exec(line)?.[1] ?? NaN);
    }
  }
  return out;
}

/** The advice a mapping gets: DONTNEED only where that cannot lose a byte (see the module's comment). */
export function adviceFor(m: Mapping): "dontneed" | "pageout" {
  return !m.perms.includes("w") && m.anonymousKb === 0 ? "dontneed" : "pageout";
}

/** `VmRSS` of a /proc/PID/status text, in bytes (undefined when the line is missing). */
export function rssBytes(status: string): number | undefined {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** What {@link pageOutExecutable} did. */
export interface PageOutResult {
  /** The executable's path. */
  readonly path: string;
  /** The mappings unmapped (MADV_DONTNEED) and advised to be reclaimed (MADV_PAGEOUT). */
  readonly dontneed: number;
  readonly pageout: number;
  /**
   * The process's RSS before and after, in bytes. (The executable's pages count as RssFile, or as RssShmem
   * when it lives on tmpfs; either way in VmRSS.)
   */
  readonly rssBefore: number;
  readonly rssAfter: number;
}

/**
 * Gives the kernel back the pages of this process's executable (every mapping of /proc/self/exe).
 * @throws {PageOutError} when /proc cannot be read, libc cannot be loaded, or madvise fails (EPERM under
 *   a seccomp filter that refuses it); MADV_PAGEOUT's EINVAL (Linux before 5.4) only skips those mappings
 */
export function pageOutExecutable(): PageOutResult {
  let exe: string;
  let mappings: Mapping[];
  let before: number | undefined;
  let symbols: ReturnType<typeof load>;
  try {
    exe = readlinkSync("/proc/self/exe");
    before = rssBytes(readFileSync("/proc/self/status", "utf8"));
    mappings = mappingsOf(readFileSync("/proc/self/smaps", "utf8"), exe);
    symbols = load();
  } catch (err) {
    throw new PageOutError(`cannot give back the executable's pages: ${message(err)}`, { cause: err });
  }
  let dontneed = 0;
  let pageout = 0;
  for (const m of mappings) {
    const advice = adviceFor(m);
    if (symbols.madvise(m.start, m.end - m.start, advice === "dontneed" ? MADV_DONTNEED : MADV_PAGEOUT) === 0) {
      if (advice === "dontneed") dontneed++;
      else pageout++;
      continue;
    }
    const errno = errnoFrom(symbols.__errno_location);
    if (advice === "pageout" && errno === EINVAL) continue;
    const why = errno === 1 ? "EPERM: refused by a seccomp filter" : `errno ${errno}`;
    throw new PageOutError(`madvise(${advice === "dontneed" ? "MADV_DONTNEED" : "MADV_PAGEOUT"}) over ${exe} failed (${why})`, { errno });
  }
  const after = rssBytes(readFileSync("/proc/self/status", "utf8"));
  return { path: exe, dontneed, pageout, rssBefore: before ?? 0, rssAfter: after ?? 0 };
}

/** One line for a log: what a page-out gave back, or why it gave back nothing. */
export function describePageOut(outcome: PageOutResult | PageOutError): string {
  if (outcome instanceof PageOutError) return `${outcome.message}; the start-up pages stay mapped`;
  const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
  return `gave back the executable's start-up pages: RSS ${mb(outcome.rssBefore)} -> ${mb(outcome.rssAfter)} MB`;
}

/** How long a started (or reloaded) process runs before its start-up pages go back: its first rounds. */
export const SETTLE_MS = 2000;

/** Options of {@link pageOutWhenSettled}. */
export interface PageOutWhenSettledOptions {
  /** How long after the last `request()` the pages go back. @default {@link SETTLE_MS} */
  readonly delayMs?: number;
  /** Receives what was given back, or why nothing was. */
  readonly done: (outcome: PageOutResult | PageOutError) => void;
  /** @default {@link pageOutExecutable} */
  readonly pageOut?: () => PageOutResult;
  /** Waits `ms`, or less when the signal aborts (never rejects). @default {@link sleepUnlessAborted} */
  readonly clock?: { sleep(ms: number, signal: AbortSignal): Promise<void> };
}

/**
 * Gives the executable's pages back once, `delayMs` after the last call of `request()`: a process that has
 * just started or reloaded settles first, so the code of its first rounds is not paged out just before it
 * runs. `cancel()` drops a pending page-out (call it on stop: the wait holds the event loop).
 */
export function pageOutWhenSettled(options: PageOutWhenSettledOptions): { request(): void; cancel(): void } {
  const { delayMs = SETTLE_MS, done, pageOut = pageOutExecutable, clock = { sleep: sleepUnlessAborted } } = options;
  let pending: AbortController | undefined;
  const cancel = () => {
    pending?.abort();
    pending = undefined;
  };
  return {
    request() {
      cancel();
      const mine = (pending = new AbortController());
      void clock.sleep(delayMs, mine.signal).then(() => {
        if (mine.signal.aborted) return;
        pending = undefined;
        try {
          done(pageOut());
        } catch (err) {
          done(err instanceof PageOutError ? err : new PageOutError(message(err), { cause: err }));
        }
      });
    },
    cancel,
  };
}
