/**
 * A long-running capability function that binds its sockets itself and reports it through a ready
 * callback (serveDiscovery's onListening, runMetricsService's onReady), as a {@link Prepared}: it starts in
 * `prepare`, which resolves once it is bound and rejects when binding fails, so a reload finds a port in use
 * before anything of the running generation stops.
 */
import type { Prepared } from "./types.ts";

/**
 * Starts `start` and waits until it calls `ready`.
 * @param start runs until its signal aborts; calls `ready` once bound
 * @returns the running task as a Prepared (run waits for it; close stops it)
 * @throws whatever `start` rejects with before it is ready
 */
export async function startBound(start: (signal: AbortSignal, ready: () => void) => Promise<unknown>): Promise<Pick<Prepared, "run" | "close">> {
  const inner = new AbortController();
  let ready!: () => void;
  const bound = new Promise<void>((resolve) => (ready = resolve));
  const task = start(inner.signal, ready);
  const early = task.then(() => {
    throw new Error("stopped before its sockets were bound");
  });
  early.catch(() => undefined);
  try {
    await Promise.race([bound, early]);
  } catch (err) {
    inner.abort("removed");
    throw err;
  }
  return {
    run: async ({ signal }) => {
      const stop = () => inner.abort(signal.reason);
      if (signal.aborted) stop();
      else signal.addEventListener("abort", stop, { once: true });
      try {
        await task;
      } finally {
        signal.removeEventListener("abort", stop);
      }
    },
    close: async () => {
      inner.abort("removed");
      await task.catch(() => undefined);
    },
  };
}
