/**
 * The beacon sockets — receiver, py-vault-multicast listener, sender — bound together: what
 * {@link prepareBeacons} opens before anything runs.
 */
import { BURST_RECV_BUFFER_BYTES, type OpenUdp, type UdpEndpoint } from "../net/index.ts";
import type { BeaconCounters } from "./counters.ts";

/** What {@link openBeaconSockets} binds. */
export interface BeaconSocketsOptions {
  port: number;
  /** Address the receiver binds, and the py-vault-multicast listener too. */
  listen: string;
  /** A unicast listen address still hears the beacons broadcast on its interface. @default false */
  hearInterface?: boolean;
  vault?: { readonly group: string; readonly port: number; readonly interface?: string };
  /** Open a sender socket. */
  send: boolean;
  /** Counts receive-queue overflows as `overload` drops. */
  counters: BeaconCounters;
}

/** The bound sockets; `close` closes all of them. */
export interface BeaconSockets {
  readonly rx: UdpEndpoint;
  readonly vaultRx?: UdpEndpoint;
  readonly tx?: UdpEndpoint;
  close(): Promise<void>;
}

/**
 * Binds the beacon sockets; on a failure the ones already bound are closed.
 * @throws {NetError} when a socket cannot be bound or a group joined
 */
export async function openBeaconSockets(open: OpenUdp, o: BeaconSocketsOptions): Promise<BeaconSockets> {
  const sockets: UdpEndpoint[] = [];
  const close = async () => void (await Promise.all(sockets.map((x) => x.close())));
  try {
    const onOverflow = () => o.counters.recordDrop("overload");
    // Room for a burst, as the discovery socket has.
    const recvBufferBytes = BURST_RECV_BUFFER_BYTES;
    const rx = await open({ port: o.port, address: o.listen, reuseAddr: true, onOverflow, recvBufferBytes, ...(o.hearInterface && { hearInterface: true }) });
    sockets.push(rx);
    let vaultRx: UdpEndpoint | undefined;
    if (o.vault) {
      // Bound to the listen address like the receiver: a unicast one hears the group (joined on the vault
      // interface, else on that address) through a sibling socket, never every interface through 0.0.0.0.
      const group = { group: o.vault.group, ...(o.vault.interface && { interface: o.vault.interface }) };
      vaultRx = await open({ port: o.vault.port, address: o.listen, reuseAddr: true, onOverflow, recvBufferBytes, multicast: group, hearInterface: true });
      sockets.push(vaultRx);
    }
    let tx: UdpEndpoint | undefined;
    if (o.send) {
      tx = await open({ port: 0, reuseAddr: false, broadcast: true });
      sockets.push(tx);
    }
    return { rx, ...(vaultRx && { vaultRx }), ...(tx && { tx }), close };
  } catch (err) {
    await close();
    throw err;
  }
}
