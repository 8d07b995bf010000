/**
 * The daemon's HTTP server: the live page, the JSON API, server-sent events, Prometheus exposition
 * (node_exporter names for the host, `disco_*` for the daemon) and http_sd from the membership table.
 */
export { HttpError } from "./errors.ts";
export {
  EXPOSITION_CONTENT_TYPE,
  escapeHelp,
  escapeLabelValue,
  formatValue,
  renderExposition,
  sanitizeMetricName,
  type MetricFamily,
  type MetricType,
  type Sample,
} from "./exposition.ts";
export {
  collectNodeFamilies,
  filesystemFamilies,
  parseLoadFamilies,
  parseMeminfoFamilies,
  parseMounts,
  parseNetDevFamilies,
  parseStatFamilies,
  thermalFamilies,
  type FilesystemStat,
  type NodeCollectOptions,
} from "./node-exporter.ts";
export { discoFamilies } from "./disco-families.ts";
export { buildServiceDiscovery, followedHttpEndpoint, parseHttpEndpoint, type AnnouncedHttp, type SdTargetGroup } from "./sd.ts";
export { encodeSseEvent, SSE_PING, SseHub, type SseHubOptions } from "./sse.ts";
export {
  FleetState,
  type CounterSample,
  type FleetEvent,
  type FleetHost,
  type FleetStateOptions,
  type FleetView,
  type GpioLineView,
  type GpioWriter,
  type HostMetrics,
  type HostState,
} from "./fleet.ts";
export { runHttpServer, startHttpServer, type HttpServerHandle, type HttpServerOptions } from "./server.ts";
export { attachGpio, feedFleet, fleetHostOf, gpioViewsOf, type FleetSources } from "./feed.ts";
export { prepareHttpService, type HttpServiceOptions, type PreparedHttpService } from "./service.ts";
export { countersFromStatus } from "./status-counters.ts";
