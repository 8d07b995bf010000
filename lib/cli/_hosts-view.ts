/**
 * How `disco hosts` shows the membership table: a table that fits the terminal (width and height, the
 * interesting states first, a "+N more" line for what does not fit), its state column coloured where the
 * terminal takes colour, and the JSON form of a host with its age and wall-clock time.
 */
import type { HostRecord, MembershipEvent } from "../beacon/index.ts";
import type { FoundHost } from "../discovery/index.ts";
import { compareNatural, escapeForTerminal } from "../text/index.ts";
import type { CliIo } from "./command.ts";

/**
 * A row of the table: a host heard by its beacons, or (`disco hosts --ask`) one that answered the discovery
 * query, or both merged by name. A host that only answered has state "answered" and no beacon fields.
 */
export interface HostView extends Omit<HostRecord, "state" | "source" | "intervalMs" | "lastSeenMs" | "lastSeenUnixMs"> {
  readonly state: HostRecord["state"] | "answered";
  readonly source?: HostRecord["source"];
  readonly intervalMs?: number;
  readonly lastSeenMs?: number;
  readonly lastSeenUnixMs?: number;
  /** Set when the host answered the discovery query. */
  readonly answer?: { readonly rttMs: number; readonly uptimeSec?: number; readonly from: string };
}

type State = HostView["state"];

/**
 * Failed and suspect hosts are what a person looks for: they come first, so a full screen keeps them. Only
 * the states a table holds are ranked (and coloured): a state that only a `leave` event's record carries
 * never reaches a row, and would sort last, uncoloured.
 */
const STATE_RANK: Readonly<Partial<Record<State, number>>> = { failed: 0, suspect: 1, alive: 2, answered: 3 };

/** SGR colours of the state column. */
const STATE_COLOR: Readonly<Partial<Record<State, string>>> = { failed: "\x1b[31m", suspect: "\x1b[33m", alive: "\x1b[32m", answered: "\x1b[36m" };

const rankOf = (s: State): number => STATE_RANK[s] ?? 4;

/**
 * Merges the answers of one discovery query into the beacon view, by host name: an answer adds its
 * services and version where the beacons carried none (disco.py beacons carry neither), and its addresses;
 * a host that only answered becomes a row of its own.
 */
export function mergeAnswers(hosts: readonly HostView[], answers: readonly FoundHost[]): HostView[] {
  const rows = new Map<string, HostView>(hosts.map((h) => [h.host, h]));
  for (const a of answers) {
    const answer = { rttMs: a.rttMs, from: a.from, ...(a.uptimeSec !== undefined && { uptimeSec: a.uptimeSec }) };
    const known = rows.get(a.host);
    const version = known?.version ?? a.version;
    const services = known?.services ?? (Object.keys(a.services).length ? a.services : undefined);
    rows.set(a.host, {
      ...(known ?? { host: a.host, state: "answered" as const }),
      addresses: [...new Set([...(known?.addresses ?? []), ...a.addresses])],
      ...(version !== undefined && { version }),
      ...(services !== undefined && { services }),
      answer,
    });
  }
  return [...rows.values()];
}

/**
 * Applies one event of the daemon's membership stream to a watcher's copy of its table. A host's record
 * never goes back in time: an event older than what a snapshot ({@link refreshHosts}, over another
 * connection) already showed is skipped, since whatever changed after that snapshot follows on the stream.
 * @param hosts the watcher's table, changed in place
 * @param e the event, as the daemon sent it
 */
export function applyHostEvent(hosts: Map<string, HostRecord>, e: MembershipEvent): void {
  if (e.type === "leave") {
    hosts.delete(e.host.host);
    return;
  }
  const held = hosts.get(e.host.host);
  if (held !== undefined && held.lastSeenMs > e.host.lastSeenMs) return;
  hosts.set(e.host.host, e.host);
}

/**
 * Takes a fresh `hosts` answer of the daemon into a watcher's copy of its table. The daemon's stream
 * carries membership changes, not each beacon, so a host's last seen time (and its learned interval, and
 * which address it was heard on last) is only current in a snapshot. Membership stays the stream's: a host
 * the stream has not announced yet is not added, nor is one it removed brought back, and a host's record
 * is taken only when the snapshot heard it later. The one exception is a failed host the snapshot no
 * longer has: the daemon forgot or evicted it, which the stream does not announce.
 * @param hosts the watcher's table, changed in place
 * @param snapshot the hosts of a `hosts` answer, on the same daemon clock as the stream's records
 */
export function refreshHosts(hosts: Map<string, HostRecord>, snapshot: readonly HostRecord[]): void {
  const fresh = new Map(snapshot.map((h) => [h.host, h]));
  for (const [name, held] of hosts) {
    const now = fresh.get(name);
    if (now === undefined) {
      if (held.state === "failed") hosts.delete(name);
    } else if (now.lastSeenMs > held.lastSeenMs) hosts.set(name, now);
  }
}

const RESET = "\x1b[0m";

/** Whether to colour: a terminal that is not "dumb", and no `NO_COLOR` (https://no-color.org). */
export function colorEnabled(io: CliIo): boolean {
  const noColor = io.env["NO_COLOR"];
  return io.stdoutIsTTY && (noColor === undefined || noColor === "") && io.env["TERM"] !== "dumb";
}

/** What {@link renderHosts} fits the table into. */
export interface HostsTableOptions {
  /** The monotonic clock now, in ms (for "last seen"). */
  nowMs: number;
  /** Width in columns; longer lines are cut. @default 160 */
  columns?: number;
  /** Lines the table may use, header included; hosts that do not fit become one "+N more" line. @default all */
  maxLines?: number;
  /** Colour the state column. @default false */
  color?: boolean;
}

