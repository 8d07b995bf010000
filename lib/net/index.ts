/** Interfaces, broadcast addresses and socket helpers shared by discovery, beacons and metrics. */
export { NetError } from "./errors.ts";
export { IPV4_PATTERN, broadcastAddress, describeListenAddress, intToIpv4, ipv4ToInt, listIpv4Interfaces, selectInterfaces, type Ipv4Interface } from "./interfaces.ts";
export { BURST_RECV_BUFFER_BYTES, openUdp, type Datagram, type DatagramSink, type OpenUdp, type OpenUdpOptions, type OutgoingDatagram, type SiblingBinding, type UdpEndpoint } from "./udp.ts";
