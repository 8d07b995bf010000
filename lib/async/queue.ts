/**
 * Bounded push-to-pull queues: producers never wait, consumers `await`. Every capability that turns
 * pushed events (socket messages, edges, membership changes) into async iterables uses these, so the
 * bound and the overflow policy are written once.
 */

/** What a full queue gives up: the item being pushed (a high-water mark) or the oldest one (a live view). */
export type Overflow = "drop-newest" | "drop-oldest";

/** Options for {@link AsyncQueue}. */
export interface AsyncQueueOptions {
  /** Most unread items kept. @default 1024 */
  capacity?: number;
  /** @default "drop-newest" */
  overflow?: Overflow;
}

/** A bounded async FIFO. */
export class AsyncQueue<T> implements AsyncIterable<T> {
  // Items live in #items from #head on; the array is compacted now and then instead of shifted per read.
  #items: T[] = [];
  #head = 0;
  #waiters: ((r: IteratorResult<T>) => void)[] = [];
  #closed = false;
  readonly #capacity: number;
  readonly #overflow: Overflow;
  /** Items given up because the queue was full. */
  dropped = 0;

  constructor(options: AsyncQueueOptions = {}) {
    this.#capacity = options.capacity ?? 1024;
    this.#overflow = options.overflow ?? "drop-newest";
    if (!(this.#capacity >= 1)) throw new RangeError(`capacity must be at least 1, got ${this.#capacity}`);
  }

  /** Unread items. */
  get length(): number {
    return this.#items.length - this.#head;
  }

  /** Whether {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Hands an item to a waiting reader, or keeps it.
   * @returns false when the item was not taken (closed, or full under "drop-newest")
   */
  push(item: T): boolean {
    if (this.#closed) return false;
    const w = this.#waiters.shift();
    if (w) {
      w({ value: item, done: false });
      return true;
    }
    if (this.length >= this.#capacity) {
      this.dropped++;
      if (this.#overflow === "drop-newest") return false;
      this.#take();
    }
    this.#items.push(item);
    return true;
  }

  /** Removes and returns every unread item. */
  takeAll(): T[] {
    const items = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return items;
  }

  /** Ends every reader once the kept items are read (idempotent); later pushes are refused. */
  close(): void {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w({ value: undefined, done: true });
  }

  /** The next item; done when closed and empty, or when `signal` aborts while waiting. */
  next(signal?: AbortSignal): Promise<IteratorResult<T>> {
    if (this.length > 0) return Promise.resolve({ value: this.#take(), done: false });
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

  /** The items as an async iterable; ends when closed and empty, or when `signal` aborts. */
  async *iterate(signal?: AbortSignal): AsyncGenerator<T> {
    for (;;) {
      const r = await this.next(signal);
      if (r.done) return;
      yield r.value;
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next(), return: async () => ({ value: undefined, done: true }) };
  }

  #take(): T {
    const value = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined as T;
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return value;
  }
}

/** Fan-out: every subscription gets its own bounded queue (oldest dropped for a slow reader). */
export class Subscribers<E> {
  #queues = new Set<AsyncQueue<E>>();
  #closed = false;

  /** Delivers an item to every subscription. */
  emit(item: E): void {
    for (const q of this.#queues) q.push(item);
  }

  /**
   * A new subscription, registered at once (items emitted before the first `next()` are kept). `break`,
   * the signal or {@link close} ends it; items already queued are still read after the signal.
   */
  subscribe(options: { signal?: AbortSignal; capacity?: number; initial?: Iterable<E> } = {}): AsyncIterableIterator<E> {
    const q = new AsyncQueue<E>({ capacity: options.capacity ?? 1024, overflow: "drop-oldest" });
    for (const item of options.initial ?? []) q.push(item);
    const end = () => {
      this.#queues.delete(q);
      q.close();
    };
    if (this.#closed || options.signal?.aborted) end();
    else {
      this.#queues.add(q);
      options.signal?.addEventListener("abort", end, { once: true });
    }
    const it: AsyncIterableIterator<E> = {
      next: async () => {
        const r = await q.next();
        if (r.done) this.#queues.delete(q);
        return r;
      },
      return: async () => {
        q.takeAll();
        end();
        return { value: undefined, done: true };
      },
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }

  /** Ends every subscription, and any made later (idempotent). */
  close(): void {
    this.#closed = true;
    for (const q of this.#queues) q.close();
    this.#queues.clear();
  }
}
