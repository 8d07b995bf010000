import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createKeyring, deriveChannelId } from "../../lib/crypto/index.ts";
import {
  decodeAnswer,
  decodeChallenge,
  decodeDatagram,
  decodeRetry,
  describeHost,
  discover,
  encodeChallenge,
  encodeQuery,
  encodeRetry,
  openFrame,
  ProtocolError,
  Responder,
  runResponder,
  sealFrame,
  type ClientEvent,
  type ResponderOptions,
} from "../../lib/discovery/index.ts";
import { openUdp } from "../../lib/net/index.ts";
import { CLOCK_FLOOR_MS } from "../../lib/version.ts";
import { toHex } from "../../lib/bytes.ts";

const NOW = Date.UTC(2027, 0, 1);
const chan = await deriveChannelId("shed");
const ring = await createKeyring([new Uint8Array(32).fill(1)], "discovery");
const description = describeHost({ host: "pi-1", addresses: ["10.0.0.5"], version: "0.1.0", uptimeSec: 5, services: {} });
const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));

function responder(o: Partial<ResponderOptions> = {}) {
  const clock = { mono: 0 };
  const r = new Responder({ channelId: chan, keyring: ring, describe: () => description, nowMs: () => NOW, monotonicMs: () => clock.mono, ...o });
  return { r, clock };
}
const query = (id: Uint8Array, timeMs: number) => sealFrame("query", chan, encodeQuery({ id, timeMs }), { key: ring.keys[0]! });
const opened = (reply: Uint8Array | undefined) => {
  assert.ok(reply);
  const d = decodeDatagram(reply);
  assert.ok(d.kind === "ok");
  return { type: d.value.header.type, payload: openFrame(d.value, ring).payload };
};

describe("discovery challenge payloads", () => {
  it("golden bytes: challenge id(16) challenge(16) ttl(4), retry id(16) time(8) challenge(16)", () => {
    const id = hex("101112131415161718191a1b1c1d1e1f");
    const c = hex("303132333435363738393a3b3c3d3e3f");
    assert.equal(toHex(encodeChallenge({ id, challenge: c, ttlMs: 5000 })), `${toHex(id)}${toHex(c)}00001388`);
    assert.equal(toHex(encodeRetry({ id, timeMs: 0, challenge: c })), `${toHex(id)}0000000000000000${toHex(c)}`);
  });
  it("round-trip, and arbitrary bytes decode or throw ProtocolError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 2 ** 52 }), (id, c, ttlMs, timeMs) => {
        assert.deepEqual(decodeChallenge(encodeChallenge({ id, challenge: c, ttlMs })), { id, challenge: c, ttlMs });
        assert.deepEqual(decodeRetry(encodeRetry({ id, timeMs, challenge: c })), { id, timeMs, challenge: c });
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        for (const d of [decodeChallenge, decodeRetry]) {
          try {
            d(b);
          } catch (err) {
            assert.ok(err instanceof ProtocolError);
          }
        }
      }),
    );
  });
});

