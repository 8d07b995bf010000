import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createKeyring, deriveChannelId, type Keyring } from "../../lib/crypto/index.ts";
import { parseConfig } from "../../lib/config/index.ts";
import { openUdp } from "../../lib/net/index.ts";
import {
  decodeDatagram,
  describeHost,
  encodeAnswer,
  encodeQuery,
  sealFrame,
  serveDiscovery,
  discover,
  importLegacyKey,
  Responder,
  runResponder,
  type LegacyKey,
  type ResponderOptions,
} from "../../lib/discovery/index.ts";

const chan = await deriveChannelId("loop");
const ring = await createKeyring([new Uint8Array(32).fill(5)], "discovery");
const otherRing = await createKeyring([new Uint8Array(32).fill(6)], "discovery");

/** Starts a responder on 127.0.0.1:0; dispose to stop it. */
async function startServer(name: string, o: Partial<ResponderOptions> = {}) {
  const socket = await openUdp({ address: "127.0.0.1", port: 0 });
  const responder = new Responder({
    channelId: chan,
    keyring: ring,
    describe: () => describeHost({ host: name, addresses: ["127.0.0.1"], version: "t", uptimeSec: 1, services: { name } }),
    ...o,
  });
  const controller = new AbortController();
  const done = runResponder(socket, responder, { signal: controller.signal });
  return {
    port: socket.port,
    responder,
    async [Symbol.asyncDispose]() {
      controller.abort();
      await done;
    },
  };
}

async function ask(ports: number[], o: { keyring?: Keyring; timeoutMs?: number; legacy?: { magic: string; key?: LegacyKey } } = {}) {
  await using socket = await openUdp({ address: "127.0.0.1", port: 0 });
  return await discover(socket, {
    targets: ports.map((port) => ({ address: "127.0.0.1", port })),
    channelId: chan,
    ...("keyring" in o ? (o.keyring ? { keyring: o.keyring } : {}) : { keyring: ring }),
    timeoutMs: o.timeoutMs ?? 600,
    ...(o.legacy && { legacy: o.legacy }),
  });
}

