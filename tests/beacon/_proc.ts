/**
 * Helpers for tests that drive the compiled binary: a line reader with deadlines (no sleeps) and a free
 * UDP port.
 */
import { createSocket } from "node:dgram";

/** Reads a byte stream line by line; every wait has a deadline. */
export class LineReader {
  readonly #reader: { read(): Promise<{ done: boolean; value?: Uint8Array | undefined }> };
  readonly #dec = new TextDecoder();
  #buf = "";
  #done = false;
  #pending: Promise<{ done: boolean; value?: Uint8Array | undefined }> | undefined;
  /** Everything read so far. */
  text = "";

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
  }

  /** Reads more bytes, or returns false at the deadline or end of stream. */
  async #more(deadline: number): Promise<boolean> {
    if (this.#done) return false;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    this.#pending ??= this.#reader.read();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const r = await Promise.race([this.#pending, new Promise<undefined>((res) => (timer = setTimeout(() => res(undefined), left)))]);
    clearTimeout(timer);
    if (r === undefined) return false;
    this.#pending = undefined;
    if (r.done) {
      this.#done = true;
      return false;
    }
    const chunk = this.#dec.decode(r.value, { stream: true });
    this.#buf += chunk;
    this.text += chunk;
    return true;
  }

  /** The next full line, or undefined at the deadline / end of stream. */
  async line(timeoutMs: number): Promise<string | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const i = this.#buf.indexOf("\n");
      if (i >= 0) {
        const l = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 1);
        return l;
      }
      if (!(await this.#more(deadline))) return undefined;
    }
  }

  /** Reads lines until one matches; throws with what was read at the deadline. */
  async waitLine(pred: (line: string) => boolean, timeoutMs: number, what = "a matching line"): Promise<string> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const l = await this.line(deadline - performance.now());
      if (l === undefined) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; read:\n${this.text.slice(-2000)}`);
      if (pred(l)) return l;
    }
  }

  /** Reads until the whole text read so far satisfies `pred`; throws at the deadline. */
  async waitText(pred: (text: string) => boolean, timeoutMs: number, what = "output"): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (!pred(this.text)) {
      if (!(await this.#more(deadline))) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; read:\n${JSON.stringify(this.text.slice(-2000))}`);
    }
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
