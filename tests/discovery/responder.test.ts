import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createKeyring, deriveChannelId, type Keyring } from "../../lib/crypto/index.ts";
import {
  decodeAnswer,
  decodeDatagram,
  decodeError,
  describeHost,
  encodeLegacyRequest,
  encodeQuery,
  importLegacyKey,
  legacyCrypt,
  legacyDecodeText,
  openFrame,
  DecryptBudget,
  RateLimiter,
  Responder,
  sealFrame,
  type ResponderOptions,
} from "../../lib/discovery/index.ts";
import { toHex } from "../../lib/bytes.ts";

const enc = new TextEncoder();
const NOW = 1_700_000_000_000;
const keyA = new Uint8Array(32).fill(1);
const keyB = new Uint8Array(32).fill(2);
const chan = await deriveChannelId("shed");
const ringA = await createKeyring([keyA], "discovery");
const ringB = await createKeyring([keyB], "discovery");
const description = describeHost({ host: "pi-1", addresses: ["10.0.0.5"], version: "0.1.0", uptimeSec: 5, services: { web: "http://pi-1/" } });

function makeResponder(o: Partial<ResponderOptions> = {}) {
  let mono = 0;
  // clockFloorMs 0: NOW (2023) is before this version's date, which would make every query a challenge.
  const r = new Responder({ channelId: chan, keyring: ringA, describe: () => description, nowMs: () => NOW, monotonicMs: () => mono, clockFloorMs: 0, ...o });
  return { r, advance: (ms: number) => (mono += ms) };
}

let counter = 0;
async function query(o: { ring?: Keyring | undefined; channelId?: Uint8Array; timeMs?: number; id?: Uint8Array } = {}) {
  const id = o.id ?? Uint8Array.from({ length: 16 }, () => ++counter & 255);
  const ring = "ring" in o ? o.ring : ringA;
  return sealFrame("query", o.channelId ?? chan, encodeQuery({ id, timeMs: o.timeMs ?? NOW }), ring ? { key: ring.keys[0]! } : {});
}

