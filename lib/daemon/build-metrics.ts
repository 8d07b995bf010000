/** The metrics builder: `[metrics]` -> the bound ZeroMQ proxy and the host collectors published through it. */
import type { MetricsConfig } from "../config/index.ts";
import { runMetricsService, type MetricsProxy } from "../metrics/index.ts";
import { startBound } from "./_bound.ts";
import type { Builder } from "./types.ts";

/** What the metrics task depends on (the receiver-side keys `connect` and `port` are left out). */
export interface MetricsSlice {
  readonly host: string;
  readonly metrics: Omit<MetricsConfig, "connect" | "port">;
}

/** `[metrics] enabled`: the proxy and the collectors. */
export const metricsBuilder: Builder<MetricsSlice> = {
  name: "metrics",
  slice: ({ config, host }) => {
    if (!config.metrics.enabled) return undefined;
    const { connect: _c, port: _p, ...metrics } = config.metrics;
    return { host, metrics };
  },
  // The proxy's endpoints cannot be bound twice: a changed proxy on the same endpoint stops the old one first.
  conflicts: (a, b) => a.metrics.proxy && b.metrics.proxy && (a.metrics.frontend === b.metrics.frontend || a.metrics.backend === b.metrics.backend),
  async prepare(slice, ctx) {
    const m = slice.metrics;
    let published = 0;
    let peers = 0;
    let mine: MetricsProxy | undefined;
    const task = await startBound((signal, ready) =>
      runMetricsService({
        signal,
        host: slice.host,
        proxy: m.proxy,
        frontend: m.frontend,
        backend: m.backend,
        collectors: m.collectors,
        intervalMs: m.intervalMs,
        root: m.root,
        socket: { highWaterMark: m.highWaterMark, maxMessageBytes: m.maxMessageBytes },
        limits: m.limits,
        onReady: ({ frontend, backend }) => {
          ctx.log.info(`metrics: ${backend ? `proxy ${frontend} -> ${backend}` : `publishing to ${frontend}`}`, { task: "metrics" });
          ready();
        },
        // Only the task that set it clears it: a replacement may have set its own meanwhile.
        onProxy: (proxy) => {
          if (proxy) {
            mine = proxy;
            ctx.proxy.set(proxy);
          } else if (mine && ctx.proxy.get() === mine) ctx.proxy.set(undefined);
        },
        // What scripts on this host publish through the frontend reaches the page and the MQTT bridge here.
        onForwarded: (metric) => ctx.emit({ type: "metric", metric }),
        onPublish: (metric, n) => {
          published++;
          peers = n;
          ctx.emit({ type: "metric", metric });
        },
      }),
    );
    return { ...task, counters: () => ({ published, peers }) };
  },
};
