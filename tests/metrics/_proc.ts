/** Watches a spawned process's output line by line, with deadline-bound waits (no sleeps). */
import type { Subprocess } from "bun";
import { LineReader } from "../_lines.ts";

/** Output lines of a process, and waits on them. */
export class ProcLines implements AsyncDisposable {
  readonly proc: Subprocess<"pipe" | "ignore", "pipe", "pipe">;
  readonly stdout: LineReader;
  readonly stderr: LineReader;

  constructor(proc: Subprocess<"pipe" | "ignore", "pipe", "pipe">) {
    this.proc = proc;
    this.stdout = new LineReader(proc.stdout);
    this.stderr = new LineReader(proc.stderr);
    this.stdout.context = () => `stderr=${JSON.stringify(this.err.slice(-10))}`;
    this.stderr.context = () => `stdout=${JSON.stringify(this.out.slice(-10))}`;
  }

  /** Lines of stdout so far. */
  get out(): string[] {
    return this.stdout.lines;
  }

  /** Lines of stderr so far. */
  get err(): string[] {
    return this.stderr.lines;
  }

  /**
   * Waits for a line on `stream` matching `match`.
   * @throws Error with the output so far after `timeoutMs` or when the stream ends
   */
  async waitFor(stream: "out" | "err", match: RegExp | ((l: string) => boolean), timeoutMs = 15_000): Promise<string> {
    return (await (stream === "out" ? this.stdout : this.stderr).waitFor(match, { timeoutMs })).line;
  }

  /** Sends SIGTERM and waits for the exit code. */
  async stop(): Promise<number> {
    try {
      this.proc.kill("SIGTERM");
    } catch {
      // gone
    }
    return await this.proc.exited;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.proc.kill("SIGKILL");
    } catch {
      // gone
    }
    await this.proc.exited;
  }
}
