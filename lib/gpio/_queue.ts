/** A small push-to-pull bridge: producers push, one or more `for await` loops pull. */
export class EventQueue<T> {
  #items: T[] = [];
  #waiters: ((r: IteratorResult<T>) => void)[] = [];
  #closed = false;
  readonly #max: number;
  /** Items dropped because the queue was full (oldest dropped first). */
  dropped = 0;

  /** @param maxItems how many unread items are kept before the oldest is dropped */
  constructor(maxItems = 1024) {
    this.#max = maxItems;
  }

  /** Hands an item to a waiting reader, or keeps it for the next one (ignored once closed). */
  push(item: T): void {
    if (this.#closed) return;
    const w = this.#waiters.shift();
    if (w) return w({ value: item, done: false });
    if (this.#items.length >= this.#max) {
      this.#items.shift();
      this.dropped++;
    }
    this.#items.push(item);
  }

  /** Ends every reader once the kept items are read (idempotent). */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w({ value: undefined, done: true });
  }

  /** Waits for the next item; done when closed or `signal` aborts. */
  next(signal?: AbortSignal): Promise<IteratorResult<T>> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve({ value: item, done: false });
    if (this.#closed || signal?.aborted) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      const onAbort = () => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve({ value: undefined, done: true });
      };
      const waiter = (r: IteratorResult<T>) => {
        signal?.removeEventListener("abort", onAbort);
        resolve(r);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** The items as an async iterable; ends when closed or `signal` aborts. */
  async *iterate(signal?: AbortSignal): AsyncGenerator<T> {
    for (;;) {
      const r = await this.next(signal);
      if (r.done) return;
      yield r.value;
    }
  }
}

/** Fan-out: each `events()` call gets its own queue fed by `emit`. */
export class Subscribers<T> {
  #queues = new Set<EventQueue<T>>();
  #closed = false;

  /** Delivers an item to every subscription. */
  emit(item: T): void {
    for (const q of this.#queues) q.push(item);
  }

  /** A new subscription, registered at once (events emitted before the first `next()` are kept). */
  subscribe(signal?: AbortSignal): AsyncIterable<T> {
    const q = new EventQueue<T>();
    if (this.#closed) q.close();
    else this.#queues.add(q);
    const queues = this.#queues;
    const it: AsyncIterator<T> = {
      next: async () => {
        const r = await q.next(signal);
        if (r.done) queues.delete(q);
        return r;
      },
      return: async () => {
        queues.delete(q);
        q.close();
        return { value: undefined, done: true };
      },
    };
    return { [Symbol.asyncIterator]: () => it };
  }

  /** Ends every subscription, and any made later (idempotent). */
  close(): void {
    this.#closed = true;
    for (const q of this.#queues) q.close();
    this.#queues.clear();
  }
}
