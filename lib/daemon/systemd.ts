/**
 * What the daemon tells systemd (sd_notify(3)), over a {@link Notifier} from sd-notify.ts: READY=1 once
 * every task has been prepared, STATUS= whenever its one-line summary changes, RELOADING=1 (with
 * MONOTONIC_USEC, as Type=notify-reload expects) ... READY=1 around a reload, STOPPING=1, and WATCHDOG=1 at
 * half of $WATCHDOG_USEC from a timer — which only fires while the event loop runs, so a stuck daemon is
 * restarted.
 */
import type { Notifier } from "./sd-notify.ts";

/** Options for {@link SystemdLink}. */
export interface SystemdLinkOptions {
  /** Where messages go; undefined when systemd did not ask (every call is then a no-op). */
  notifier?: Notifier;
  /** WATCHDOG=1 period (watchdogIntervalMs of $WATCHDOG_USEC), when a watchdog applies. */
  watchdogMs?: number;
  /** CLOCK_MONOTONIC in microseconds, for RELOADING=1's MONOTONIC_USEC. */
  monotonicUsec: () => bigint;
}

/** The daemon's side of the conversation with systemd. */
export class SystemdLink {
  readonly #o: SystemdLinkOptions;
  #status: string | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #watchdogs = 0;

  constructor(options: SystemdLinkOptions) {
    this.#o = options;
  }

  /** Whether systemd listens (NOTIFY_SOCKET was set). */
  get active(): boolean {
    return this.#o.notifier !== undefined;
  }

  /** WATCHDOG=1 messages sent so far. */
  get watchdogs(): number {
    return this.#watchdogs;
  }

  /** READY=1 with the current status line; starts the watchdog timer on the first call. */
  ready(status: string): void {
    this.#status = status;
    this.#o.notifier?.send({ READY: "1", STATUS: status });
    if (this.#timer === undefined && this.#o.notifier && this.#o.watchdogMs !== undefined) {
      this.#timer = setInterval(() => {
        this.#watchdogs++;
        this.#o.notifier?.send({ WATCHDOG: "1" });
      }, this.#o.watchdogMs);
    }
  }

  /** STATUS= when the line differs from the last one sent. */
  status(line: string): void {
    if (line === this.#status) return;
    this.#status = line;
    this.#o.notifier?.send({ STATUS: line });
  }

  /** RELOADING=1 with MONOTONIC_USEC (systemd 253's notify-reload protocol; older ones ignore it). */
  reloading(): void {
    this.#o.notifier?.send({ RELOADING: "1", MONOTONIC_USEC: String(this.#o.monotonicUsec()), STATUS: "reloading" });
    this.#status = "reloading";
  }

  /** STOPPING=1; the watchdog stops. */
  stopping(status: string): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#status = status;
    this.#o.notifier?.send({ STOPPING: "1", STATUS: status });
  }

  /** Stops the watchdog and closes the socket (idempotent). */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#o.notifier?.close();
  }
}
