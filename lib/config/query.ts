/**
 * `[control]` (the remote-control endpoint: remote GPIO and fleet queries) and `[[query]]` (the fleet
 * queries this host answers, like serf's query handlers).
 */
import { NAME_PATTERN, NAME_RULE, type Section } from "./_schema.ts";

/** `[[query]]`: one named command this host runs when asked. */
export interface QueryConfig {
  readonly name: string;
  /** The program and its arguments, run without a shell. */
  readonly argv?: readonly string[];
  /** A shell line, run with `/bin/sh -c`; the payload is never put into it (it is in the environment and on stdin). */
  readonly shell?: string;
  /** Killed (SIGKILL) after this, in ms. @default 5000 */
  readonly timeoutMs: number;
}

/** `[control]` and the `[[query]]` list. */
export interface ControlConfig {
  /** Whether `disco run` serves control (it also needs a key: control never runs unsealed). @default true */
  readonly enabled: boolean;
  /** UDP port of the control endpoint. @default 40001 */
  readonly port: number;
  /** Queries running at once; more are refused as busy. @default 4 */
  readonly maxConcurrentQueries: number;
  /** How long a challenge stays valid on the target's monotonic clock, in ms. @default 5000 */
  readonly challengeTtlMs: number;
  /** How long `disco query` and `disco gpio --host` wait for answers, in ms. @default 3000 */
  readonly timeoutMs: number;
  /** `[[query]]`, in order. */
  readonly queries: readonly QueryConfig[];
}

/**
 * Reads and validates `[control]` and `[[query]]`; every problem is reported with its key.
 * @param s the `[control]` section
 * @param queries the `[[query]]` tables
 */
export function readControl(s: Section, queries: readonly Section[]): ControlConfig {
  const enabled = s.bool("enabled", { default: true });
  const port = s.int("port", { default: 40001, min: 1, max: 65535 });
  const maxConcurrentQueries = s.int("max_concurrent_queries", { default: 4, min: 1, max: 256 });
  const challengeTtlMs = s.durationMs("challenge_ttl", { default: 5000, minMs: 100, maxMs: 60_000 });
  const timeoutMs = s.durationMs("timeout", { default: 3000, minMs: 10, maxMs: 3_600_000 });
  s.done();
  const out: QueryConfig[] = [];
  const seen = new Map<string, string>();
  for (const t of queries) {
    const name = t.string("name", { required: true, pattern: NAME_PATTERN, patternText: NAME_RULE });
    if (name !== undefined) {
      const prev = seen.get(name);
      if (prev) t.problem("name", `duplicate query name '${name}' (already used by ${prev})`);
      else seen.set(name, t.path);
    }
    let argv: readonly string[] | undefined;
    let shell: string | undefined;
    const raw = t.accept("command");
    if (raw === undefined) t.problem("command", "is required (an argv list such as [\"cat\", \"/proc/uptime\"], or a shell line)");
    else if (typeof raw === "string") {
      if (raw.trim() === "") t.problem("command", "expected a non-empty shell line");
      else shell = raw;
    } else if (Array.isArray(raw) && raw.length > 0 && raw.every((x) => typeof x === "string") && (raw[0] as string) !== "") argv = raw as string[];
    else t.problem("command", "expected a non-empty list of strings (program first) or a shell line");
    const timeoutMs = t.durationMs("timeout", { default: 5000, minMs: 10, maxMs: 3_600_000 });
    t.done();
    if (name !== undefined && (argv || shell !== undefined)) out.push({ name, ...(argv && { argv }), ...(shell !== undefined && { shell }), timeoutMs });
  }
  return { enabled, port, maxConcurrentQueries, challengeTtlMs, timeoutMs, queries: out };
}
