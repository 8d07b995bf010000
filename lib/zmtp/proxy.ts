/**
 * The XSUB/XPUB proxy (what `zmq_proxy` does for a forwarder): messages from the publishers on the XSUB
 * side go out of the XPUB side; subscriptions from the subscribers on the XPUB side go up the XSUB side.
 */
import type { XPubSocket } from "./pub.ts";
import type { XSubSocket } from "./sub.ts";

/** Counters of a running proxy. */
export interface ProxyStats {
  /** Messages taken from the frontend (XSUB) and published on the backend. */
  readonly forwarded: number;
  /** Subscription messages passed from the backend (XPUB) up to the frontend. */
  readonly subscriptions: number;
}

/**
 * Joins `frontend` (XSUB, where publishers connect) and `backend` (XPUB, where subscribers connect) until
 * `signal` aborts. It does not close the sockets.
 * @returns the counters when it stops
 * @example
 * await using xsub = new XSubSocket(); await xsub.bind("ipc:///var/tmp/disco");
 * await using xpub = new XPubSocket(); await xpub.bind("tcp://*:9000");
 * await runProxy(xsub, xpub, { signal });
 */
export async function runProxy(frontend: XSubSocket, backend: XPubSocket, options: { signal?: AbortSignal } = {}): Promise<ProxyStats> {
  const stats = { forwarded: 0, subscriptions: 0 };
  frontend.sink = (parts) => {
    stats.forwarded++;
    backend.send(parts);
  };
  backend.sink = (parts) => {
    stats.subscriptions++;
    frontend.send(parts);
  };
  try {
    await new Promise<void>((resolve) => {
      if (options.signal?.aborted) return resolve();
      options.signal?.addEventListener("abort", () => resolve(), { once: true });
    });
  } finally {
    frontend.sink = undefined;
    backend.sink = undefined;
  }
  return stats;
}
