/** A fake {@link ZmtpClock} for tests: time moves only when the test calls `advance()`. */
import type { Timer, ZmtpClock } from "../../lib/zmtp/clock.ts";

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class FakeClock implements ZmtpClock {
  #now = 0;
  #seq = 0;
  #pending: Pending[] = [];

  nowMs(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): Timer {
    const p: Pending = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#pending.push(p);
    return { cancel: () => void (p.cancelled = true) };
  }

  /** Timers scheduled and neither run nor cancelled. */
  get pending(): number {
    return this.#pending.filter((p) => !p.cancelled).length;
  }

  /** Delays of the live timers from now, soonest first. */
  get dueInMs(): number[] {
    return this.#pending.filter((p) => !p.cancelled).map((p) => p.at - this.#now).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order (timers they set included). */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      this.#pending = this.#pending.filter((p) => !p.cancelled);
      let next: Pending | undefined;
      for (const p of this.#pending) if (p.at <= end && (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq))) next = p;
      if (!next) break;
      this.#pending.splice(this.#pending.indexOf(next), 1);
      this.#now = next.at;
      next.fn();
    }
    this.#now = end;
  }
}

/**
 * Runs `body` while, each time `socket` reports a lost or failed connection, the fake clock moves to its
 * next timer (the redial): reconnects happen at once, and only when the socket asks for them.
 */
export async function redialing<T>(clock: FakeClock, socket: { events(signal?: AbortSignal): AsyncIterable<{ type: string }> }, body: () => Promise<T>): Promise<T> {
  const ac = new AbortController();
  const pump = (async () => {
    for await (const e of socket.events(ac.signal)) {
      if (e.type !== "disconnected" && e.type !== "connect-failed" && e.type !== "rejected") continue;
      // Let the event loop turn first: a refused ipc connect fails within microtasks, and redialing at once
      // from there would starve every other I/O (the peer that is starting up included).
      await new Promise<void>((resolve) => setImmediate(resolve));
      const due = clock.dueInMs[0];
      if (due !== undefined) clock.advance(due);
    }
  })();
  try {
    return await body();
  } finally {
    ac.abort();
    await pump;
  }
}
