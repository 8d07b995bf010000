import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createBeaconBuilder, openUdp, runBeaconSender, BeaconCounters, type Datagram } from "../../lib/beacon/index.ts";
import { NetError } from "../../lib/net/index.ts";

async function first(it: AsyncIterable<Datagram>): Promise<Datagram> {
  for await (const d of it) return d;
  throw new Error("ended without a datagram");
}

describe("openUdp()", () => {
  it("two SO_REUSEADDR receivers on one port both get a loopback broadcast", async () => {
    await using a = await openUdp({ port: 0 });
    await using b = await openUdp({ port: a.port });
    await using tx = await openUdp({ port: 0, address: "127.0.0.1", reuseAddr: false, broadcast: true });
    await tx.send(new TextEncoder().encode("HOST x 1"), a.port, "127.255.255.255");
    const [da, db] = await Promise.all([first(a), first(b)]);
    assert.equal(new TextDecoder().decode(da.data), "HOST x 1");
    assert.equal(db.address, "127.0.0.1");
  });

  it("counts datagrams over the queue limit and ends iteration on close", async () => {
    let overflowed = 0;
    await using rx = await openUdp({ port: 0, address: "127.0.0.1", maxQueued: 2, onOverflow: () => overflowed++ });
    await using tx = await openUdp({ port: 0, address: "127.0.0.1" });
    for (let i = 0; i < 5; i++) await tx.send(new Uint8Array([i]), rx.port, "127.0.0.1");
    // The fifth datagram is the last one sent; once the kernel has delivered it, the counts are final.
    const deadline = performance.now() + 5000;
    while (overflowed < 3 && performance.now() < deadline) await new Promise((r) => setImmediate(r));
    assert.equal(overflowed, 3);
    assert.equal(rx.overflowed, 3);
    const batches: number[][] = [];
    const reading = (async () => {
      for await (const batch of rx.batches()) batches.push(batch.map((d) => d.data[0]!));
    })();
    await rx.close();
    await reading;
    assert.deepEqual(batches.flat(), [0, 1]);
  });

  it("reports a port in use as a NetError with its code", async () => {
    await using a = await openUdp({ port: 0, address: "127.0.0.1", reuseAddr: false });
    await assert.rejects(openUdp({ port: a.port, address: "127.0.0.1", reuseAddr: false }), (e: unknown) => e instanceof NetError && e.code === "EADDRINUSE");
  });
});

describe("runBeaconSender()", () => {
  it("sends at once to every target, counts errors, and says goodbye on abort", async () => {
    const sent: string[] = [];
    const ac = new AbortController();
    const counters = new BeaconCounters();
    const builder = await createBeaconBuilder({ self: { host: "h" }, intervalMs: 60_000, unixNowMs: () => 1000 });
    const done = runBeaconSender({
      signal: ac.signal,
      builder,
      targets: ["127.255.255.255", "10.255.255.255"],
      port: 9000,
      intervalMs: 60_000,
      counters,
      socket: {
        send: async (data, port, address) => {
          if (address.startsWith("10.")) throw new NetError("unreachable");
          sent.push(`${new TextDecoder().decode(data)} -> ${address}:${port}`);
          if (sent.length === 1) ac.abort();
        },
      },
    });
    await done;
    assert.deepEqual(sent, ["HOST h 1 -> 127.255.255.255:9000", "BYE h 1 -> 127.255.255.255:9000"]);
    assert.equal(counters.errors, 2);
    assert.equal(counters.packetsSent, 2);
  });
});
