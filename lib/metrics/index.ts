/**
 * Metrics the disco.py way: the `metric <host> <json>` frame, a publisher, the XSUB/XPUB proxy, a receiver
 * that follows the fleet's membership, and host collectors.
 */
export { MetricFrameError, MetricsError, NoProxyError } from "./errors.ts";
export type { JsonValue } from "../python/index.ts";
export { METRIC_TOPIC, TIME_KEY, createMetric, decodeMetric, encodeMetric, formatMetric, type Metric } from "./metric.ts";
export { DEFAULT_FRONTEND, MetricsPublisher, publishMetric, type PublishOptions, type PublishResult } from "./publisher.ts";
export { BACKEND_FRAME_SLACK_BYTES, BACKEND_MAX_PARTS, DEFAULT_BACKEND, DEFAULT_BACKEND_LIMITS, MetricsProxy, backendMaxFrameBytes, type BackendLimits, type MetricsProxyOptions } from "./proxy.ts";
export { DEFAULT_METRICS_PORT, MetricsReceiver, backendEndpoint, type ReceiverOptions } from "./receiver.ts";
export {
  COLLECTOR_NAMES,
  collect,
  collectHostMetrics,
  parseLoadavg,
  parseMeminfo,
  parseNetDev,
  parseUptime,
  pickTemperature,
  type CollectOptions,
  type CollectorName,
  type MetricValues,
} from "./collectors.ts";
export { runMetricsService, type MetricsServiceOptions } from "./service.ts";