describe("Responder.handle()", () => {
  it("answers a fresh sealed query with a sealed answer that echoes the id", async () => {
    const { r } = makeResponder();
    const id = new Uint8Array(16).fill(0xaa);
    const { reply, decision } = await r.handle(await query({ id }), "127.0.0.1:5000");
    assert.equal(decision.action, "answer");
    assert.ok(reply);
    const d = decodeDatagram(reply);
    assert.equal(d.kind, "ok");
    if (d.kind !== "ok") return;
    assert.equal(d.value.header.type, "answer");
    const a = decodeAnswer((await openFrame(d.value, ringA)).payload);
    assert.equal(toHex(a.id), toHex(id));
    assert.deepEqual(a.description, description);
    assert.equal(r.counters.answered, 1);
    assert.equal(r.counters.bytesOut, reply.length);
  });

  it("accepts any key of its keyring and answers with the key that sealed the query", async () => {
    const rotated = await createKeyring([keyB, keyA], "discovery");
    const { r } = makeResponder({ keyring: rotated });
    const { reply } = await r.handle(await query({ ring: ringA }), "127.0.0.1:5000");
    assert.ok(reply);
    const d = decodeDatagram(reply);
    assert.ok(d.kind === "ok");
    if (d.kind === "ok") assert.ok(await openFrame(d.value, ringA)); // the old-key client can read it
  });

  // Everything before authentication gets one code ("refused"), so a stranger cannot tell a right magic
  // from a wrong one (issue 9, weakness 8); the counters keep the real reason.
  const refused: [string, () => Promise<Uint8Array>, string, string][] = [
    ["another channel", async () => query({ channelId: await deriveChannelId("other") }), "channel", "refused"],
    ["a key it does not have", async () => query({ ring: ringB }), "key", "refused"],
    ["an unsealed query", async () => query({ ring: undefined }), "key", "refused"],
    // A sealed stale query gets a challenge instead (tests/discovery/challenge.test.ts); without a key, silence:
    ["a stale unsealed query", async () => query({ ring: undefined, timeMs: NOW - 31_000 }), "stale", "stale"],
    ["an unsealed query from the future", async () => query({ ring: undefined, timeMs: NOW + 31_000 }), "stale", "stale"],
    ["a tampered query", async () => { const b = await query(); b[b.length - 1]! ^= 1; return b; }, "auth", "refused"],
    ["a frame with a bad type", async () => { const b = await query(); b[3] = 9; return b; }, "malformed", "malformed"],
  ];
  for (const [name, make, reason, code] of refused) {
    it(`stays silent on ${name} in hidden mode, and sends a small error frame without it`, async () => {
      const unsealed = name.includes("unsealed query") && reason === "stale" ? { keyring: undefined } : {};
      const hidden = makeResponder(unsealed).r;
      const bytes = await make();
      const h = await hidden.handle(bytes, "127.0.0.1:5000");
      assert.equal(h.reply, undefined);
      assert.equal(h.decision.action, "drop");
      assert.equal(h.decision.reason, reason);
      assert.equal(hidden.counters.dropped[h.decision.reason!], 1);

      const open = makeResponder({ hidden: false, ...unsealed }).r;
      const o = await open.handle(bytes, "127.0.0.1:5000");
      assert.equal(o.decision.action, "error");
      assert.ok(o.reply && o.reply.length <= bytes.length, "an error frame is never larger than the query");
      const d = decodeDatagram(o.reply!);
      assert.ok(d.kind === "ok" && d.value.header.type === "error" && !d.value.header.sealed);
      if (d.kind !== "ok") return;
      const e = decodeError(d.value.body);
      assert.equal(e.code, code);
      assert.equal(toHex(e.nonce), toHex(bytes.subarray(14, 26)));
      assert.ok(!toHex(o.reply!).includes(toHex(enc.encode("shed"))), "the magic never appears");
    });
  }

  it("drops a replayed query, even in a burst", async () => {
    const { r } = makeResponder();
    const q = await query();
    assert.equal((await r.handle(q, "127.0.0.1:1")).decision.action, "answer");
    assert.equal((await r.handle(q, "127.0.0.2:1")).decision.reason, "replay");
  });

  it("rate-limits per source address and refills with time", async () => {
    const { r, advance } = makeResponder({ rateLimitPerSec: 2, rateBurst: 3, hidden: false });
    const actions = [];
    for (let i = 0; i < 5; i++) actions.push((await r.handle(await query({ ring: ringB }), "127.0.0.1:9")).decision.action);
    assert.deepEqual(actions, ["error", "error", "error", "drop", "drop"]);
    assert.equal(r.counters.dropped.rate, 2);
    assert.equal((await r.handle(await query(), "127.0.0.3:9")).decision.action, "answer", "other sources are not affected");
    advance(500);
    assert.equal((await r.handle(await query(), "127.0.0.1:9")).decision.action, "answer");
  });

  it("drops oversize datagrams and answer frames unread", async () => {
    const { r } = makeResponder({ hidden: false });
    assert.equal((await r.handle(new Uint8Array(9000), "127.0.0.1:1")).decision.reason, "oversize");
    const answer = await sealFrame("answer", chan, new Uint8Array(40), { key: ringA.keys[0]! });
    const h = await r.handle(answer, "127.0.0.1:1");
    assert.equal(h.decision.reason, "not-query");
    assert.equal(h.reply, undefined);
  });

  it("answers PyDiscover requests in legacy mode and refuses ones older than 20 s", async () => {
    const key = await importLegacyKey("x");
    const { r } = makeResponder({ legacy: { magic: "magic", key }, hidden: false });
    const req = await legacyCrypt(key, enc.encode(encodeLegacyRequest("magic", NOW - 1000)));
    const h = await r.handle(req, "127.0.0.1:1");
    assert.equal(h.decision.action, "answer");
    assert.equal(legacyDecodeText(await legacyCrypt(key, h.reply!)), 'magic#OK#{"web": "http://pi-1/"}');
    assert.equal((await r.handle(req, "127.0.0.1:1")).decision.reason, "replay");
    const old = await legacyCrypt(key, enc.encode(encodeLegacyRequest("magic", NOW - 21_000)));
    const o = await r.handle(old, "127.0.0.1:1");
    assert.equal(o.decision.reason, "stale");
    assert.equal(legacyDecodeText(await legacyCrypt(key, o.reply!)), "magic#ERROR#Timestamp is too old");
    const wrong = await legacyCrypt(await importLegacyKey("y"), enc.encode(encodeLegacyRequest("magic", NOW)));
    const w = await r.handle(wrong, "127.0.0.1:1");
    assert.equal(w.reply, undefined, "a wrong password gets silence (PyDiscover would leak the magic in clear)");
    // Frames of the disco protocol still work next to legacy.
    assert.equal((await r.handle(await query(), "127.0.0.1:2")).decision.action, "answer");
  });
});

