/**
 * One worker thread per driver that waits in `poll(2)` (through bun:ffi) on every fd it is given and posts
 * what it reads, so the main thread's event loop never blocks on GPIO events.
 */
import { closeFd, eventfd, signalEventfd } from "./_libc.ts";
import type { PumpCommand, PumpMode, PumpReport } from "./_pump-worker.ts";
import { GpioError } from "./errors.ts";


/**
 * Where the worker's module is. From source or a bundle: beside this file. Inside the binary compiled by
 * scripts/build.ts, which embeds the worker as a second entry point: at its path from the project root
 * (the binary's files live under `/$bunfs/root/`, and `import.meta.url` names the binary itself, so a path
 * relative to this file would miss it).
 * @param here this module's `import.meta.url`
 */
export function workerModule(here: string): URL | string {
  return here.startsWith("file:///$bunfs/") ? "./lib/gpio/_pump-worker.ts" : new URL("./_pump-worker.ts", here);
}

/** The edge-event worker of one driver. */
export class EventPump {
  #worker?: Worker;
  #wakeFd = -1;
  readonly #sinks = new Map<number, (bytes: Uint8Array | undefined) => void>();
  readonly #removed = new Map<number, () => void>();
  #stopped?: () => void;

  #start(): Worker {
    if (this.#worker) return this.#worker;
    this.#wakeFd = eventfd();
    if (this.#wakeFd < 0) throw new GpioError("eventfd() failed: cannot wait for GPIO edge events");
    const w = new Worker(workerModule(import.meta.url));
    w.onmessage = (e: MessageEvent<PumpReport>) => {
      const m = e.data;
      if (m.op === "data") this.#sinks.get(m.fd)?.(m.bytes);
      else if (m.op === "error") this.#sinks.get(m.fd)?.(undefined);
      else if (m.op === "removed") {
        this.#removed.get(m.fd)?.();
        this.#removed.delete(m.fd);
      } else if (m.op === "stopped") this.#stopped?.();
    };
    // A worker that cannot load or dies fails every line it watched, rather than leaving them silent.
    w.onerror = (e) => {
      e.preventDefault();
      for (const sink of [...this.#sinks.values()]) sink(undefined);
      for (const done of this.#removed.values()) done();
      this.#removed.clear();
      this.#stopped?.();
    };
    w.postMessage({ op: "init", wakeFd: this.#wakeFd } satisfies PumpCommand);
    this.#worker = w;
    return w;
  }

  #send(msg: PumpCommand): void {
    this.#start().postMessage(msg);
    signalEventfd(this.#wakeFd);
  }

  /**
   * Starts watching `fd`: "read" reads what the fd has when it is readable (cdev line events); "pri" re-reads
   * it from offset 0 on POLLPRI (a sysfs attribute the kernel notifies, e.g. a gpio `value` with `edge` set).
   * `sink` gets the bytes, or undefined when the fd failed.
   */
  add(fd: number, sink: (bytes: Uint8Array | undefined) => void, mode: PumpMode = "read"): void {
    this.#sinks.set(fd, sink);
    this.#send({ op: "add", fd, mode });
    this.#worker?.ref();
  }

  /** Resolves once the worker no longer polls `fd` (only then may it be closed). */
  async remove(fd: number): Promise<void> {
    if (!this.#sinks.delete(fd) || !this.#worker) return;
    const done = new Promise<void>((r) => this.#removed.set(fd, r));
    this.#send({ op: "remove", fd });
    await done;
    if (this.#sinks.size === 0) this.#worker?.unref();
  }

  /** Stops the worker (waiting up to 1 s for it to leave poll) and closes its eventfd; a later `add` starts a new one. */
  async stop(): Promise<void> {
    const w = this.#worker;
    if (!w) return;
    const stopped = new Promise<void>((r) => (this.#stopped = r));
    this.#send({ op: "stop" });
    await Promise.race([stopped, new Promise((r) => setTimeout(r, 1000).unref())]);
    w.terminate();
    closeFd(this.#wakeFd);
    this.#worker = undefined;
  }
}
