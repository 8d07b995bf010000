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
