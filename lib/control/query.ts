/**
 * Fleet queries on the target: the declared `[[query]]` commands, run once per redeemed challenge, at most
 * `maxConcurrent` at a time (more are refused as busy), each bounded by its timeout, its output capped
 * (4 KB of stdout, 1 KB of stderr) and marked when cut. The payload goes to the environment and stdin,
 * never into a command line.
 */
import type { QueryConfig } from "../config/index.ts";
import type { Outcome, RemoteQueries, Requester } from "./server.ts";

/** Bytes of stdout kept per answer. */
export const QUERY_STDOUT_CAP_BYTES = 4096;
/** Bytes of stderr kept per answer. */
export const QUERY_STDERR_CAP_BYTES = 1024;
/** A command that prints more than this (per stream) is killed. */
export const QUERY_KILL_AFTER_BYTES = 1 << 20;

/** What a spawner is asked to do. */
export interface SpawnQueryOptions {
  /** The whole environment of the child. */
  readonly env: Readonly<Record<string, string>>;
  readonly stdin: Uint8Array;
  readonly timeoutMs: number;
  readonly stdoutCapBytes: number;
  readonly stderrCapBytes: number;
  readonly killAfterBytes: number;
}
/** What a spawned query produced. */
export interface SpawnedQuery {
  /** The exit code; null when it was killed. */
  readonly exitCode: number | null;
  readonly killed?: "timeout" | "output" | undefined;
  readonly stdout: Uint8Array;
  /** Bytes it printed in all (more than kept when cut). */
  readonly stdoutBytes: number;
  readonly stderr: Uint8Array;
  readonly stderrBytes: number;
}
/** Runs one command (the I/O edge; tests pass a fake). */
export type QuerySpawner = (argv: readonly string[], options: SpawnQueryOptions) => Promise<SpawnedQuery>;

/** Options for {@link createRemoteQueries}. */
export interface RemoteQueriesOptions {
  /** The child's base environment (the CLI passes its own; lib never reads process.env). @default {} */
  env?: Readonly<Record<string, string | undefined>>;
  /** Queries running at once. @default 4 */
  maxConcurrent?: number;
  /** This host's name, as DISCO_HOST. */
  host?: string;
  /** Monotonic clock, for durations. @default performance.now */
  monotonicMs?: () => number;
}

const dec = new TextDecoder();

function base64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return btoa(s);
}

/** The payload as an environment value: its text when it is UTF-8 without NUL, else absent (use the base64 one). */
function payloadText(payload: Uint8Array): string | undefined {
  try {
    const t = new TextDecoder("utf-8", { fatal: true }).decode(payload);
    return t.includes("\0") ? undefined : t;
  } catch {
    return undefined;
  }
}

/**
 * The queries of `[[query]]`, run through `spawn`.
 * @returns the handler for {@link ControlServer}
 */
export function createRemoteQueries(queries: readonly QueryConfig[], spawn: QuerySpawner, options: RemoteQueriesOptions = {}): RemoteQueries {
  const max = options.maxConcurrent ?? 4;
  const now = options.monotonicMs ?? (() => performance.now());
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined && !k.startsWith("DISCO_QUERY_")) base[k] = v;
  let running = 0;
  const find = (name: string) => queries.find((q) => q.name === name);
  return {
    check(name) {
      if (find(name)) return undefined;
      return { status: "unknown-query", body: { message: `no query '${name}' is declared on this host (declared: ${queries.map((q) => q.name).join(", ") || "none"})` } };
    },
    async run(name: string, payload: Uint8Array, who: Requester): Promise<Outcome> {
      const q = find(name);
      if (!q) return this.check(name)!;
      if (running >= max) return { status: "busy", body: { message: `${max} queries are already running on this host; try again` } };
      running++;
      const started = now();
      try {
        const text = payloadText(payload);
        const env: Record<string, string> = {
          ...base,
          DISCO_QUERY_NAME: name,
          DISCO_QUERY_PAYLOAD_BASE64: base64(payload),
          DISCO_QUERY_SOURCE: who.address,
          DISCO_QUERY_KEY_ID: who.keyId,
          ...(text !== undefined && { DISCO_QUERY_PAYLOAD: text }),
          ...(options.host !== undefined && { DISCO_HOST: options.host }),
        };
        const argv = q.argv ?? ["/bin/sh", "-c", q.shell!];
        let r: SpawnedQuery;
        try {
          r = await spawn(argv, {
            env,
            stdin: payload,
            timeoutMs: q.timeoutMs,
            stdoutCapBytes: QUERY_STDOUT_CAP_BYTES,
            stderrCapBytes: QUERY_STDERR_CAP_BYTES,
            killAfterBytes: QUERY_KILL_AFTER_BYTES,
          });
        } catch (err) {
          return { status: "failed", body: { message: `cannot start ${JSON.stringify(argv[0])}: ${err instanceof Error ? err.message : String(err)}` } };
        }
        return {
          status: "ok",
          body: {
            name,
            exitCode: r.exitCode,
            ...(r.killed === "timeout" && { timedOut: true, message: `killed after its timeout of ${q.timeoutMs} ms` }),
            ...(r.killed === "output" && { message: `killed after printing more than ${QUERY_KILL_AFTER_BYTES} bytes` }),
            output: dec.decode(r.stdout),
            truncated: r.stdoutBytes > r.stdout.length,
            outputBytes: r.stdoutBytes,
            ...(r.stderrBytes > 0 && { stderr: dec.decode(r.stderr), stderrTruncated: r.stderrBytes > r.stderr.length }),
            durationMs: Math.round((now() - started) * 10) / 10,
          },
        };
      } finally {
        running--;
      }
    },
  };
}
