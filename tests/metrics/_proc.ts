/** Watches a spawned process's output line by line, with deadline-bound waits (no sleeps). */
import type { Subprocess } from "bun";

/** Output lines of a process, and waits on them. */
export class ProcLines implements AsyncDisposable {
  readonly out: string[] = [];
  readonly err: string[] = [];
  readonly proc: Subprocess<"pipe" | "ignore", "pipe", "pipe">;
  #waiters = new Set<() => void>();
  #ended = 0;

  constructor(proc: Subprocess<"pipe" | "ignore", "pipe", "pipe">) {
    this.proc = proc;
    void this.#pump(proc.stdout, this.out);
    void this.#pump(proc.stderr, this.err);
  }

  async #pump(stream: ReadableStream<Uint8Array>, into: string[]): Promise<void> {
    const dec = new TextDecoder();
    let buf = "";
    for await (const chunk of stream) {
      buf += dec.decode(chunk, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        into.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      for (const w of this.#waiters) w();
    }
    if (buf) into.push(buf);
    this.#ended++;
    for (const w of this.#waiters) w();
  }

  /**
   * Waits for a line on `stream` matching `match`.
   * @throws Error with the output so far after `timeoutMs` or when the process ends
   */
  async waitFor(stream: "out" | "err", match: RegExp | ((l: string) => boolean), timeoutMs = 15_000): Promise<string> {
    const test = typeof match === "function" ? match : (l: string) => match.test(l);
    const lines = stream === "out" ? this.out : this.err;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = lines.find(test);
      if (hit !== undefined) return hit;
      const left = deadline - Date.now();
      if (this.#ended === 2 || left <= 0) {
        throw new Error(`${this.#ended === 2 ? "process ended" : "timed out"} waiting for ${String(match)}; stdout=${JSON.stringify(this.out.slice(-10))} stderr=${JSON.stringify(this.err.slice(-10))}`);
      }
      await new Promise<void>((resolve) => {
        const w = () => {
          clearTimeout(t);
          this.#waiters.delete(w);
          resolve();
        };
        const t = setTimeout(w, left);
        this.#waiters.add(w);
      });
    }
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
