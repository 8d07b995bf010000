/**
 * The XSUB/XPUB proxy (what `zmq_proxy` does for a forwarder): messages from the publishers on the XSUB
 * side go out of the XPUB side; subscriptions from the subscribers on the XPUB side decide what the XSUB
 * side asks the publishers for.
 */
import { decodeSubscription } from "./command.ts";
import type { XPubSocket } from "./pub.ts";
import type { XSubSocket } from "./sub.ts";

/** Counters of a running proxy. */
export interface ProxyStats {
  /** Messages taken from the frontend (XSUB) and published on the backend. */
  readonly forwarded: number;
  /** Subscription changes taken from the backend (XPUB: a topic's first subscribe, its last cancel). */
  readonly subscriptions: number;
  /** Subscription messages sent up the frontend. */
  readonly upstream: number;
  /** Messages from backend peers that were not subscriptions (a publisher has no use for them): dropped. */
  readonly dropped: number;
}

/** Options of {@link runProxy}. */
export interface ProxyOptions {
  /** Stops the proxy. */
  readonly signal?: AbortSignal;
  /**
   * What goes upstream. `"everything"`: one subscription to every message while any backend peer holds a
   * topic, and the backend filters per peer; nothing a stranger subscribes to reaches the publishers, so
   * junk topics cannot fill a publisher's per-peer limit and crowd out a real subscriber's. `"topics"`:
   * every distinct topic, as libzmq's `zmq_proxy` (leaner upstream, but the publishers' limits are
   * shared by every stranger on the backend). @default "everything"
   */
  readonly forward?: "everything" | "topics";
  /**
   * Also hands every forwarded message to this function (a reader in the same process, such as the
   * daemon's web page, that would otherwise connect to the backend). With a tap the proxy subscribes
   * upstream to everything for as long as it runs, whether or not a backend peer holds a topic.
   */
  readonly tap?: (parts: readonly Uint8Array[]) => void;
}

const ALL = Uint8Array.of(1);
const NONE = Uint8Array.of(0);

/**
 * Joins `frontend` (XSUB, where publishers connect) and `backend` (XPUB, where subscribers connect) until
 * `signal` aborts. It does not close the sockets.
 * @returns the counters when it stops
 * @example
 * await using xsub = new XSubSocket(); await xsub.bind("ipc:///var/tmp/disco");
 * await using xpub = new XPubSocket(); await xpub.bind("tcp://*:9000");
 * await runProxy(xsub, xpub, { signal });
 */
export async function runProxy(frontend: XSubSocket, backend: XPubSocket, options: ProxyOptions = {}): Promise<ProxyStats> {
  const stats = { forwarded: 0, subscriptions: 0, upstream: 0, dropped: 0 };
  const everything = (options.forward ?? "everything") === "everything";
  // Distinct topics the backend holds (XPUB reports a topic's first subscribe and last cancel only).
  let topics = 0;
  const tap = options.tap;
  if (tap) {
    stats.upstream++;
    frontend.send(ALL);
  }
  frontend.sink = (parts) => {
    stats.forwarded++;
    backend.send(parts);
    tap?.(parts);
  };
  backend.sink = (parts) => {
    const s = parts.length === 1 ? decodeSubscription(parts[0]!) : undefined;
    if (!s) {
      stats.dropped++;
      return;
    }
    stats.subscriptions++;
    if (!everything) {
      stats.upstream++;
      frontend.send(parts);
      return;
    }
    if (s.subscribe) {
      if (++topics === 1 && !tap) {
        stats.upstream++;
        frontend.send(ALL);
      }
    } else if (topics > 0 && --topics === 0 && !tap) {
      stats.upstream++;
      frontend.send(NONE);
    }
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