describe("discover() <-> runResponder() over 127.0.0.1", () => {
  it("collects every answer until the timeout, not just the first", async () => {
    await using a = await startServer("alpha");
    await using b = await startServer("beta");
    await using c = await startServer("gamma");
    const result = await ask([a.port, b.port, c.port]);
    assert.deepEqual(result.hosts.map((h) => h.host).sort(), ["alpha", "beta", "gamma"]);
    for (const h of result.hosts) {
      assert.deepEqual(h.services, { name: h.host });
      assert.ok(h.rttMs >= 0 && h.rttMs < 600);
    }
    assert.equal(a.responder.counters.answered, 1);
  });

  it("dedupes a host that answers twice (two servers with one name)", async () => {
    await using a = await startServer("same");
    await using b = await startServer("same");
    const result = await ask([a.port, b.port]);
    assert.equal(result.hosts.length, 1);
    assert.equal(a.responder.counters.answered + b.responder.counters.answered, 2);
  });

  it("finds nothing with the wrong key in hidden mode", async () => {
    await using a = await startServer("alpha");
    const result = await ask([a.port], { keyring: otherRing });
    assert.equal(result.hosts.length, 0);
    assert.equal(result.refusals.length, 0);
    assert.equal(a.responder.counters.dropped.key, 1);
  });

  it("reports a clear refusal from a server with hidden mode off", async () => {
    await using a = await startServer("alpha", { hidden: false });
    const result = await ask([a.port], { keyring: otherRing });
    assert.equal(result.hosts.length, 0);
    assert.equal(result.refusals.length, 1);
    assert.equal(result.refusals[0]!.code, "refused");
    assert.match(result.refusals[0]!.message, /wrong password or key/);
  });

  it("speaks PyDiscover with a legacy server", async () => {
    const key = await importLegacyKey("pw");
    await using a = await startServer("alpha", { legacy: { magic: "magic", key } });
    const result = await ask([a.port], { legacy: { magic: "magic", key } });
    assert.equal(result.hosts.length, 1);
    assert.equal(result.hosts[0]!.host, "127.0.0.1");
    assert.deepEqual(result.hosts[0]!.services, { name: "alpha" });
    assert.equal(a.responder.counters.legacySeen, 1);
  });

  it("drops an answer whose id it did not ask, and one sealed with a key it does not have", async () => {
    await using fake = await openUdp({ address: "127.0.0.1", port: 0 });
    const serving = (async () => {
      for await (const d of fake) {
        const q = decodeDatagram(d.data);
        assert.equal(q.kind, "ok");
        const description = describeHost({ host: "liar", addresses: [], version: "t", uptimeSec: 0 });
        const wrongId = await sealFrame("answer", chan, encodeAnswer({ id: new Uint8Array(16).fill(1), timeMs: Date.now(), description }), { key: ring.keys[0]! });
        const wrongKey = await sealFrame("answer", chan, encodeAnswer({ id: new Uint8Array(16).fill(1), timeMs: Date.now(), description }), { key: otherRing.keys[0]! });
        await fake.send(wrongId, d.port, d.address);
        await fake.send(wrongKey, d.port, d.address);
        await fake.send(new Uint8Array([1, 2, 3]), d.port, d.address);
        return;
      }
    })();
    const result = await ask([fake.port]);
    await serving;
    assert.equal(result.hosts.length, 0);
    assert.deepEqual(result.dropped, { "unknown-id": 1, key: 1, malformed: 1 });
  });

  /** serveDiscovery() on a parsed `[discovery]` table (port 0), with the keyring above; abort to stop it. */
  function serve(toml: string, onDecision?: () => void) {
    const config = { ...parseConfig(`[discovery]\nmagic = "loop"\nlisten = "127.0.0.1"\n${toml}`).discovery, port: 0 };
    const controller = new AbortController();
    let resolvePort: (p: number) => void = () => undefined;
    const port = new Promise<number>((r) => (resolvePort = r));
    const serving = serveDiscovery({
      signal: controller.signal,
      config,
      keyring: ring,
      describe: () => describeHost({ host: "served", addresses: [], version: "t", uptimeSec: 0 }),
      onListening: (_address, p) => resolvePort(p),
      ...(onDecision && { onDecision }),
    });
    return { config, port, serving, stop: () => controller.abort() };
  }

  it("serveDiscovery() serves the [discovery] config until aborted and returns its counters", async () => {
    const { port, serving, stop } = serve("");
    const result = await ask([await port]);
    stop();
    const counters = await serving;
    assert.deepEqual(result.hosts.map((h) => h.host), ["served"]);
    assert.equal(counters.answered, 1);
    assert.equal(counters.seen, 1);
  });

  it("serveDiscovery() takes the pre-authentication budget from [discovery] decrypt_budget_per_address", async () => {
    let seen = 0;
    let allSeen!: () => void;
    const done = new Promise<void>((r) => (allSeen = r));
    const { config, port, serving, stop } = serve("decrypt_budget_per_address = 3\n", () => void (++seen === 10 && allSeen()));
    assert.deepEqual([config.decryptBudget, config.decryptBudgetPerAddress], [20_000, 3]);
    // Forged: a valid key id, a tag that fails (the last byte flipped).
    await using sender = await openUdp({ address: "127.0.0.1", port: 0 });
    const to = await port;
    for (let i = 0; i < 10; i++) {
      const frame = sealFrame("query", chan, encodeQuery({ id: crypto.getRandomValues(new Uint8Array(16)), timeMs: Date.now() }), { key: ring.keys[0]! });
      frame[frame.length - 1]! ^= 1;
      await sender.send(frame, to, "127.0.0.1");
    }
    await done;
    stop();
    const counters = await serving;
    assert.deepEqual([counters.dropped.auth, counters.dropped.budget], [3, 7], "three attempts, then dropped unread");
  });
});
