/** What `disco status` shows: the daemon's state as plain JSON-able values. */

/** A task's state: being prepared, running, waiting to restart after a failure, or stopped. */
export type TaskState = "starting" | "running" | "backoff" | "stopped";

/** One task in {@link DaemonStatus}. */
export interface TaskStatus {
  readonly name: string;
  readonly state: TaskState;
  /** Unix ms of the last state change. */
  readonly sinceUnixMs: number;
  /** Restarts after failures since the task was (re)built. */
  readonly restarts: number;
  /** The last failure's message. */
  readonly lastError?: string;
  /** In backoff: unix ms of the next attempt. */
  readonly retryAtUnixMs?: number;
  /** The task's own counters (packets, drops, ...). */
  readonly counters?: Readonly<Record<string, unknown>>;
}

/** The result of the last reload. */
export interface ReloadOutcome {
  readonly ok: boolean;
  /** The generation running afterwards. */
  readonly generation: number;
  readonly atUnixMs: number;
  /** Why it was refused (every problem). */
  readonly problems?: readonly string[];
  /** Tasks that were replaced, updated in place, started and stopped. */
  readonly changes?: { readonly replaced: readonly string[]; readonly updated: readonly string[]; readonly started: readonly string[]; readonly stopped: readonly string[] };
  /** What else a successful reload changed, or could not change until the next start (e.g. the control socket). */
  readonly notes?: readonly string[];
  /** The config file the daemon read (absolute), when it reads one. */
  readonly config?: string;
}

/** Hosts of the membership table by state. */
export interface HostCounts {
  readonly alive: number;
  readonly suspect: number;
  readonly failed: number;
}

/** The daemon's state. */
export interface DaemonStatus {
  readonly version: string;
  readonly pid: number;
  readonly host: string;
  readonly startedUnixMs: number;
  readonly uptimeMs: number;
  /** The config file (undefined: the defaults). */
  readonly config?: string;
  /** 1 at start, +1 per successful reload. */
  readonly generation: number;
  readonly lastReload?: ReloadOutcome;
  readonly tasks: readonly TaskStatus[];
  readonly hosts: HostCounts;
}

/** One line for systemd's STATUS= and logs: hosts alive, tasks ok / failing. */
export function summarizeStatus(s: DaemonStatus): string {
  const ok = s.tasks.filter((t) => t.state === "running").length;
  const failing = s.tasks.filter((t) => t.state === "backoff").map((t) => t.name);
  const hosts = `${s.hosts.alive} host${s.hosts.alive === 1 ? "" : "s"} alive${s.hosts.suspect ? `, ${s.hosts.suspect} suspect` : ""}`;
  return `${hosts}; ${ok}/${s.tasks.length} tasks ok${failing.length ? `, failing: ${failing.join(", ")}` : ""}; generation ${s.generation}`;
}
