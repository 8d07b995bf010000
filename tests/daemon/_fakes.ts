/** Fakes for daemon tests: a manual clock for the supervisor and a context that logs into an array. */
import { createBeaconIdentity, MembershipTable, type HookSpawner } from "../../lib/beacon/index.ts";
import { slot, type DaemonContext, type DaemonLogger, type SupervisorClock } from "../../lib/daemon/index.ts";

/** A clock that moves only when told; sleeps resolve when their time comes or their signal aborts. */
export class FakeClock implements SupervisorClock {
  now = 0;
  #sleeps: { until: number; resolve: () => void }[] = [];
  #waiters: ((ms: number) => void)[] = [];
  /** Every sleep requested, in ms. */
  readonly requested: number[] = [];

  nowMs(): number {
    return this.now;
  }
  unixNowMs(): number {
    return 1_700_000_000_000 + this.now;
  }
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    this.requested.push(ms);
    return new Promise((resolve) => {
      const entry = { until: this.now + ms, resolve };
      this.#sleeps.push(entry);
      signal.addEventListener("abort", () => resolve(), { once: true });
      this.#waiters.splice(0).forEach((w) => w(ms));
    });
  }
  /** Resolves with the length of the next sleep requested (or one pending but not yet waited for). */
  nextSleep(): Promise<number> {
    const pending = this.#sleeps.find((s) => s.until > this.now);
    if (pending) return Promise.resolve(pending.until - this.now);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
  /** Moves time on and wakes every sleep that is due. */
  advance(ms: number): void {
    this.now += ms;
    const due = this.#sleeps.filter((s) => s.until <= this.now);
    this.#sleeps = this.#sleeps.filter((s) => s.until > this.now);
    for (const s of due) s.resolve();
  }
}

/** A logger that keeps its lines. */
export function memoryLogger(): DaemonLogger & { lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (m: string) => void lines.push(`${level}: ${m}`);
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

const noHooks: HookSpawner = async () => ({ exitCode: 0, timedOut: false });

/** A context for calling builders and supervised tasks directly. */
export function fakeContext(log: DaemonLogger = memoryLogger()): DaemonContext {
  const membership = new MembershipTable();
  return {
    log,
    membership,
    identity: createBeaconIdentity("00112233aabbccdd"),
    gpio: slot(),
    proxy: slot(),
    emit: () => undefined,
    subscribe: () => {
      throw new Error("not in this fake");
    },
    latestMetric: () => undefined,
    status: () => {
      throw new Error("not in this fake");
    },
    spawnHook: noHooks,
    hookEnv: {},
  };
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
}
