/**
 * Helpers for tests that drive the compiled binary: a free UDP port and a spawn killed at scope end (read
 * its output with tests/_lines.ts).
 */
import { createSocket } from "node:dgram";
import { LineReader as SharedLineReader } from "../_lines.ts";

/**
 * The older positional interface over tests/_lines.ts's reader, kept for bench/beacon.bench.ts; tests use
 * `LineReader` from tests/_lines.ts directly.
 */
export class LineReader extends SharedLineReader {
  /** Consumes lines until one satisfies `pred` (see {@link SharedLineReader.nextLine}). */
  waitLine(pred: (line: string) => boolean, timeoutMs: number, what?: string): Promise<string> {
    return this.nextLine(pred, what === undefined ? { timeoutMs } : { timeoutMs, what });
  }
}

/** A UDP port that was free a moment ago (bound to 0 and released). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A spawned process that is SIGKILLed (by its PID) when the test scope ends. */
export interface Spawned extends AsyncDisposable {
  readonly proc: Bun.Subprocess<"ignore", "pipe", "pipe">;
}

/** Spawns a process with piped stdout/stderr; `await using` kills it at the end of the scope. */
export function spawn(cmd: string[]): Spawned {
  const proc = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  return {
    proc,
    async [Symbol.asyncDispose]() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await proc.exited;
    },
  };
}
