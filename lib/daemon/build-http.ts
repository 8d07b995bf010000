/**
 * The HTTP builder: `[http]` -> the bound web server (page, API, events, /metrics, /sd) over a fleet view
 * fed from the daemon's context. Binding happens in prepare, so a reload onto a taken port is refused
 * before anything stops.
 */
import { readFile } from "node:fs/promises";
import type { DiscoConfig, GpioConfig, HttpConfig } from "../config/index.ts";
import { countersFromStatus, prepareHttpService, type FleetSources } from "../http/index.ts";
import { VERSION } from "../version.ts";
import { DaemonError } from "./errors.ts";
import { announcedOffers, localAddresses, offerConfig } from "../offers/index.ts";
import { sameSliceExcept } from "./plan.ts";
import type { Builder, DaemonContext } from "./types.ts";

/** What the HTTP task (and the MQTT task) depend on. */
export interface FleetViewSlice {
  readonly host: string;
  readonly services: DiscoConfig["services"];
  readonly gpio: GpioConfig;
  /** The metrics root of proc/ and sys/ (node_exporter families). */
  readonly root: string;
  /** Whether beacons run (then every fleet host's metrics are received, on this port by default). */
  readonly fleetMetricsPort?: number;
  readonly metricsEndpointConfig: ReturnType<typeof offerConfig>;
}

/** The fleet-view part of a config, shared by the HTTP and MQTT slices. */
export function fleetViewSlice(config: DiscoConfig, host: string): FleetViewSlice {
  const m = config.metrics;
  return {
    host,
    services: config.services,
    gpio: config.gpio,
    root: m.root,
    ...(config.beacon.enabled && { fleetMetricsPort: m.port }),
    metricsEndpointConfig: offerConfig(config),
  };
}

/** This host as the page and the bridge show it. */
export function selfOf(slice: FleetViewSlice) {
  const addresses = localAddresses("0.0.0.0");
  return {
    host: slice.host,
    addresses,
    version: VERSION,
    services: slice.services,
    ...announcedOffers(slice.metricsEndpointConfig, addresses[0]),
  };
}

/** The daemon's sources of a fleet view. */
export function fleetSourcesOf(slice: FleetViewSlice, ctx: DaemonContext): FleetSources {
  return {
    membership: ctx.membership,
    events: (signal) => ctx.subscribe({ signal }),
    latestMetric: () => ctx.latestMetric(),
    lines: () => ctx.gpio.get(),
    gpio: slice.gpio,
    ...(slice.fleetMetricsPort !== undefined && { fleetMetrics: { port: slice.fleetMetricsPort } }),
  };
}

/**
 * Reads a secret's first line.
 * @throws {DaemonError} naming the key when the file is missing or empty
 */
export async function readSecretLine(path: string, key: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new DaemonError(`${key}: cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  const line = text.split("\n")[0]!.trim();
  if (!line) throw new DaemonError(`${key}: ${path} is empty (its first line is the secret)`);
  return line;
}

/** The HTTP server's slice: the fleet view and all of `[http]` (the MQTT slice carries only the fleet view). */
export interface HttpSlice extends FleetViewSlice {
  readonly http: HttpConfig;
}

/** `[http]`: the web server. */
export const httpBuilder: Builder<HttpSlice> = {
  name: "http",
  slice: ({ config, host }) => (config.http.enabled ? { ...fleetViewSlice(config, host), http: config.http } : undefined),
  // The same address cannot be bound twice: a changed server on the same listen stops the old one first.
  conflicts: (a, b) => a.http.address === b.http.address && a.http.port === b.http.port && a.http.port !== 0,
  async prepare(slice, ctx) {
    const h = slice.http;
    const token = h.tokenFile !== undefined ? await readSecretLine(h.tokenFile, "http.token_file") : undefined;
    const service = await prepareHttpService({
      self: selfOf(slice),
      address: h.address,
      port: h.port,
      ...(token !== undefined && { token }),
      maxClients: h.maxClients,
      root: slice.root,
      sources: fleetSourcesOf(slice, ctx),
      status: () => ctx.status() as unknown as Record<string, unknown>,
      counters: () => countersFromStatus(ctx.status()),
      onError: (err) => ctx.log.warn(`http: a request failed: ${err.message}`, { task: "http" }),
    });
    ctx.log.info(`http: serving ${service.server.url}${token ? " (token required)" : ""}`, { task: "http", url: service.server.url });
    return {
      run: service.run,
      counters: service.counters,
      close: service.close,
      // Only this host's services changed: the page shows the new ones, the server and its streams stay.
      update: async (next) => {
        if (!sameSliceExcept(slice, next, "services")) return undefined;
        return () => service.fleet.setSelf(selfOf(next));
      },
    };
  },
};
