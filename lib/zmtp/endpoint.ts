/**
 * ZeroMQ endpoint strings: `tcp://host:port` (IPv4, `[IPv6]`, a name, or `*` for every interface when
 * binding; port `*` or 0 for an ephemeral port) and `ipc://path` (a Unix domain socket).
 */
import { EndpointError } from "./errors.ts";

/** A parsed endpoint, discriminated on `transport`. */
export type Endpoint =
  | { readonly transport: "tcp"; readonly host: string; readonly port: number; readonly wildcard: boolean }
  | { readonly transport: "ipc"; readonly path: string };

/**
 * Parses an endpoint.
 * @param text e.g. `tcp://*:9000`, `tcp://127.0.0.1:0`, `tcp://[::1]:5555`, `ipc:///var/tmp/disco`
 * @returns the endpoint; a `*` host becomes `0.0.0.0` (or `::` with `ipv6`) with `wildcard` set
 * @throws {EndpointError} on anything else
 */
export function parseEndpoint(text: string, options: { ipv6?: boolean } = {}): Endpoint {
  const m = /^([a-z]+):\/\/(.*)$/.exec(text);
  if (!m) throw new EndpointError(`bad endpoint '${text}': expected tcp://HOST:PORT or ipc://PATH`, text);
  const [, scheme, rest] = m as unknown as [string, string, string];
  if (scheme === "ipc") {
    if (rest.length === 0) throw new EndpointError(`bad endpoint '${text}': ipc:// needs a path`, text);
    if (Buffer.byteLength(rest) > 107) throw new EndpointError(`bad endpoint '${text}': ipc paths are at most 107 bytes`, text);
    return { transport: "ipc", path: rest };
  }
  if (scheme !== "tcp") throw new EndpointError(`unsupported transport '${scheme}' in '${text}' (disco speaks tcp:// and ipc://)`, text);
  const hp = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\[\]]+)):(\d{1,5}|\*)$/.exec(rest);
  if (!hp) throw new EndpointError(`bad endpoint '${text}': expected tcp://HOST:PORT (IPv6 as [addr])`, text);
  const host = hp[1] ?? hp[2]!;
  const port = hp[3] === "*" ? 0 : Number(hp[3]);
  if (port > 65535) throw new EndpointError(`bad endpoint '${text}': port ${port} is over 65535`, text);
  if (host === "*") return { transport: "tcp", host: options.ipv6 ? "::" : "0.0.0.0", port, wildcard: true };
  return { transport: "tcp", host, port, wildcard: false };
}

/**
 * Formats an endpoint back to text (IPv6 hosts in brackets).
 * @returns e.g. `tcp://127.0.0.1:40123`
 */
export function formatEndpoint(ep: Endpoint): string {
  if (ep.transport === "ipc") return `ipc://${ep.path}`;
  const host = ep.host.includes(":") ? `[${ep.host}]` : ep.host;
  return `tcp://${host}:${ep.port}`;
}