/** "3s ago", "2m5s ago", "1h4m ago". */
export function formatAgo(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""} ago`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m ago`;
}

/** A beacon interval: "15s", "1.5s", "250ms"; a learned one is marked "~". */
function formatInterval(h: HostView): string {
  const ms = h.intervalMs;
  if (ms === undefined) return "-";
  const text = ms < 1000 ? `${Math.round(ms)}ms` : `${Number((ms / 1000).toFixed(1))}s`;
  return h.learnedIntervalMs !== undefined ? `~${text}` : text;
}

/** Hosts in display order: failed, suspect, alive; by name within a state. */
export function sortHosts<H extends HostView>(hosts: readonly H[]): H[] {
  return [...hosts].sort((a, b) => rankOf(a.state) - rankOf(b.state) || compareNatural(a.host, b.host));
}

const HEADER = ["HOST", "ADDRESS", "STATE", "EVERY", "VERSION", "LAST SEEN", "SERVICES"] as const;
const STATE_COLUMN = 2;

/** One host's cells, as the text they show, unescaped (renderHosts escapes every cell in one place). */
function cellsOf(h: HostView, nowMs: number): string[] {
  const address = h.addresses[0] ?? "-";
  return [
    h.host,
    h.addresses.length > 1 ? `${address} +${h.addresses.length - 1}` : address,
    h.state,
    formatInterval(h),
    h.version ?? "-",
    h.lastSeenMs !== undefined ? formatAgo(nowMs - h.lastSeenMs) : `answered in ${Math.round(h.answer?.rttMs ?? 0)} ms`,
    h.services ? Object.keys(h.services).join(",") : "",
  ];
}

/**
 * Renders the table: one line per host, columns padded, each line cut to the width. Every cell is escaped
 * for the terminal here, whatever its column: names, addresses, versions and services come from strangers
 * (beacons, discovery answers), and a column added later is escaped without having to remember it.
 * @returns the lines (no newline), header first
 */
export function renderHosts(hosts: readonly HostView[], o: HostsTableOptions): string[] {
  const width = o.columns !== undefined && o.columns >= 20 ? o.columns : 160;
  const sorted = sortHosts(hosts);
  let shown = sorted;
  let more: string | undefined;
  if (o.maxLines !== undefined && sorted.length + 1 > o.maxLines) {
    // The header, the hosts that fit, and one line for the rest.
    shown = sorted.slice(0, Math.max(0, o.maxLines - 2));
    const rest = sorted.slice(shown.length);
    const byState = (["failed", "suspect", "alive", "answered"] as const).map((s) => [s, rest.filter((h) => h.state === s).length] as const).filter(([, n]) => n > 0);
    more = `+${rest.length} more (${byState.map(([s, n]) => `${n} ${s}`).join(", ")})`;
  }
  const rows: string[][] = [[...HEADER], ...shown.map((h) => cellsOf(h, o.nowMs).map(escapeForTerminal))];
  const widths = HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const stateStart = widths.slice(0, STATE_COLUMN).reduce((a, w) => a + w + 2, 0);
  const lines = rows.map((r, row) => {
    const plain = r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").slice(0, width).trimEnd();
    const state = shown[row - 1]?.state;
    // Colour only a state cell that is wholly on screen, so the codes never split a cut line.
    const color = state !== undefined ? STATE_COLOR[state] : undefined;
    if (!o.color || state === undefined || color === undefined || stateStart + state.length > plain.length) return plain;
    return `${plain.slice(0, stateStart)}${color}${state}${RESET}${plain.slice(stateStart + state.length)}`;
  });
  if (more !== undefined && (o.maxLines ?? 2) >= 2) lines.push(more.slice(0, width));
  return lines;
}

/** A host for JSON: its record, plus `ageMs` (since last heard) and `lastSeen` (ISO 8601, wall clock) when heard. */
export function hostJson<H extends HostView>(h: H, nowMs: number): H & { ageMs?: number; lastSeen?: string } {
  if (h.lastSeenMs === undefined || h.lastSeenUnixMs === undefined) return h;
  return { ...h, ageMs: Math.max(0, Math.round(nowMs - h.lastSeenMs)), lastSeen: new Date(h.lastSeenUnixMs).toISOString() };
}

const HOME = "\x1b[H";
const CLEAR_LINE = "\x1b[K";
const CLEAR_BELOW = "\x1b[J";
/** Clears the screen and homes the cursor (first frame, and after a resize). */
export const CLEAR_SCREEN = "\x1b[2J\x1b[H";

/**
 * One frame of the live view: from the top left, each line cleared to its end, nothing below. No newline
 * after the last line, so a frame as tall as the terminal does not scroll it.
 */
export function frame(lines: readonly string[]): string {
  return `${HOME}${lines.map((l) => `${l}${CLEAR_LINE}`).join("\n")}${CLEAR_BELOW}`;
}

/**
 * The lines of one frame of `disco hosts --watch`: the table fitted to the terminal above the footer
 * (status and, with --stats, the counters), the footer dropped when even it does not fit.
 */
export function liveLines(hosts: readonly HostView[], footer: readonly string[], o: Omit<HostsTableOptions, "maxLines"> & { rows?: number }): string[] {
  const rows = o.rows !== undefined && o.rows >= 4 ? o.rows : undefined;
  const keep = rows === undefined || rows - footer.length - 1 >= 3 ? footer : footer.slice(0, 1);
  const table = renderHosts(hosts, { ...o, ...(rows !== undefined && { maxLines: rows - keep.length - 1 }) });
  return [...table, "", ...keep];
}
