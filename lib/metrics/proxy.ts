/**
 * The metrics proxy (disco.py's `metrics --proxy`): an XSUB on the frontend where local publishers connect
 * and an XPUB on the backend where receivers from the whole LAN connect.
 */
import { runProxy, XPubSocket, XSubSocket, type ProxyStats, type SocketEvent, type SocketOptions } from "../zmtp/index.ts";
import { DEFAULT_FRONTEND } from "./publisher.ts";

/** disco.py's default backend: every interface, port 9000. */
export const DEFAULT_BACKEND = "tcp://*:9000";

/** Options of {@link MetricsProxy.open}. */
export interface MetricsProxyOptions {
  /** @default "ipc:///var/tmp/disco" */
  readonly frontend?: string;
  /** @default "tcp://*:9000" */
  readonly backend?: string;
  /** Options of both sockets (high-water mark, max message size, transport). */
  readonly socket?: SocketOptions;
}

/** A bound proxy; {@link run} forwards until aborted. */
export class MetricsProxy implements AsyncDisposable {
  readonly #xsub: XSubSocket;
  readonly #xpub: XPubSocket;
  /** The frontend as bound. */
  readonly frontend: string;
  /** The backend as bound (an ephemeral port resolved). */
  readonly backend: string;

  private constructor(xsub: XSubSocket, xpub: XPubSocket, frontend: string, backend: string) {
    this.#xsub = xsub;
    this.#xpub = xpub;
    this.frontend = frontend;
    this.backend = backend;
  }

  /**
   * Binds both sides.
   * @throws {EndpointError} on a malformed endpoint
   * @throws {TransportError} when one cannot be bound (in use, no permission)
   */
  static async open(options: MetricsProxyOptions = {}): Promise<MetricsProxy> {
    const xsub = new XSubSocket(options.socket);
    const xpub = new XPubSocket(options.socket);
    try {
      // The backend first: a TCP port in use fails before the frontend's ipc path is touched.
      const backend = await xpub.bind(options.backend ?? DEFAULT_BACKEND);
      const frontend = await xsub.bind(options.frontend ?? DEFAULT_FRONTEND);
      return new MetricsProxy(xsub, xpub, frontend, backend);
    } catch (err) {
      await xsub.close();
      await xpub.close();
      throw err;
    }
  }

  /**
   * Forwards until `signal` aborts.
   * @returns the proxy's counters
   */
  run(signal: AbortSignal): Promise<ProxyStats> {
    return runProxy(this.#xsub, this.#xpub, { signal });
  }

  /** Counters of the frontend (publishers) and backend (receivers) sockets. */
  get stats() {
    return { frontend: this.#xsub.stats, backend: this.#xpub.stats };
  }

  /** Events of both sides, tagged. */
  async *events(signal?: AbortSignal): AsyncGenerator<{ side: "frontend" | "backend"; event: SocketEvent }> {
    const merged: { side: "frontend" | "backend"; event: SocketEvent }[] = [];
    let wake: (() => void) | undefined;
    const pump = async (side: "frontend" | "backend", it: AsyncIterable<SocketEvent>) => {
      for await (const event of it) {
        merged.push({ side, event });
        wake?.();
      }
    };
    const done = Promise.all([pump("frontend", this.#xsub.events(signal)), pump("backend", this.#xpub.events(signal))]);
    let finished = false;
    void done.then(() => {
      finished = true;
      wake?.();
    });
    for (;;) {
      while (merged.length) yield merged.shift()!;
      if (finished) return;
      await new Promise<void>((r) => (wake = r));
      wake = undefined;
    }
  }

  async close(): Promise<void> {
    await this.#xsub.close();
    await this.#xpub.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
