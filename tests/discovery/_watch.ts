/** Test helper: waits for output of a child process, event-driven, with a deadline (never a sleep). */

/** Collects a stream's text in the background; {@link Watcher.waitFor} resolves when a pattern appears. */
export class Watcher {
  text = "";
  #wake: (() => void) | undefined;
  #ended = false;
  constructor(stream: ReadableStream<Uint8Array>) {
    void (async () => {
      const dec = new TextDecoder();
      for await (const chunk of stream) {
        this.text += dec.decode(chunk);
        this.#wake?.();
      }
      this.#ended = true;
      this.#wake?.();
    })();
  }
  /** Waits (event-driven, with a deadline) until `re` matches the text so far. */
  async waitFor(re: RegExp, ms = 15_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.text);
      if (m) return m;
      if (this.#ended) throw new Error(`stream ended before ${re}; got: ${this.text}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no line matching ${re} within ${ms} ms; got: ${this.text}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  }
}

