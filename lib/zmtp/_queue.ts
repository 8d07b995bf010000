/** A bounded async FIFO: producers never wait (a full queue drops and counts), consumers await. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #head = 0;
  #waiters: { resolve: (r: IteratorResult<T>) => void }[] = [];
  #closed = false;
  readonly #capacity: number;
  /** Items refused because the queue was full. */
  dropped = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Adds an item; returns false (and counts) when full or closed. */
  push(item: T): boolean {
    if (this.#closed) return false;
    const w = this.#waiters.shift();
    if (w) {
      w.resolve({ value: item, done: false });
      return true;
    }
    if (this.length >= this.#capacity) {
      this.dropped++;
      return false;
    }
    this.#items.push(item);
    return true;
  }

  /** Removes and returns every queued item. */
  takeAll(): T[] {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return items;
  }

  /** Ends every pending and future wait. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.resolve({ value: undefined, done: true });
  }

  /** The next item, or done when closed (or `signal` aborts). */
  next(signal?: AbortSignal): Promise<IteratorResult<T>> {
    if (this.#head < this.#items.length) {
      const value = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as T;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.#closed || signal?.aborted) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      const w = { resolve };
      this.#waiters.push(w);
      signal?.addEventListener(
        "abort",
        () => {
          const i = this.#waiters.indexOf(w);
          if (i >= 0) this.#waiters.splice(i, 1);
          resolve({ value: undefined, done: true });
        },
        { once: true },
      );
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next(), return: async () => ({ value: undefined, done: true }) };
  }
}
