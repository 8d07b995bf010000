/**
 * Publishing metrics to the local proxy's frontend (disco.py's `metrics --publish`): a PUB socket that
 * connects to the frontend, waits until it is connected and the proxy has passed a subscription up (or a
 * short deadline passes), sends, and lingers until the frame reached the kernel.
 */
import { PubSocket, type SocketOptions } from "../zmtp/index.ts";
import { NoProxyError } from "./errors.ts";
import { createMetric, encodeMetric, type Metric } from "./metric.ts";
import type { JsonValue } from "../python/index.ts";

/** disco.py's default proxy frontend. */
export const DEFAULT_FRONTEND = "ipc:///var/tmp/disco";

/** Options of {@link publishMetric}. */
export interface PublishOptions {
  /** The host name put in the frame. */
  readonly host: string;
  /** The proxy's frontend. @default "ipc:///var/tmp/disco" */
  readonly frontend?: string;
  /** How long to wait for the connection and a subscription. @default 2000 */
  readonly waitMs?: number;
  /** How long to wait for the frame to leave after sending. @default 2000 */
  readonly lingerMs?: number;
  /** Wall clock in unix ms (tests pass a fixed one). @default Date.now */
  readonly nowMs?: () => number;
  /** Gives up early. */
  readonly signal?: AbortSignal;
  /** Socket options (transport, limits). */
  readonly socket?: SocketOptions;
}

/** What {@link publishMetric} did. */
export interface PublishResult {
  /** The metric sent. */
  readonly metric: Metric;
  /** Whether a subscriber (through the proxy) was there to take it; false means it was sent to nobody. */
  readonly subscribed: boolean;
}

/**
 * Publishes one metric.
 * @param values name → value, kept as given (disco.py sends strings)
 * @returns the metric and whether anyone was subscribed
 * @throws {NoProxyError} when no proxy accepted the connection before the deadline
 * @throws {EndpointError} on a malformed frontend
 * @example
 * await publishMetric({ temperature: "73" }, { host: "shed" });
 */
export async function publishMetric(values: Readonly<Record<string, JsonValue>>, options: PublishOptions): Promise<PublishResult> {
  const frontend = options.frontend ?? DEFAULT_FRONTEND;
  const now = options.nowMs ?? Date.now;
  const pub = new PubSocket(options.socket);
  try {
    pub.connect(frontend);
    const timeout = AbortSignal.timeout(options.waitMs ?? 2000);
    const deadline = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    if (!(await pub.waitForPeer(deadline))) {
      throw new NoProxyError(`no metrics proxy answered at ${frontend} (start one with 'disco metrics --proxy' or 'disco run')`, frontend);
    }
    const subscribed = await pub.waitForSubscriber(deadline);
    const metric = createMetric(options.host, values, now());
    pub.send(encodeMetric(metric));
    await pub.close({ lingerMs: options.lingerMs ?? 2000 });
    return { metric, subscribed };
  } finally {
    await pub.close();
  }
}

/** A long-lived publisher (for the daemon's collectors): one PUB socket connected to the frontend. */
export class MetricsPublisher implements AsyncDisposable {
  readonly #pub: PubSocket;
  readonly #host: string;
  readonly #now: () => number;

  /**
   * @param host the host name put in frames
   * @param options frontend (default disco.py's), clock, socket options
   */
  constructor(host: string, options: { frontend?: string; nowMs?: () => number; socket?: SocketOptions } = {}) {
    this.#host = host;
    this.#now = options.nowMs ?? Date.now;
    this.#pub = new PubSocket(options.socket);
    this.#pub.connect(options.frontend ?? DEFAULT_FRONTEND);
  }

  /**
   * Publishes values now (dropped when nobody subscribes, as PUB does).
   * @returns the metric sent and how many peers took it
   */
  publish(values: Readonly<Record<string, JsonValue>>): { metric: Metric; peers: number } {
    const metric = createMetric(this.#host, values, this.#now());
    return { metric, peers: this.#pub.send(encodeMetric(metric)) };
  }

  /** The socket's counters. */
  get stats() {
    return this.#pub.stats;
  }

  async close(): Promise<void> {
    await this.#pub.close({ lingerMs: 500 });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
