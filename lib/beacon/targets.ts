/**
 * Where beacons go: the broadcast address of every chosen interface, plus explicit targets. Pure over the
 * interface list (lib/net reads it).
 */
import { listIpv4Interfaces, selectInterfaces, type Ipv4Interface } from "../net/index.ts";

/** Beacon destinations and this host's own addresses on them. */
export interface BeaconTargets {
  /** Addresses to send to, without duplicates. */
  readonly targets: readonly string[];
  /** Addresses of the chosen interfaces (announced in rich beacons). */
  readonly addresses: readonly string[];
}

/**
 * Resolves targets. Named interfaces give their broadcast addresses; with no interface named and no
 * explicit target, every up non-loopback IPv4 interface is used; with explicit targets only, ONLY those
 * (so `--to 127.255.255.255` never also sends on a real interface).
 * @param interfaces names from `-i` or config
 * @param explicit addresses from `--to` or config `broadcast`
 * @param available the interface list (default: the OS's)
 * @throws {NetError} naming an interface that does not exist
 */
export function resolveTargets(interfaces: readonly string[], explicit: readonly string[], available: readonly Ipv4Interface[] = listIpv4Interfaces()): BeaconTargets {
  const chosen = interfaces.length === 0 && explicit.length > 0 ? [] : selectInterfaces(interfaces, available);
  const targets = [...new Set([...chosen.map((i) => i.broadcast), ...explicit])];
  const addresses = [...new Set(chosen.map((i) => i.address))];
  return { targets, addresses };
}