describe("RateLimiter", () => {
  it("forgets the least recently seen source when the table is full", () => {
    const l = new RateLimiter({ ratePerSec: 1, burst: 1, maxSources: 2 });
    assert.equal(l.take("a", 0), true);
    assert.equal(l.take("b", 0), true);
    assert.equal(l.take("a", 0), false);
    assert.equal(l.take("c", 0), true); // evicts b (a was touched more recently)
    assert.equal(l.size, 2);
    assert.equal(l.take("b", 0), true, "b was forgotten, so it starts with a full bucket");
  });

  it("take() forgets sources in least-recently-seen order over many takes (against a reference table)", () => {
    const max = 8;
    const l = new RateLimiter({ ratePerSec: 1e-9, burst: 3, maxSources: max });
    const ref = new Map<string, number>(); // source -> tokens left, least recently seen first
    let seed = 1;
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const source = `s${seed % 13}`;
      const left = ref.get(source);
      ref.delete(source);
      if (left === undefined && ref.size >= max) ref.delete(ref.keys().next().value!);
      const tokens = left ?? 3;
      ref.set(source, Math.max(0, tokens - 1));
      assert.equal(l.take(source, 0), tokens >= 1, `take ${i} (${source})`);
      assert.equal(l.size, ref.size);
    }
  });
});

describe("DecryptBudget", () => {
  it("take() spends a source's budget and the strangers' bucket; refund() gives an authentic attempt back", () => {
    const b = new DecryptBudget({ perSourcePerSec: 3, globalPerSec: 100 });
    assert.deepEqual([b.take("a", 0), b.take("a", 0), b.take("a", 0), b.take("a", 0)], [true, true, true, false]);
    b.refund("a");
    assert.equal(b.take("a", 0), true, "a refunded attempt can be taken again");
    assert.equal(b.take("b", 0), true, "other sources have their own budget");
  });

  it("a flood from strangers empties their bucket but not the one of recently authenticated sources", () => {
    const b = new DecryptBudget({ perSourcePerSec: 1000, globalPerSec: 5 });
    b.trust("client", 0);
    for (let i = 0; i < 5; i++) assert.equal(b.take(`stranger-${i}`, 0), true);
    assert.equal(b.take("stranger-x", 0), false, "the strangers' bucket is empty");
    assert.equal(b.take("client", 0), true, "a known client draws from its own bucket");
    assert.equal(b.take("client", 60_001), true, "the buckets refill");
    assert.equal(b.take("stranger-y", 60_001), true);
  });
});

describe("Responder decrypt budget", () => {
  it("drops forged frames over a source's budget without decrypting, and keeps answering authentic ones", async () => {
    const { r } = makeResponder({ decryptsPerSourcePerSec: 5 });
    const forged = async () => {
      const b = await query();
      b[b.length - 1]! ^= 1;
      return b;
    };
    const reasons: (string | undefined)[] = [];
    for (let i = 0; i < 8; i++) reasons.push(r.handle(await forged(), "10.0.0.9:1").decision.reason);
    assert.deepEqual(reasons, ["auth", "auth", "auth", "auth", "auth", "budget", "budget", "budget"]);
    // Authentic queries from another source are answered, and being refunded, never run out.
    for (let i = 0; i < 20; i++) {
      const h = r.handle(await query({ id: crypto.getRandomValues(new Uint8Array(16)) }), "10.0.0.7:1");
      assert.equal(h.decision.action, "answer", `query ${i}: ${h.decision.reason}`);
    }
  });
});
