/**
 * Test helper: wait on what a child process (or a socket) produces, event-driven and always with a deadline,
 * never a sleep. {@link LineReader} splits a byte stream into lines; {@link Changes} is the wake-up set under
 * it, for tests that wait on something other than lines (bytes received, a socket closing).
 */

/** How long a wait lasts and what to call it in the error. */
export interface WaitOptions {
  /** @default 15_000 */
  timeoutMs?: number;
  /** Named in the error message. @default the pattern, or "a matching line" */
  what?: string;
}

/** Waiters woken whenever the watched state changes; each re-checks its condition. */
export class Changes {
  readonly #waiters = new Set<() => void>();

  /** Wakes every waiter so it re-checks its condition. */
  notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  /**
   * Resolves with the first value of `check()` that is not `undefined`, `null` or `false`, re-checked after
   * every {@link notify}.
   * @param failure the error message when the deadline passes or `ended()` turns true first
   * @throws Error with `failure(...)` at the deadline, or when `ended()` holds and `check()` still fails
   */
  async until<T>(
    check: () => T | undefined | null | false,
    options: { timeoutMs: number; ended?: () => boolean; failure: (why: "timed out" | "ended") => string },
  ): Promise<T> {
    const deadline = performance.now() + options.timeoutMs;
    for (;;) {
      const v = check();
      if (v !== undefined && v !== null && v !== false) return v;
      if (options.ended?.()) throw new Error(options.failure("ended"));
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(options.failure("timed out"));
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
}

/** A line found by {@link LineReader.waitFor}. */
export interface LineMatch {
  readonly line: string;
  /** Its index in {@link LineReader.lines}. */
  readonly index: number;
  /** The RegExp's match (`[0]` the matched text, then the groups), or `[line]` for a predicate. */
  readonly captures: readonly string[];
}

/**
 * Reads a byte stream in the background (so a chatty child never blocks on a full pipe) and keeps its text
 * and its lines. `await using` cancels the read.
 */
export class LineReader implements AsyncDisposable {
  /** Every complete line so far (a last line without "\n" is added when the stream ends). */
  readonly lines: string[] = [];
  /** Everything read so far. */
  text = "";
  /** True once the stream ended. */
  ended = false;
  /** Appended to every error message (e.g. the other stream of the same process). */
  context: (() => string) | undefined;
  readonly #changes = new Changes();
  readonly #reader: { read(): Promise<{ done: boolean; value?: Uint8Array | undefined }>; cancel(): Promise<void> };
  readonly #pump: Promise<void>;
  #cursor = 0;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = stream.getReader();
    this.#pump = this.#read();
  }

  async #read(): Promise<void> {
    const dec = new TextDecoder();
    let partial = "";
    try {
      for (;;) {
        const r = await this.#reader.read();
        if (r.done || !r.value) break;
        const chunk = dec.decode(r.value, { stream: true });
        this.text += chunk;
        partial += chunk;
        let i: number;
        while ((i = partial.indexOf("\n")) >= 0) {
          this.lines.push(partial.slice(0, i));
          partial = partial.slice(i + 1);
        }
        this.#changes.notify();
      }
    } catch {
      // cancelled on dispose, or the pipe broke: either way the stream ended
    }
    if (partial) this.lines.push(partial);
    this.ended = true;
    this.#changes.notify();
  }

  /**
   * Waits for a line (at index `from` or later) that matches; does not consume it.
   * @throws Error with the output so far at the deadline or when the stream ends first
   */
  waitFor(match: RegExp | ((line: string) => boolean), options: WaitOptions & { from?: number } = {}): Promise<LineMatch> {
    const from = options.from ?? 0;
    return this.#changes.until(
      () => {
        for (let i = from; i < this.lines.length; i++) {
          const line = this.lines[i]!;
          const captures = typeof match === "function" ? (match(line) ? [line] : null) : match.exec(line);
          if (captures) return { line, index: i, captures };
        }
        return undefined;
      },
      { timeoutMs: options.timeoutMs ?? 15_000, ended: () => this.ended, failure: (why) => this.#failure(why, options.what ?? String(match)) },
    );
  }

  /**
   * Consumes lines until one matches and returns it; the next call starts after it.
   * @param match any line when omitted
   * @throws Error with the output so far at the deadline or when the stream ends first
   */
  async nextLine(match: RegExp | ((line: string) => boolean) = () => true, options: WaitOptions = {}): Promise<string> {
    const { line, index } = await this.waitFor(match, { ...options, from: this.#cursor, what: options.what ?? "a matching line" });
    this.#cursor = index + 1;
    return line;
  }

  /**
   * Waits until `check(text so far)` gives a value (not `undefined`, `null` or `false`) and returns it.
   * @throws Error with the output so far at the deadline or when the stream ends first
   */
  waitText<T>(check: (text: string) => T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
    return this.#changes.until(() => check(this.text), {
      timeoutMs: options.timeoutMs ?? 15_000,
      ended: () => this.ended,
      failure: (why) => this.#failure(why, options.what ?? "output"),
    });
  }

  #failure(why: "timed out" | "ended", what: string): string {
    const tail = JSON.stringify(this.text.slice(-2000));
    return `${why === "ended" ? "stream ended" : "timed out"} waiting for ${what}; read: ${tail}${this.context ? `; ${this.context()}` : ""}`;
  }

  /** Stops reading (the stream is cancelled) and waits for the background read to finish. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#reader.cancel().catch(() => {});
    await this.#pump;
  }
}
