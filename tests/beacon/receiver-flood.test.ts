import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MembershipTable, runBeaconService, type ReceivedBeacon } from "../../lib/beacon/index.ts";
import { openUdp, type UdpEndpoint } from "../../lib/net/index.ts";
import { Changes } from "../_lines.ts";

const enc = new TextEncoder();

/** A beacon receiver on 127.0.0.1 with an ephemeral port, as `disco hosts` runs it. */
async function receiver(table: MembershipTable) {
  const stop = new AbortController();
  const seen: ReceivedBeacon[] = [];
  const changes = new Changes();
  let ready!: (port: number) => void;
  const bound = new Promise<number>((r) => (ready = r));
  const running = runBeaconService({
    signal: stop.signal,
    port: 0,
    listen: "127.0.0.1",
    send: false,
    targets: [],
    intervalMs: 15_000,
    self: { host: "rx" },
    channelId: new Uint8Array([1, 2, 3, 4]),
    table,
    onReady: ({ port }) => ready(port),
    onBeacon: (b) => {
      seen.push(b);
      changes.notify();
    },
  });
  const port = await bound;
  return {
    port,
    /** Waits until a beacon from `host` with time `ts` was accepted (looking at the last ones only). */
    accepted: (host: string, ts: number) =>
      changes.until(() => seen.slice(-8).some((b) => b.host === host && b.unixSeconds === ts), { timeoutMs: 2000, failure: (why) => `${why} waiting for ${host} ${ts}` }),
    async [Symbol.asyncDispose]() {
      stop.abort();
      await running;
    },
  };
}

describe("the beacon receiver against spoofed disco.py beacons (real sockets, loopback)", () => {
  it("a table filled by 100,000 beacons from 300 addresses still admits a newcomer", { timeout: 120_000 }, async () => {
    const table = new MembershipTable();
    await using rx = await receiver(table);
    // Any 127/8 address is this machine: 300 senders, each sending 334 different names (16 are taken per
    // address, 300 x 16 = 4,800: more than the 4,096 places, so the last ones evict earlier ones).
    const senders: UdpEndpoint[] = [];
    try {
      for (let a = 0; a < 300; a++) senders.push(await openUdp({ address: `127.1.${Math.floor(a / 200)}.${(a % 200) + 1}` }));
      const marker = await openUdp({ address: "127.0.0.1" });
      senders.push(marker);
      let sent = 0;
      let mark = 0;
      // Loopback keeps the order: once the marker that follows a burst is accepted, the burst was handled.
      // Bursts of 100 stay within the socket buffer; a lost marker is sent again.
      const settle = async (): Promise<void> => {
        const ts = ++mark;
        for (let tries = 0; ; tries++) {
          await marker.send(enc.encode(`HOST marker ${ts}`), rx.port, "127.0.0.1");
          try {
            await rx.accepted("marker", ts);
            return;
          } catch (err) {
            if (tries >= 3) throw err;
          }
        }
      };
      for (let round = 0; round < 334; round++) {
        for (let from = 0; from < 300; from += 100) {
          await Promise.all(senders.slice(from, from + 100).map((s, k) => s.send(enc.encode(`HOST spoof-${from + k}-${round} 1700000000`), rx.port, "127.0.0.1")));
          sent += 100;
          await settle();
        }
      }
      assert.ok(sent >= 100_000);
      assert.equal(table.size, 4096, "the table is full");
      await marker.send(enc.encode("HOST newcomer 1700000001"), rx.port, "127.0.0.1");
      await rx.accepted("newcomer", 1700000001);
      assert.equal(table.get("newcomer")?.state, "alive");
    } finally {
      await Promise.all(senders.map((s) => s.close()));
    }
  });

  it("ignores a spoofed BYE from another address; honours the host's own", { timeout: 60_000 }, async () => {
    const table = new MembershipTable();
    await using rx = await receiver(table);
    await using host = await openUdp({ address: "127.0.0.1" });
    await using spoofer = await openUdp({ address: "127.0.0.2" });
    await host.send(enc.encode("HOST shed 1"), rx.port, "127.0.0.1");
    await rx.accepted("shed", 1);
    await spoofer.send(enc.encode("BYE shed 2"), rx.port, "127.0.0.1");
    await host.send(enc.encode("HOST shed 3"), rx.port, "127.0.0.1");
    await rx.accepted("shed", 3);
    assert.equal(table.get("shed")?.state, "alive", "the spoofed goodbye changed nothing");
    await host.send(enc.encode("BYE shed 4"), rx.port, "127.0.0.1");
    await rx.accepted("shed", 4);
    assert.equal(table.get("shed"), undefined, "its own goodbye removes it");
  });
});