describe("Responder: queries whose time cannot be trusted get a challenge", () => {
  it("a sealed query from a client at 1970 gets a challenge; the retry with it is answered once", async () => {
    const { r } = responder();
    const id = new Uint8Array(16).fill(5);
    const h = r.handle(query(id, 86_400_000), "10.0.0.9:4000");
    assert.equal(h.decision.action, "challenge");
    assert.equal(h.decision.challenged, "stale");
    const c = opened(h.reply);
    assert.equal(c.type, "challenge");
    const ch = decodeChallenge(c.payload);
    assert.equal(toHex(ch.id), toHex(id));
    const retry = sealFrame("retry", chan, encodeRetry({ id, timeMs: 86_400_000, challenge: ch.challenge }), { key: ring.keys[0]! });
    const a = r.handle(retry, "10.0.0.9:4000");
    assert.equal(a.decision.action, "answer");
    assert.equal(decodeAnswer(opened(a.reply).payload).description.host, "pi-1");
    const again = r.handle(retry, "10.0.0.9:4000");
    assert.equal(again.reply, undefined, "the retry replayed byte for byte gets nothing");
    assert.equal(again.decision.reason, "challenge");
    assert.deepEqual([r.counters.challenged, r.counters.answered, r.counters.dropped.challenge], [1, 1, 1]);
  });

  it("while its own clock is before this version's date, even a query with a matching time gets a challenge", () => {
    const at1970 = 3_600_000;
    const { r } = responder({ nowMs: () => at1970 });
    const h = r.handle(query(new Uint8Array(16).fill(6), at1970), "10.0.0.9:4000");
    assert.equal(h.decision.action, "challenge");
    assert.equal(h.decision.challenged, "clock");
    assert.ok(CLOCK_FLOOR_MS > at1970);
  });

  it("a retry from another address, with a made-up or expired challenge, is refused", () => {
    const { r, clock } = responder();
    const id = new Uint8Array(16).fill(7);
    const ch = decodeChallenge(opened(r.handle(query(id, 0), "10.0.0.9:4000").reply).payload).challenge;
    const retry = (c: Uint8Array) => sealFrame("retry", chan, encodeRetry({ id, timeMs: 0, challenge: c }), { key: ring.keys[0]! });
    assert.equal(r.handle(retry(ch), "10.0.0.8:4000").decision.reason, "challenge");
    assert.equal(r.handle(retry(new Uint8Array(16)), "10.0.0.9:4000").decision.reason, "challenge");
    clock.mono += 5000;
    assert.equal(r.handle(retry(ch), "10.0.0.9:4000").decision.reason, "challenge");
    assert.equal(r.counters.answered, 0);
  });

  it("a retry for another query id than the challenge's is refused", () => {
    const { r } = responder();
    const ch = decodeChallenge(opened(r.handle(query(new Uint8Array(16).fill(8), 0), "10.0.0.9:4000").reply).payload).challenge;
    const retry = sealFrame("retry", chan, encodeRetry({ id: new Uint8Array(16).fill(9), timeMs: 0, challenge: ch }), { key: ring.keys[0]! });
    assert.equal(r.handle(retry, "10.0.0.9:4000").decision.reason, "challenge");
  });

  it("a captured query replayed from many forged sources gets one challenge in all, not one each", () => {
    const { r } = responder();
    const stale = query(new Uint8Array(16).fill(10), 0);
    const actions = Array.from({ length: 50 }, (_, i) => r.handle(stale, `10.0.${i}.9:4000`).decision);
    assert.equal(actions[0]!.action, "challenge");
    assert.ok(actions.slice(1).every((d) => d.action === "drop" && d.reason === "replay"), JSON.stringify(actions.slice(1, 3)));
    assert.equal(r.counters.challenged, 1);
  });

  it("challenges in all are bounded per second, whatever the sources", () => {
    const { r, clock } = responder({ challengesPerSec: 5 });
    const burst = (n: number, from: number) => Array.from({ length: n }, (_, i) => r.handle(query(Uint8Array.of(...new Uint8Array(12), 0, 0, from, i), 0), `10.1.${from}.${i}:4000`).decision.action);
    assert.deepEqual(burst(12, 1).filter((a) => a === "challenge").length, 10, "the burst: twice the rate");
    clock.mono += 1000;
    assert.deepEqual(burst(12, 2).filter((a) => a === "challenge").length, 5, "then the rate");
  });

  it("challenges are rate-limited like answers", () => {
    const { r } = responder({ rateLimitPerSec: 1, rateBurst: 2 });
    const actions = [1, 2, 3].map((i) => r.handle(query(new Uint8Array(16).fill(i), 0), "10.0.0.9:4000").decision.action);
    assert.deepEqual(actions, ["challenge", "challenge", "drop"]);
  });
});

describe("discover() completes the challenge round transparently", () => {
  for (const [what, server, client] of [
    ["a server at 1970", () => 3_600_000, () => Date.now()],
    ["a client at 1970", () => Date.now(), () => 3_600_000],
  ] as const) {
    it(`finds ${what} over loopback with one extra round trip`, async () => {
      const r = new Responder({ channelId: chan, keyring: ring, describe: () => description, nowMs: server });
      await using serverSocket = await openUdp({ address: "127.0.0.1", port: 0 });
      const ac = new AbortController();
      const running = runResponder(serverSocket, r, { signal: ac.signal });
      try {
        await using socket = await openUdp({ address: "127.0.0.1", port: 0 });
        const events: ClientEvent["type"][] = [];
        const found = await discover(socket, { targets: [{ address: "127.0.0.1", port: serverSocket.port }], channelId: chan, keyring: ring, timeoutMs: 300, nowMs: client, onEvent: (e) => events.push(e.type) });
        assert.deepEqual(found.hosts.map((h) => h.host), ["pi-1"]);
        assert.deepEqual(events, ["sent", "challenge", "answer"]);
        assert.equal(r.counters.challenged, 1);
      } finally {
        ac.abort();
        await running;
      }
    });
  }
});
