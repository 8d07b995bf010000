/**
 * Local IPv4 interfaces and their broadcast addresses, for senders that must pick where to send.
 */
import { networkInterfaces } from "node:os";
import { NetError } from "./errors.ts";

/** One IPv4 address of a local interface. */
export interface Ipv4Interface {
  /** Interface name, e.g. "eth0". */
  readonly name: string;
  readonly address: string;
  readonly netmask: string;
  /** Directed broadcast address of the subnet. */
  readonly broadcast: string;
  readonly internal: boolean;
}

/** Dotted IPv4, each part 0 to 255 (no leading "+", no spaces). */
export const IPV4_PATTERN = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)$/;

/** Parses dotted IPv4 into an unsigned 32-bit integer, or undefined. */
export function ipv4ToInt(text: string): number | undefined {
  if (!IPV4_PATTERN.test(text)) return undefined;
  const parts = text.split(".").map(Number);
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

/** Formats an unsigned 32-bit integer as dotted IPv4. */
export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/**
 * The directed broadcast address of `address` under `netmask`.
 * @throws {RangeError} when either is not dotted IPv4
 */
export function broadcastAddress(address: string, netmask: string): string {
  const a = ipv4ToInt(address);
  const m = ipv4ToInt(netmask);
  if (a === undefined || m === undefined) throw new RangeError(`not an IPv4 address and netmask: ${address}/${netmask}`);
  return intToIpv4((a | ~m) >>> 0);
}

/** Every IPv4 address of every interface the OS reports (those that are up). */
export function listIpv4Interfaces(): Ipv4Interface[] {
  const out: Ipv4Interface[] = [];
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== "IPv4") continue;
      out.push({ name, address: a.address, netmask: a.netmask, broadcast: broadcastAddress(a.address, a.netmask), internal: a.internal });
    }
  }
  return out;
}

/**
 * The interfaces a sender should use: the named ones, or every non-loopback IPv4 interface when none is
 * named.
 * @param names interface names chosen by the user (`-i`, config); empty for "all"
 * @returns the matching interfaces
 * @throws {NetError} naming an interface that does not exist or has no IPv4 address
 */
export function selectInterfaces(names: readonly string[], available: readonly Ipv4Interface[] = listIpv4Interfaces()): Ipv4Interface[] {
  if (names.length === 0) return available.filter((i) => !i.internal);
  const out: Ipv4Interface[] = [];
  for (const name of names) {
    const found = available.filter((i) => i.name === name);
    if (found.length === 0) {
      const known = [...new Set(available.map((i) => i.name))].join(", ");
      throw new NetError(`interface '${name}' does not exist or has no IPv4 address (known: ${known || "none"})`);
    }
    out.push(...found);
  }
  return out;
}

/**
 * What listening on `address` means, in one sentence for people (`disco config check`, server banners).
 * @param address the configured `listen` address
 * @param interfaces this host's interfaces @default listIpv4Interfaces()
 * @returns e.g. "every interface" or "10.0.0.5 on eth0: unicast to it and broadcasts to 10.0.0.255; replies from 10.0.0.5"
 */
export function describeListenAddress(address: string, interfaces: readonly Ipv4Interface[] = listIpv4Interfaces()): string {
  if (address === "0.0.0.0") return "every interface: unicast, broadcasts and joined multicast groups";
  const found = interfaces.find((i) => i.address === address);
  const directed = found ? undefined : interfaces.find((i) => i.broadcast === address && i.broadcast !== i.address);
  if (directed) {
    return `${address} is the broadcast address of ${directed.name}: only broadcasts to it are heard (no unicast), and replies would leave from a broadcast address, which hosts drop; listen = "${directed.address}" hears those broadcasts and answers from ${directed.address}`;
  }
  if (!found) return `${address} is not an address of this host now (the socket cannot bind until it is)`;
  const broadcast = found.broadcast !== found.address ? ` and broadcasts to ${found.broadcast}` : "";
  return `${address} on ${found.name} only: unicast to it${broadcast} (and a configured multicast group on that interface); replies leave from ${address}; other interfaces and 255.255.255.255 are not heard`;
}
