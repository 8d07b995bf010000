/**
 * Prometheus HTTP service discovery (`http_sd_configs`): one target group per fleet host that announces
 * an HTTP endpoint, labelled with its host name, version and membership state. Pure.
 */
import type { FleetHost } from "./fleet.ts";

/** One http_sd target group. */
export interface SdTargetGroup {
  readonly targets: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Splits an announced base URL into what http_sd needs.
 * @returns `host:port`, scheme and path prefix, or undefined when the text is not an http(s) URL
 */
export function parseHttpEndpoint(endpoint: string): { target: string; scheme: "http" | "https"; path: string } | undefined {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    return undefined;
  }
  if ((u.protocol !== "http:" && u.protocol !== "https:") || !u.hostname || u.username || u.password) return undefined;
  const scheme = u.protocol === "https:" ? "https" : "http";
  const port = u.port || (scheme === "https" ? "443" : "80");
  return { target: `${u.hostname}:${port}`, scheme, path: u.pathname.replace(/\/+$/, "") };
}

/** What {@link followedHttpEndpoint} reads of a membership record. */
export interface AnnouncedHttp {
  readonly httpEndpoint?: string;
  /** The beacon was sealed (authenticated). */
  readonly sealed?: boolean;
  /** Where the host was heard from, most recent source first. */
  readonly addresses: readonly string[];
}

/**
 * The HTTP base URL to follow for a host's announcement. A sealed beacon's endpoint is followed as it is
 * (its sender holds the key), with a wildcard host (`0.0.0.0`, `::`) replaced by the address it was heard
 * from. An unsealed beacon's announcement is only believed about the scheme, port and path: the URL goes
 * to the address the beacon came from, so a spoofed beacon cannot send every Prometheus reading `/sd`, or
 * the page's links, to a host of its choosing (as the metrics receiver's `backendEndpoint` does for metrics).
 * @param host the record (membership's `HostRecord` fits)
 * @returns the URL, or undefined when none is announced, it is not an http(s) URL, or there is no source
 *   address to put in it
 */
export function followedHttpEndpoint(host: AnnouncedHttp): string | undefined {
  if (host.httpEndpoint === undefined) return undefined;
  const ep = parseHttpEndpoint(host.httpEndpoint);
  if (!ep) return undefined;
  const u = new URL(host.httpEndpoint);
  const wildcard = u.hostname === "0.0.0.0" || u.hostname === "[::]";
  if (host.sealed === true && !wildcard) return host.httpEndpoint;
  const address = host.addresses[0];
  if (address === undefined || address === "") return undefined;
  const followed = `${ep.scheme}://${address.includes(":") ? `[${address}]` : address}${u.port ? `:${u.port}` : ""}${ep.path}`;
  // A source address a URL cannot hold (e.g. an IPv6 zone): nothing to follow rather than the announced host.
  return parseHttpEndpoint(followed) ? followed : undefined;
}

/**
 * Builds the http_sd document: hosts without a (valid) HTTP endpoint are left out, failed hosts stay
 * (Prometheus then shows them down, which is what they are).
 * @returns the target groups, sorted by host name
 */
export function buildServiceDiscovery(hosts: readonly FleetHost[]): SdTargetGroup[] {
  const groups: SdTargetGroup[] = [];
  for (const h of hosts) {
    const ep = h.httpEndpoint === undefined ? undefined : parseHttpEndpoint(h.httpEndpoint);
    if (!ep) continue;
    const labels: Record<string, string> = { host: h.host, state: h.state };
    if (h.version !== undefined) labels["version"] = h.version;
    if (ep.scheme !== "http") labels["__scheme__"] = ep.scheme;
    if (ep.path) labels["__metrics_path__"] = `${ep.path}/metrics`;
    groups.push({ targets: [ep.target], labels });
  }
  return groups.sort((a, b) => (a.labels["host"]! < b.labels["host"]! ? -1 : a.labels["host"]! > b.labels["host"]! ? 1 : 0));
}
