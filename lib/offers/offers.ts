/**
 * What this host offers to others, from its config: the metrics endpoint and GPIO lines that discovery
 * answers and rich beacons announce, and the self-description discovery answers with.
 */
import { advertisedHttpEndpoint, type AdvertisedHttp, type DiscoConfig, type MetricsConfig } from "../config/index.ts";
import { describeHost, type SelfDescription } from "../discovery/index.ts";
import { describeGpioInterfaces, type GpioInterface } from "../gpio/index.ts";
import { listIpv4Interfaces } from "../net/index.ts";
import { VERSION } from "../version.ts";

/** The interfaces a host announces. */
export interface HostOffers {
  /** The metrics proxy's backend, e.g. "tcp://10.0.0.5:9000", when this host serves one. */
  readonly metricsEndpoint?: string;
  /** Declared GPIO lines by name and direction. */
  readonly gpio: readonly GpioInterface[];
  /** The HTTP server's base URL, when `[http]` runs and its URL is known. */
  readonly httpEndpoint?: string;
}

/** The part of a config that decides what a host offers: plain data, so reloads can compare it. */
export interface OfferConfig {
  readonly metrics: Pick<MetricsConfig, "enabled" | "proxy" | "backend">;
  /** Declared GPIO lines by name and direction. */
  readonly gpio: readonly GpioInterface[];
  /** What of `[http]` decides its advertised URL (only that: a change to its other keys announces nothing new). */
  readonly http?: AdvertisedHttp;
}

/** The {@link OfferConfig} of a config. */
export function offerConfig(config: Pick<DiscoConfig, "metrics" | "gpio"> & Partial<Pick<DiscoConfig, "http">>): OfferConfig {
  const { enabled, proxy, backend } = config.metrics;
  const h = config.http;
  const http = h?.enabled ? { http: { enabled: h.enabled, ...(h.advertise !== undefined && { advertise: h.advertise }), address: h.address, port: h.port } } : {};
  return { metrics: { enabled, proxy, backend }, gpio: describeGpioInterfaces(config.gpio), ...http };
}

/**
 * The metrics endpoint and GPIO lines a host announces.
 * @param config the host's config, or its {@link OfferConfig}
 * @param address this host's address on the LAN, to replace a wildcard bind (`tcp://*:9000`); without it
 *   the endpoint keeps the wildcard and receivers substitute the address they heard the host from
 * @returns the offers
 */
export function hostOffers(config: (Pick<DiscoConfig, "metrics" | "gpio"> & Partial<Pick<DiscoConfig, "http">>) | OfferConfig, address?: string): HostOffers {
  const m = config.metrics;
  const gpio = Array.isArray(config.gpio) ? (config.gpio as readonly GpioInterface[]) : describeGpioInterfaces(config.gpio as DiscoConfig["gpio"]);
  const httpEndpoint = config.http ? advertisedHttpEndpoint(config.http, address) : undefined;
  const http = httpEndpoint !== undefined ? { httpEndpoint } : {};
  if (!m.enabled || !m.proxy || !m.backend.startsWith("tcp://")) return { gpio, ...http };
  const metricsEndpoint = address ? m.backend.replace(/^tcp:\/\/(\*|0\.0\.0\.0):/, `tcp://${address}:`) : m.backend;
  return { metricsEndpoint, gpio, ...http };
}

/**
 * The offers as rich beacons and the fleet view announce them: the endpoints, and the GPIO lines by name.
 * @param config the host's config, or its {@link OfferConfig}
 * @param address this host's address on the LAN (see {@link hostOffers})
 * @returns the announced offers
 */
export function announcedOffers(config: Parameters<typeof hostOffers>[0], address?: string): { gpio: string[]; metricsEndpoint?: string; httpEndpoint?: string } {
  const o = hostOffers(config, address);
  return {
    gpio: o.gpio.map((g) => g.name),
    ...(o.metricsEndpoint !== undefined && { metricsEndpoint: o.metricsEndpoint }),
    ...(o.httpEndpoint !== undefined && { httpEndpoint: o.httpEndpoint }),
  };
}

/**
 * The addresses a host announces for a bind address: that address, or for 0.0.0.0 every non-loopback IPv4
 * address (loopback ones only when there is nothing else).
 */
export function localAddresses(listen: string): string[] {
  if (listen !== "0.0.0.0") return [listen];
  const all = listIpv4Interfaces();
  const external = all.filter((i) => !i.internal).map((i) => i.address);
  return external.length ? external : all.map((i) => i.address);
}

/** What {@link createDescriber} needs beyond the config. */
export interface DescriberOptions {
  /** This host's name. */
  host: string;
  /** The address the responder binds (0.0.0.0 announces every local address). */
  listen: string;
  /** The services to announce. @default config.services */
  services?: Readonly<Record<string, unknown>>;
}

/**
 * The discovery self-description of this host, as a function (uptime counts from the call).
 * @returns a function giving the current description
 */
export function createDescriber(config: (Pick<DiscoConfig, "metrics" | "gpio"> | OfferConfig) & Pick<DiscoConfig, "services">, o: DescriberOptions): () => SelfDescription {
  const started = performance.now();
  const addresses = localAddresses(o.listen);
  const { metricsEndpoint, gpio, httpEndpoint } = hostOffers(config, addresses[0]);
  const services = o.services ?? config.services;
  return () =>
    describeHost({
      host: o.host,
      addresses,
      version: VERSION,
      uptimeSec: (performance.now() - started) / 1000,
      services,
      gpio,
      ...(metricsEndpoint !== undefined && { metricsEndpoint }),
      ...(httpEndpoint !== undefined && { httpEndpoint }),
    });
}
