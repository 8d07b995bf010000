import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { NetError, openUdp, type Datagram } from "../../lib/net/index.ts";
import { Changes } from "../_lines.ts";

/** The next datagram, without ending the iteration (which would close the socket). */
async function next(it: AsyncIterable<Datagram>): Promise<Datagram> {
  const r = await it[Symbol.asyncIterator]().next();
  if (r.done) throw new Error("ended without a datagram");
  return r.value;
}

async function first(it: AsyncIterable<Datagram>): Promise<Datagram> {
  for await (const d of it) return d;
  throw new Error("ended without a datagram");
}

/** Reads `n` datagrams, or fewer when `socket` is closed by the deadline. */
async function collect(socket: AsyncIterable<Datagram> & { close(): Promise<void> }, n: number, deadlineMs: number): Promise<number[]> {
  const timer = setTimeout(() => void socket.close(), deadlineMs);
  const got: number[] = [];
  try {
    for await (const d of socket) {
      got.push(d.data[0]!);
      if (got.length === n) break;
    }
  } finally {
    clearTimeout(timer);
  }
  return got;
}

describe("openUdp()", () => {
  it("reports the bound address and the port the OS chose, and echoes over 127.0.0.1", async () => {
    await using a = await openUdp({ address: "127.0.0.1", port: 0 });
    await using b = await openUdp({ address: "127.0.0.1", port: 0 });
    assert.equal(a.address, "127.0.0.1");
    assert.ok(a.port > 0 && a.port !== b.port);
    await a.send(new Uint8Array([7, 8]), b.port, "127.0.0.1");
    const d = await first(b);
    assert.deepEqual([...d.data], [7, 8]);
    assert.equal(d.address, "127.0.0.1");
    assert.equal(d.port, a.port);
  });

  it("two SO_REUSEADDR receivers on one port both get a loopback broadcast", async () => {
    await using a = await openUdp({ port: 0, reuseAddr: true });
    await using b = await openUdp({ port: a.port, reuseAddr: true });
    await using tx = await openUdp({ port: 0, address: "127.0.0.1", broadcast: true });
    await tx.send(new TextEncoder().encode("HOST x 1"), a.port, "127.255.255.255");
    const [da, db] = await Promise.all([first(a), first(b)]);
    assert.equal(new TextDecoder().decode(da.data), "HOST x 1");
    assert.equal(db.address, "127.0.0.1");
  });

  it("counts datagrams over the queue limit and ends batch iteration on close", async () => {
    let overflowed = 0;
    const changes = new Changes();
    const onOverflow = () => {
      overflowed++;
      changes.notify();
    };
    await using rx = await openUdp({ port: 0, address: "127.0.0.1", maxQueued: 2, onOverflow });
    await using tx = await openUdp({ port: 0, address: "127.0.0.1" });
    for (let i = 0; i < 5; i++) await tx.send(new Uint8Array([i]), rx.port, "127.0.0.1");
    // The fifth datagram is the last one sent; once the kernel has delivered it, the counts are final.
    await changes.until(() => overflowed >= 3, { timeoutMs: 5000, failure: (why) => `${why} with ${overflowed} overflowed` });
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

  it("ends a waiting datagram iteration on close, and close() is idempotent", async () => {
    const rx = await openUdp({ port: 0, address: "127.0.0.1" });
    const reading = collect(rx, 1, 60_000);
    await Promise.all([rx.close(), rx.close()]);
    assert.deepEqual(await reading, []);
    await rx.close();
    await assert.rejects(rx.send(new Uint8Array([1]), 9, "127.0.0.1"), NetError);
  });

  it("reports a port in use as a NetError with its code", async () => {
    await using a = await openUdp({ port: 0, address: "127.0.0.1" });
    await assert.rejects(openUdp({ port: a.port, address: "127.0.0.1" }), (e: unknown) => e instanceof NetError && e.code === "EADDRINUSE");
  });

  it("recvBufferBytes asks the kernel for a larger SO_RCVBUF on every socket of the endpoint", async () => {
    await using plain = await openUdp({ port: 0, address: "127.0.0.1" });
    await using big = await openUdp({ port: 0, address: "127.0.0.1", recvBufferBytes: 1 << 20 });
    assert.ok(plain.recvBufferBytes > 0, `default SO_RCVBUF ${plain.recvBufferBytes}`);
    // The kernel doubles the request and caps it at net.core.rmem_max; either way it grows past the default
    // unless rmem_max is the default itself.
    const rmemMax = Number(await Bun.file("/proc/sys/net/core/rmem_max").text());
    if (rmemMax * 2 > plain.recvBufferBytes) assert.ok(big.recvBufferBytes > plain.recvBufferBytes, `${big.recvBufferBytes} <= ${plain.recvBufferBytes}`);
    // A smaller one is granted whatever rmem_max is (doubled), so the call is seen on any machine.
    await using small = await openUdp({ port: 0, address: "127.0.0.1", recvBufferBytes: 8192 });
    assert.equal(small.recvBufferBytes, 16384);
    await big.close();
    assert.equal(big.recvBufferBytes, -1, "a closed endpoint has no buffer");
  });

  it("sends from a plain Uint8Array view into a larger buffer, only its bytes", async () => {
    await using rx = await openUdp({ port: 0, address: "127.0.0.1" });
    await using tx = await openUdp({ port: 0, address: "127.0.0.1" });
    const whole = new Uint8Array([9, 1, 2, 3, 9]);
    await tx.send(whole.subarray(1, 4), rx.port, "127.0.0.1");
    assert.deepEqual([...(await first(rx)).data], [1, 2, 3]);
  });

  it("reports a send the OS refuses as a NetError with its code (broadcast without SO_BROADCAST)", async () => {
    await using tx = await openUdp({ port: 0, address: "127.0.0.1" });
    await assert.rejects(tx.send(new Uint8Array([1]), 9, "127.255.255.255"), (e: unknown) => e instanceof NetError && e.code === "EACCES");
  });

  it("postMany() sends every datagram in order, and reports each one (a refused one with its NetError)", async () => {
    await using rx = await openUdp({ port: 0, address: "127.0.0.1" });
    await using tx = await openUdp({ port: 0, address: "127.0.0.1" });
    const results: (string | undefined)[] = [];
    const many = [1, 2, 3, 4, 5].map((i) => ({ data: new Uint8Array([i]), port: rx.port, address: "127.0.0.1" }));
    tx.postMany(many, (err) => results.push(err?.code));
    assert.deepEqual(await collect(rx, 5, 5000), [1, 2, 3, 4, 5]);
    assert.deepEqual([...results], [undefined, undefined, undefined, undefined, undefined]);
    // A broadcast without SO_BROADCAST among them: the kernel refuses that one, the others still go.
    results.length = 0;
    await using rx2 = await openUdp({ port: 0, address: "127.0.0.1" });
    tx.postMany([{ data: new Uint8Array([9]), port: rx2.port, address: "127.255.255.255" }, { data: new Uint8Array([7]), port: rx2.port, address: "127.0.0.1" }], (err) => results.push(err?.code));
    assert.deepEqual(await collect(rx2, 1, 5000), [7]);
    assert.deepEqual([...results].sort(), ["EACCES", undefined]);
    await tx.close();
    tx.postMany(many, (err) => results.push(err?.message));
    assert.equal(results.length, 7);
  });

  it("send() retries once when an earlier datagram's port-unreachable surfaces as ECONNREFUSED", async () => {
    // A port nobody listens on: each datagram to it brings back an ICMP port unreachable, which Bun reports
    // on the socket's next send (and that datagram would be lost without the retry).
    const closed = await openUdp({ port: 0, address: "127.0.0.1" });
    const deadPort = closed.port;
    await closed.close();
    await using rx = await openUdp({ port: 0, address: "127.0.0.1" });
    await using tx = await openUdp({ port: 0, address: "127.0.0.1" });
    const rounds = 10;
    for (let i = 0; i < rounds; i++) {
      await tx.send(new Uint8Array([0xff]), deadPort, "127.0.0.1").catch(() => undefined);
      await tx.send(new Uint8Array([i]), rx.port, "127.0.0.1");
    }
    assert.deepEqual(await collect(rx, rounds, 5000), [...Array(rounds).keys()]);
  });

  it("hearInterface: a socket bound to 127.0.0.1 also hears 127.255.255.255 broadcasts, and replies from 127.0.0.1", async () => {
    await using rx = await openUdp({ address: "127.0.0.1", port: 0, hearInterface: true });
    assert.deepEqual(rx.siblings, [{ address: "127.255.255.255", kind: "broadcast" }]);
    await using tx = await openUdp({ address: "127.0.0.1", port: 0, broadcast: true });
    await tx.send(new Uint8Array([1]), rx.port, "127.255.255.255");
    const d = await next(rx);
    assert.deepEqual([...d.data], [1]);
    await rx.send(new Uint8Array([2]), d.port, d.address);
    const reply = await first(tx);
    assert.equal(reply.address, "127.0.0.1");
    assert.equal(reply.port, rx.port, "the reply leaves from the unicast socket");
  });

  it("without hearInterface, a socket bound to 127.0.0.1 does not hear broadcasts (what hearInterface fixes)", async () => {
    await using rx = await openUdp({ address: "127.0.0.1", port: 0 });
    assert.deepEqual(rx.siblings, []);
    await using tx = await openUdp({ address: "127.0.0.1", port: 0, broadcast: true });
    await tx.send(new Uint8Array([1]), rx.port, "127.255.255.255");
    await tx.send(new Uint8Array([2]), rx.port, "127.0.0.1");
    // Both take the same loopback path in order: had the broadcast been delivered, it would come first.
    assert.deepEqual([...(await first(rx)).data], [2]);
  });

  it("hearInterface changes nothing for the wildcard address, and closes every socket it bound", async () => {
    await using any = await openUdp({ port: 0, hearInterface: true });
    assert.deepEqual(any.siblings, []);
    const rx = await openUdp({ address: "127.0.0.1", port: 0, hearInterface: true });
    const port = rx.port;
    await rx.close();
    // Both the unicast and the broadcast address are free again.
    await using again = await openUdp({ address: "127.0.0.1", port, hearInterface: true });
    assert.equal(again.port, port);
    assert.equal(again.siblings.length, 1);
  });
});
