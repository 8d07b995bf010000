/**
 * `[http]`: the daemon's web server (the live page, the JSON API, server-sent events, Prometheus `/metrics`
 * and `/sd`). Off unless the table is present. Loopback by default; any other address needs a bearer token
 * (`token_file`), because the page, the API and the exposition describe the fleet.
 */
import type { Section } from "./_schema.ts";

/** The default listen address: loopback only. */
export const DEFAULT_HTTP_LISTEN = "127.0.0.1:9180";

/** `[http]` */
export interface HttpConfig {
  /** Run the HTTP server under `disco run`: true when `[http]` is present, unless `enabled = false`. */
  readonly enabled: boolean;
  /** `host:port` (IPv6 in brackets: `[::1]:9180`); port 0 lets the OS choose. @default "127.0.0.1:9180" */
  readonly listen: string;
  /** The host part of `listen` (brackets removed). */
  readonly address: string;
  /** The port part of `listen`. */
  readonly port: number;
  /** File whose first line is the bearer token (read by the CLI). Needed for any non-loopback listen and for GPIO writes. */
  readonly tokenFile?: string;
  /** The base URL this host announces (beacons, discovery answers, `/sd`), e.g. "http://10.0.0.5:9180". Default: derived from `listen`. */
  readonly advertise?: string;
  /** Most `/events` streams open at once; further ones get 503. @default 64 */
  readonly maxClients: number;
}

/** Whether a listen address is loopback only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackAddress(address: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === "::1" || address === "localhost";
}

/**
 * Splits `host:port` (`[v6]:port`).
 * @returns the parts, or undefined when the text is not of that shape or the port is out of range
 */
export function splitListen(text: string): { address: string; port: number } | undefined {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { address: m[1] ?? m[2]!, port };
}

/** Reads and validates `[http]`; `present` says whether the table was in the file. */
export function readHttp(s: Section, present: boolean): HttpConfig {
  const enabled = s.bool("enabled", { default: present });
  const listen = s.string("listen", { default: DEFAULT_HTTP_LISTEN });
  const parts = splitListen(listen);
  if (!parts) s.problem("listen", `expected host:port such as "127.0.0.1:9180", "0.0.0.0:9180" or "[::1]:9180", got ${JSON.stringify(listen)}`);
  const { address, port } = parts ?? splitListen(DEFAULT_HTTP_LISTEN)!;
  const tokenFile = s.string("token_file", { nonEmpty: true });
  if (parts && !isLoopbackAddress(address) && tokenFile === undefined) {
    s.problem("listen", `${address} is reachable from the LAN, so it needs token_file (a bearer token): the page, the API and /metrics describe the fleet. Use 127.0.0.1 to stay on this host`);
  }
  const advertise = s.string("advertise", { pattern: /^https?:\/\/[^\s/]+(\/\S*)?$/, patternText: 'a base URL such as "http://10.0.0.5:9180"' });
  const maxClients = s.int("max_clients", { default: 64, min: 1, max: 10_000 });
  s.done();
  return {
    enabled,
    listen,
    address,
    port,
    ...(tokenFile !== undefined && { tokenFile }),
    ...(advertise !== undefined && { advertise: advertise.replace(/\/+$/, "") }),
    maxClients,
  };
}

/**
 * The base URL a host announces for its HTTP server: `advertise`, else `listen` (a wildcard listen
 * announces `address`, this host's LAN address, when given). A loopback listen is not announced: no
 * other host could reach it.
 * @returns the URL, or undefined when `[http]` is off, listens on loopback, or the URL cannot be known (a
 *   wildcard without an address, or port 0)
 */
/** The part of `[http]` that decides the URL a host announces (see {@link advertisedHttpEndpoint}). */
export type AdvertisedHttp = Pick<HttpConfig, "enabled" | "advertise" | "address" | "port">;

export function advertisedHttpEndpoint(http: AdvertisedHttp, address?: string): string | undefined {
  if (!http.enabled) return undefined;
  if (http.advertise !== undefined) return http.advertise;
  if (http.port === 0 || isLoopbackAddress(http.address)) return undefined;
  const wildcard = http.address === "0.0.0.0" || http.address === "::";
  const host = wildcard ? address : http.address;
  if (host === undefined) return undefined;
  return `http://${host.includes(":") ? `[${host}]` : host}:${http.port}`;
}
