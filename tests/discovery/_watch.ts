/**
 * The older `Watcher` interface over {@link LineReader} (tests/_lines.ts), kept for bench/discovery.bench.ts;
 * tests use LineReader directly.
 */
import { LineReader } from "../_lines.ts";

/** Collects a stream's text in the background; {@link Watcher.waitFor} resolves when a pattern appears. */
export class Watcher {
  readonly #reader: LineReader;
  constructor(stream: ReadableStream<Uint8Array>) {
    this.#reader = new LineReader(stream);
  }
  /** Everything read so far. */
  get text(): string {
    return this.#reader.text;
  }
  /** Waits (event-driven, with a deadline) until `re` matches the text so far. */
  waitFor(re: RegExp, ms = 15_000): Promise<RegExpExecArray> {
    return this.#reader.waitText((t) => re.exec(t), { timeoutMs: ms, what: String(re) });
  }
}
