/**
 * Issue 9, weaknesses 3 and 4, over real sockets on loopback: forged frames that carry a client's source
 * address must not silence it, and forged legacy requests must not flush sealed query ids out of the
 * replay memory.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createKeyring, deriveChannelId } from "../../lib/crypto/index.ts";
import { openUdp } from "../../lib/net/index.ts";
import {
  describeHost,
  discover,
  encodeLegacyRequest,
  encodeQuery,
  importLegacyKey,
  legacyCrypt,
  Responder,
  runResponder,
  sealFrame,
  type Decision,
  type ResponderOptions,
} from "../../lib/discovery/index.ts";

const chan = await deriveChannelId("forged");
const ring = await createKeyring([new Uint8Array(32).fill(7)], "discovery");
const description = describeHost({ host: "victim-server", addresses: ["127.0.0.1"], version: "t", uptimeSec: 1, services: {} });

/** A responder on 127.0.0.1:0; `decisions` waits until `n` datagrams were decided (with a deadline). */
async function startServer(o: Partial<ResponderOptions> = {}) {
  const socket = await openUdp({ address: "127.0.0.1", port: 0 });
  const responder = new Responder({ channelId: chan, keyring: ring, describe: () => description, ...o });
  const controller = new AbortController();
  let decided = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const onDecision = (_: Decision) => {
    decided++;
    for (const w of waiters.splice(0)) if (decided >= w.n) w.resolve();
    else waiters.push(w);
  };
  const done = runResponder(socket, responder, { signal: controller.signal, onDecision });
  return {
    port: socket.port,
    responder,
    /** Resolves once `n` datagrams in all were decided; rejects after 20 s. */
    decided: (n: number) =>
      new Promise<void>((resolve, reject) => {
        if (decided >= n) return resolve();
        const t = setTimeout(() => reject(new Error(`only ${decided} of ${n} datagrams decided`)), 20_000);
        waiters.push({ n, resolve: () => (clearTimeout(t), resolve()) });
      }),
    async [Symbol.asyncDispose]() {
      controller.abort();
      await done;
    },
  };
}

/** A sealed query whose tag is wrong: a valid key id, so it costs the responder a decrypt attempt. */
function forgedQuery(): Uint8Array {
  const q = sealFrame("query", chan, encodeQuery({ id: crypto.getRandomValues(new Uint8Array(16)), timeMs: Date.now() }), { key: ring.keys[0]! });
  q[q.length - 1]! ^= 0x55;
  return q;
}

describe("Responder over loopback, with forged frames carrying a client's source address", () => {
  for (const hidden of [true, false]) {
    it(`still answers the client while 50 forged frames/s come from its address (hidden = ${hidden})`, async () => {
      await using server = await startServer({ hidden });
      // The client and the forger share the address 127.0.0.2 (the forger only needs to spoof it).
      await using clientSocket = await openUdp({ address: "127.0.0.2", port: 0 });
      await using forger = await openUdp({ address: "127.0.0.2", port: 0 });
      // A burst larger than the reply bucket (20) first, decided before the client asks ...
      for (let i = 0; i < 60; i++) await forger.send(forgedQuery(), server.port, "127.0.0.1");
      await server.decided(60);
      // ... then 50 forged frames per second for as long as the client keeps asking.
      let forged = 60;
      const pacer = setInterval(() => {
        forged++;
        forger.send(forgedQuery(), server.port, "127.0.0.1").catch(() => undefined);
      }, 20);
      try {
        for (let round = 0; round < 5; round++) {
          const r = await discover(clientSocket, { targets: [{ address: "127.0.0.1", port: server.port }], channelId: chan, keyring: ring, timeoutMs: 300 });
          assert.deepEqual(
            r.hosts.map((h) => h.host),
            ["victim-server"],
            `round ${round}: the client was silenced after ${forged} forged frames (${JSON.stringify(server.responder.counters.dropped)})`,
          );
        }
      } finally {
        clearInterval(pacer);
      }
      const c = server.responder.counters;
      assert.equal(c.answered, 5);
      if (hidden) assert.ok(c.dropped.auth >= 60, "the forged frames were refused for their tag");
      // Hidden mode off: error frames to the spoofed address come out of their own bucket (then "rate").
      else assert.ok(c.dropped.auth + c.dropped.rate >= 60 && c.errorsSent <= 20 + forged / 5, JSON.stringify(c));
    });
  }

  it("bounds the decrypt attempts one source can cause (pre-authentication budget)", async () => {
    await using server = await startServer({ decryptsPerSourcePerSec: 10 });
    await using forger = await openUdp({ address: "127.0.0.3", port: 0 });
    for (let i = 0; i < 40; i++) await forger.send(forgedQuery(), server.port, "127.0.0.1");
    await server.decided(40);
    const c = server.responder.counters;
    assert.ok(c.dropped.budget >= 25, `over budget: ${JSON.stringify(c.dropped)}`);
    assert.equal(c.dropped.auth + c.dropped.budget, 40);
    // Another address still has its own budget, and an authentic query is answered.
    await using clientSocket = await openUdp({ address: "127.0.0.4", port: 0 });
    const r = await discover(clientSocket, { targets: [{ address: "127.0.0.1", port: server.port }], channelId: chan, keyring: ring, timeoutMs: 300 });
    assert.equal(r.hosts.length, 1);
  });
});

describe("Responder over loopback, legacy and sealed side by side", () => {
  it("forged legacy requests do not flush a sealed query's id out of the replay memory", { timeout: 60_000 }, async () => {
    const legacyKey = importLegacyKey("exposed");
    await using server = await startServer({ legacy: { magic: "forged", key: legacyKey }, rateLimitPerSec: 100_000, rateBurst: 100_000, decryptsPerSourcePerSec: 100_000 });
    await using clientSocket = await openUdp({ address: "127.0.0.1", port: 0 });
    const q = sealFrame("query", chan, encodeQuery({ id: crypto.getRandomValues(new Uint8Array(16)), timeMs: Date.now() }), { key: ring.keys[0]! });
    await clientSocket.send(q, server.port, "127.0.0.1");
    await server.decided(1);
    assert.equal(server.responder.counters.answered, 1);
    // 9,000 distinct, valid legacy requests (the legacy password is exposed, so anyone can make them).
    const t0 = Date.now();
    // In steps of 100, each decided before the next is sent, so no socket buffer overflows.
    for (let i = 0; i < 9000; i++) {
      await clientSocket.send(legacyCrypt(legacyKey, new TextEncoder().encode(encodeLegacyRequest("forged", t0 - i))), server.port, "127.0.0.1");
      if (i % 100 === 99) await server.decided(i + 2);
    }
    await server.decided(9001);
    assert.equal(server.responder.counters.answered, 9001);
    await clientSocket.send(q, server.port, "127.0.0.1");
    await server.decided(9002);
    const c = server.responder.counters;
    assert.equal(c.dropped.replay, 1, `the replayed sealed query was answered again: ${JSON.stringify(c)}`);
    assert.equal(c.answered, 9001);
  });
});
