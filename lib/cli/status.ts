import type { DaemonStatus, TaskStatus } from "../daemon/index.ts";
import { parseFlags } from "./_args.ts";
import { askDaemon, CONTROL_FLAGS, controlSocketPath } from "./_daemon-socket.ts";
import type { Command } from "./command.ts";
import { escapeForTerminal, jsonForTerminal } from "../text/index.ts";

const HELP = `Usage: disco status [-c FILE | --socket PATH] [--json]

Asks the running daemon ('disco run') over its control socket, at once: version, uptime, the config and
its generation with the last reload's result, every task (state, since when, restarts, last error), the
counters of each capability, and the hosts heard by state.

Flags:
  -c, --config FILE    find the socket through this config's [daemon] control_socket
  -s, --socket PATH    ask this socket (default: the default config's, else /run/disco/disco.sock)
      --json           the status as one JSON object
  -v, --verbose        accepted for symmetry with the other commands (also --debug)

Examples:
  disco status
  disco status -c /etc/disco.toml --json | jq '.tasks[] | select(.state != "running")'

Exit codes: 0 answered, 1 no daemon answers (or the socket is refused to this user), 2 usage error.
`;

/** "3h 12m", "42s", "1d 2h": a duration for people. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Flattens counters to `name=value` words (nested objects with dots, their zero entries left out). */
function flatten(v: unknown, prefix = ""): string[] {
  if (v === null || typeof v !== "object") return [`${prefix}=${typeof v === "number" && !Number.isInteger(v) ? v.toFixed(2) : String(v)}`];
  return Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => !(prefix && x === 0))
    .flatMap(([k, x]) => flatten(x, prefix ? `${prefix}.${k}` : k));
}

function taskLine(t: TaskStatus, now: number, width: number): string {
  const parts = [t.name.padEnd(width), t.state.padEnd(8), `for ${formatDuration(now - t.sinceUnixMs)}`.padEnd(12), `restarts ${t.restarts}`];
  if (t.retryAtUnixMs !== undefined) parts.push(`retry in ${formatDuration(t.retryAtUnixMs - now + 999)}`);
  if (t.lastError !== undefined) parts.push(`last error: ${t.lastError}`);
  return `  ${parts.join("  ")}`;
}

/**
 * The status for people. What it quotes may come from strangers (a task's last error names what a peer
 * sent, a reload's problems quote the config), so every line is escaped for the terminal here.
 * @param nowUnixMs the reader's clock (for "for 3m" and "retry in 2s")
 */
export function formatStatus(s: DaemonStatus, nowUnixMs: number): string {
  const lines = [`disco ${s.version} on ${s.host}, pid ${s.pid}, up ${formatDuration(s.uptimeMs)}`];
  lines.push(`config ${s.config ?? "(defaults)"}, generation ${s.generation}`);
  const r = s.lastReload;
  if (r) {
    const when = `${formatDuration(nowUnixMs - r.atUnixMs)} ago`;
    if (r.ok) {
      const c = r.changes;
      const what = c ? [c.replaced.length && `replaced ${c.replaced.join(", ")}`, c.updated.length && `updated ${c.updated.join(", ")}`, c.started.length && `started ${c.started.join(", ")}`, c.stopped.length && `stopped ${c.stopped.join(", ")}`].filter(Boolean).join("; ") : "";
      lines.push(`last reload ${when}: ok${what ? ` (${what})` : " (nothing changed)"}`);
    } else {
      lines.push(`last reload ${when}: REFUSED, generation ${r.generation} kept:`, ...(r.problems ?? []).map((p) => `    ${p}`));
    }
  }
  const width = Math.max(4, ...s.tasks.map((t) => t.name.length));
  lines.push("tasks:", ...s.tasks.map((t) => taskLine(t, nowUnixMs, width)));
  lines.push(`hosts: ${s.hosts.alive} alive, ${s.hosts.suspect} suspect, ${s.hosts.failed} failed`);
  const counted = s.tasks.filter((t) => t.counters && Object.keys(t.counters).length > 0);
  if (counted.length) lines.push("counters:", ...counted.map((t) => `  ${t.name.padEnd(width)}  ${flatten(t.counters).join(" ")}`));
  // One line per entry: a newline inside a field (an error message) is escaped with the rest.
  return `${lines.map(escapeForTerminal).join("\n")}\n`;
}

/** `disco status`: asks the running daemon. */
export const command: Command = {
  name: "status",
  async run(argv, io) {
    const { values: v, help } = parseFlags("status", argv, { ...CONTROL_FLAGS, json: { type: "boolean" } });
    if (help) {
      io.out(HELP);
      return 0;
    }
    const path = controlSocketPath("status", v);
    const asked = await askDaemon(path, { request: "status" });
    if (!asked.ok) {
      io.err(`disco status: ${escapeForTerminal(asked.reason)}\n`);
      return 1;
    }
    io.out(v.json ? `${jsonForTerminal(asked.result)}\n` : formatStatus(asked.result as DaemonStatus, Date.now()));
    return 0;
  },
};
