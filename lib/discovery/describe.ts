/**
 * The self-description a responder sends: who this host is and what it offers.
 */
import type { GpioLineInfo, HostInterfaces, SelfDescription } from "./payload.ts";

/** Input to {@link describeHost}. */
export interface DescribeOptions {
  /** Host name (config `[host] name`, `--name`, or the system host name). */
  host: string;
  /** The host's addresses. */
  addresses: readonly string[];
  /** The disco version. */
  version: string;
  /** Seconds since the host (or the server) started. */
  uptimeSec: number;
  /** `[services]`, verbatim. @default {} */
  services?: Readonly<Record<string, unknown>>;
  /** Metrics endpoint, when the host publishes metrics. */
  metricsEndpoint?: string;
  /** GPIO lines the host exposes. */
  gpio?: readonly GpioLineInfo[];
  /** HTTP server base URL, when `[http]` runs. */
  httpEndpoint?: string;
}

/**
 * Builds a self-description.
 * @returns the description, with uptime rounded to 0.1 s
 * @example describeHost({ host: "pi-1", addresses: ["10.0.0.5"], version: "0.1.0", uptimeSec: 12 })
 */
export function describeHost(o: DescribeOptions): SelfDescription {
  const interfaces: HostInterfaces = {
    ...(o.metricsEndpoint !== undefined && { metrics: o.metricsEndpoint }),
    ...(o.gpio !== undefined && o.gpio.length > 0 && { gpio: o.gpio.map((g) => ({ name: g.name, direction: g.direction })) }),
    ...(o.httpEndpoint !== undefined && { http: o.httpEndpoint }),
  };
  return {
    host: o.host,
    addresses: [...o.addresses],
    version: o.version,
    uptimeSec: Math.round(o.uptimeSec * 10) / 10,
    services: o.services ?? {},
    interfaces,
  };
}
