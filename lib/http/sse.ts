/**
 * Server-sent events: the wire format (pure) and a hub that encodes each event once and fans it out to
 * every open stream. A client that does not keep up is dropped rather than buffered without bound.
 */

const enc = new TextEncoder();

/**
 * Encodes one event (`event:` + `data:` lines + a blank line). Line breaks in the data become further
 * `data:` lines, so no text can end the event early.
 */
export function encodeSseEvent(event: string, data: string, id?: string): Uint8Array {
  if (/[\r\n]/.test(event) || (id !== undefined && /[\r\n]/.test(id))) throw new RangeError("an SSE event name or id cannot hold a line break");
  let out = `event: ${event}\n`;
  if (id !== undefined) out += `id: ${id}\n`;
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return enc.encode(out + "\n");
}

/** A comment line, for keep-alives. */
export const SSE_PING = enc.encode(": ping\n\n");

/** Options of {@link SseHub}. */
export interface SseHubOptions {
  /** Most streams at once. @default 64 */
  readonly maxClients?: number;
  /** Bytes queued for one client before it is dropped. @default 1048576 */
  readonly maxQueuedBytes?: number;
}

interface Client {
  controller: ReadableStreamDefaultController<Uint8Array>;
  closed: boolean;
}

/** Fan-out of encoded events to open streams. */
export class SseHub {
  readonly #clients = new Set<Client>();
  readonly #maxClients: number;
  readonly #maxQueuedBytes: number;
  /** Clients dropped for falling behind. */
  dropped = 0;

  constructor(options: SseHubOptions = {}) {
    this.#maxClients = options.maxClients ?? 64;
    this.#maxQueuedBytes = options.maxQueuedBytes ?? 1_048_576;
  }

  /** Open streams. */
  get size(): number {
    return this.#clients.size;
  }

  /**
   * A new stream that starts with `first` (e.g. a snapshot) and then gets every {@link broadcast}.
   * @returns the stream, or undefined when the hub is full
   */
  open(first: Uint8Array, signal?: AbortSignal): ReadableStream<Uint8Array> | undefined {
    if (this.#clients.size >= this.#maxClients) return undefined;
    let client: Client | undefined;
    const stream = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          client = { controller, closed: false };
          this.#clients.add(client);
          controller.enqueue(first);
        },
        cancel: () => {
          if (client) this.#remove(client);
        },
      },
      // Counted in bytes, so desiredSize tells how far behind a client is.
      { highWaterMark: this.#maxQueuedBytes, size: (chunk) => chunk?.byteLength ?? 0 },
    );
    signal?.addEventListener("abort", () => client && this.#close(client), { once: true });
    return stream;
  }

  /** Sends bytes to every stream; a stream over its byte budget is closed. */
  broadcast(bytes: Uint8Array): void {
    for (const c of this.#clients) {
      if ((c.controller.desiredSize ?? 0) < bytes.byteLength) {
        this.dropped++;
        this.#close(c);
        continue;
      }
      try {
        c.controller.enqueue(bytes);
      } catch {
        this.#remove(c);
      }
    }
  }

  /** Closes every stream. */
  close(): void {
    for (const c of [...this.#clients]) this.#close(c);
  }

  #close(c: Client): void {
    this.#remove(c);
    if (c.closed) return;
    c.closed = true;
    try {
      c.controller.close();
    } catch {
      // Already closed by the reader.
    }
  }

  #remove(c: Client): void {
    this.#clients.delete(c);
  }
}
