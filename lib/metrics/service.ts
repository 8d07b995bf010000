/**
 * The metrics capability as one daemon task: the proxy (when configured) and the host collectors published
 * through it every interval, until the signal aborts.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { SocketOptions } from "../zmtp/index.ts";
import { collectHostMetrics, type CollectorName } from "./collectors.ts";
import { MetricsProxy, type BackendLimits } from "./proxy.ts";
import { DEFAULT_FRONTEND, MetricsPublisher } from "./publisher.ts";
import { acceptMetricFrame, type Metric } from "./metric.ts";
import type { JsonValue } from "../python/index.ts";

/** Options of {@link runMetricsService}. */
export interface MetricsServiceOptions {
  readonly signal: AbortSignal;
  /** The host name in published frames. */
  readonly host: string;
  /** Run the proxy. @default true */
  readonly proxy?: boolean;
  /** @default "ipc:///var/tmp/disco" */
  readonly frontend?: string;
  /** @default "tcp://*:9000" */
  readonly backend?: string;
  /** Collectors to publish; empty = publish nothing. @default all */
  readonly collectors?: readonly CollectorName[];
  /** Publish period in ms. @default 60000 */
  readonly intervalMs?: number;
  /** Directory holding proc/ and sys/. @default "/" */
  readonly root?: string;
  /** Options of every socket (high-water mark, max message size). */
  readonly socket?: SocketOptions;
  /** The proxy backend's limits against strangers (`[metrics]` limits). @default MetricsProxy's */
  readonly limits?: Partial<BackendLimits>;
  /** Wall clock in unix ms. @default Date.now */
  readonly nowMs?: () => number;
  /** Called once the proxy is bound (with its endpoints) or, without a proxy, once the publisher started. */
  readonly onReady?: (info: { frontend: string; backend?: string }) => void;
  /** Called with the proxy once it is bound, and with undefined when it closes (the daemon publishes input changes into it). */
  readonly onProxy?: (proxy: MetricsProxy | undefined) => void;
  /**
   * Called with each metric another publisher sent through the proxy's frontend (`disco metrics --publish`,
   * disco.py scripts on this host): readers in this process need no connection to the backend. Frames that
   * are not metrics, or name a host that breaks the host name rule, are skipped.
   */
  readonly onForwarded?: (metric: Metric) => void;
  /** Called after each publish (for logs). */
  readonly onPublish?: (metric: Metric, peers: number) => void;
}

/**
 * Runs the proxy and the collectors until `signal` aborts.
 * @throws {TransportError} when the proxy cannot bind
 * @throws {EndpointError} on a malformed endpoint
 */
export async function runMetricsService(o: MetricsServiceOptions): Promise<void> {
  if (o.signal.aborted) return;
  const proxy = o.proxy === false ? undefined : await MetricsProxy.open({ ...(o.frontend && { frontend: o.frontend }), ...(o.backend && { backend: o.backend }), ...(o.socket && { socket: o.socket }), ...(o.limits && { limits: o.limits }) });
  try {
    const frontend = proxy?.frontend ?? o.frontend ?? DEFAULT_FRONTEND;
    const onForwarded = o.onForwarded;
    const tap = onForwarded
      ? (parts: readonly Uint8Array[]) => {
          const metric = parts.length === 1 ? acceptMetricFrame(parts[0]!) : undefined;
          if (metric) onForwarded(metric);
        }
      : undefined;
    const forwarding = proxy?.run(o.signal, tap ? { tap } : {});
    if (proxy) o.onProxy?.(proxy);
    // With the proxy in this process, the collectors hand their frames straight to its backend; a PUB
    // socket over the frontend is only for a proxy elsewhere (`proxy = false`).
    const now = o.nowMs ?? Date.now;
    await using remote = proxy ? undefined : new MetricsPublisher(o.host, { frontend, nowMs: now, ...(o.socket && { socket: o.socket }) });
    const publish = (values: Record<string, JsonValue>): { metric: Metric; peers: number } => (remote ? remote.publish(values) : proxy!.publishMetric(o.host, values, now()));
    o.onReady?.({ frontend, ...(proxy && { backend: proxy.backend }) });
    const names = o.collectors;
    const intervalMs = o.intervalMs ?? 60_000;
    const collectOpts = o.root ? { root: o.root } : {};
    while (!o.signal.aborted) {
      if (!names || names.length > 0) {
        const values = await collectHostMetrics(names, collectOpts);
        if (Object.keys(values).length > 0 && !o.signal.aborted) {
          const { metric, peers } = publish(values);
          o.onPublish?.(metric, peers);
        }
      }
      await sleep(intervalMs, undefined, { signal: o.signal }).catch(() => undefined); // AbortError: the loop ends
    }
    await forwarding;
  } finally {
    if (proxy) o.onProxy?.(undefined);
    await proxy?.close();
  }
}
