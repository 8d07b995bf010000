import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { broadcastAddress, describeListenAddress, intToIpv4, ipv4ToInt, NetError, selectInterfaces, type Ipv4Interface } from "../../lib/net/index.ts";

const ifaces: Ipv4Interface[] = [
  { name: "lo", address: "127.0.0.1", netmask: "255.0.0.0", broadcast: "127.255.255.255", internal: true },
  { name: "eth0", address: "10.77.0.5", netmask: "255.255.255.0", broadcast: "10.77.0.255", internal: false },
  { name: "wlan0", address: "192.168.7.9", netmask: "255.255.252.0", broadcast: "192.168.7.255", internal: false },
];

describe("broadcastAddress()", () => {
  it("computes the directed broadcast address", () => {
    assert.equal(broadcastAddress("10.77.0.5", "255.255.255.0"), "10.77.0.255");
    assert.equal(broadcastAddress("192.168.5.9", "255.255.252.0"), "192.168.7.255");
    assert.equal(broadcastAddress("127.0.0.1", "255.0.0.0"), "127.255.255.255");
    assert.equal(broadcastAddress("10.0.0.1", "255.255.255.255"), "10.0.0.1");
  });
  it("rejects text that is not IPv4", () => {
    assert.throws(() => broadcastAddress("10.0.0", "255.0.0.0"), RangeError);
    assert.throws(() => broadcastAddress("10.0.0.1", "255.0.0.256"), RangeError);
  });
  it("ipv4ToInt() and intToIpv4() round-trip", () => {
    for (const a of ["0.0.0.0", "255.255.255.255", "10.77.0.1", "192.168.1.200"]) assert.equal(intToIpv4(ipv4ToInt(a)!), a);
    assert.equal(ipv4ToInt("1.2.3"), undefined);
  });
});

describe("selectInterfaces()", () => {
  it("defaults to every non-loopback interface", () => {
    assert.deepEqual(selectInterfaces([], ifaces).map((i) => i.name), ["eth0", "wlan0"]);
  });
  it("picks named interfaces, loopback included when asked for", () => {
    assert.deepEqual(selectInterfaces(["lo"], ifaces).map((i) => i.broadcast), ["127.255.255.255"]);
  });
  it("names an unknown interface and the known ones", () => {
    assert.throws(() => selectInterfaces(["eth9"], ifaces), (e: unknown) => e instanceof NetError && /'eth9' does not exist.*known: lo, eth0, wlan0/.test(e.message));
  });
});

describe("describeListenAddress()", () => {
  it("says what each kind of listen address hears, and what to use instead of a broadcast address", () => {
    assert.match(describeListenAddress("0.0.0.0", ifaces), /^every interface/);
    assert.match(describeListenAddress("10.77.0.5", ifaces), /^10\.77\.0\.5 on eth0 only: unicast to it and broadcasts to 10\.77\.0\.255/);
    assert.match(describeListenAddress("10.77.0.255", ifaces), /^10\.77\.0\.255 is the broadcast address of eth0: .*listen = "10\.77\.0\.5" hears those broadcasts/);
    assert.match(describeListenAddress("127.255.255.255", ifaces), /broadcast address of lo/);
    assert.match(describeListenAddress("10.9.9.9", ifaces), /is not an address of this host now/);
  });
});
