/**
 * Drives tests/zmtp/peers/peer.py (a real libzmq peer through Debian's python3-zmq) from tests: lines in,
 * lines out, waits on output with a deadline, killed by PID on dispose.
 */
import { spawn, spawnSync, type Subprocess } from "bun";
import { join } from "node:path";
import { LineReader } from "../_lines.ts";

/** The system Python that has Debian's python3-zmq (the pyenv `python3` on PATH does not). */
export const PYTHON = "/usr/bin/python3";
const PEER = join(import.meta.dir, "peers", "peer.py");

let cached: string | undefined | null = null;
/** Why libzmq interop tests cannot run, or undefined when they can. */
export function pyzmqUnavailable(): string | undefined {
  if (cached !== null) return cached;
  const p = spawnSync([PYTHON, "-c", "import zmq"], { stdout: "ignore", stderr: "ignore" });
  cached = p.exitCode === 0 ? undefined : `${PYTHON} cannot import zmq: apt-get install python3-zmq (CI installs it)`;
  return cached;
}

/** A running libzmq peer. */
export class PyPeer implements AsyncDisposable {
  readonly proc: Subprocess<"pipe", "pipe", "pipe">;
  readonly stdout: LineReader;
  readonly #stderr: LineReader;

  constructor(args: readonly string[]) {
    const proc = spawn([PYTHON, PEER, ...args], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    this.proc = proc;
    this.stdout = new LineReader(proc.stdout);
    this.#stderr = new LineReader(proc.stderr);
    this.stdout.context = () => `stderr=${this.#stderr.text}`;
  }

  /** The peer's output lines so far. */
  get lines(): string[] {
    return this.stdout.lines;
  }

  /** Sends one command line. */
  write(line: string): void {
    this.proc.stdin.write(`${line}\n`);
    this.proc.stdin.flush();
  }

  /**
   * Waits for an output line (from index `from`) that satisfies `match`.
   * @returns the line and its index
   * @throws Error after `timeoutMs` or when the peer exits, with its output
   */
  waitFor(match: (line: string) => boolean, from = 0, timeoutMs = 10_000): Promise<{ line: string; index: number }> {
    return this.stdout.waitFor(match, { from, timeoutMs });
  }

  /** The words after "ready" (endpoints). */
  async ready(): Promise<string[]> {
    const { line } = await this.waitFor((l) => l.startsWith("ready"));
    return line.split(" ").slice(1);
  }

  /** Kills the peer and waits for it to exit. */
  async close(): Promise<void> {
    try {
      this.proc.kill();
    } catch {
      // already gone
    }
    await this.proc.exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** Hex of bytes (or of UTF-8 text), the peer's wire form. */
export function hex(data: Uint8Array | string): string {
  return Buffer.from(typeof data === "string" ? new TextEncoder().encode(data) : data).toString("hex");
}

/** The peer's "msg" line for these frames. */
export function msgLine(parts: readonly (Uint8Array | string)[]): string {
  return `msg ${parts.map(hex).join(",")}`;
}

/** Resolves `promise` or rejects after `ms` with `what`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]);
  } finally {
    clearTimeout(t);
  }
}
