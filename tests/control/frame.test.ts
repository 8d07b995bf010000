import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { toHex } from "../../lib/bytes.ts";
import { createKeyring, deriveChannelId } from "../../lib/crypto/index.ts";
import {
  CONTROL_PURPOSE,
  ControlFrameError,
  decodeChallenge,
  decodeCommand,
  decodeControlFrame,
  decodeGetArgs,
  decodeQueryArgs,
  decodeRefusal,
  decodeRequest,
  decodeResult,
  decodeSetArgs,
  encodeChallenge,
  encodeCommand,
  encodeControlFrame,
  encodeGetArgs,
  encodeQueryArgs,
  encodeRefusal,
  encodeRequest,
  encodeResult,
  encodeSetArgs,
  isWellFormedControlFrame,
  openControlFrame,
  sealControlFrame,
  type ControlFrameType,
} from "../../lib/control/index.ts";
import { DiscoError } from "../../lib/errors.ts";

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!, (h) => parseInt(h, 16));
/** A byte fixture written as [hex, what the bytes are] rows. */
const fixture = (rows: [string, string][]) => hex(rows.map(([h]) => h).join(""));

// Pinned with an independent implementation (Python `cryptography`: HKDF-SHA-256, AES-GCM), as in docs/PROTOCOL.md.
const RAW_KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const NONCE = hex("a0a1a2a3a4a5a6a7a8a9aaab");
const ID = hex("101112131415161718191a1b1c1d1e1f");
const CHALLENGE = hex("303132333435363738393a3b3c3d3e3f");

const HEADER = (type: string, what: string, len: string): [string, string][] => [
  ["d15c", "marker"],
  ["01", "version 1"],
  [type, what],
  ["01", "flags: sealed"],
  ["00", "reserved"],
  ["b6c05c01", "channel id ('shed')"],
  ["54322f51", "key id"],
  ["a0a1a2a3a4a5a6a7a8a9aaab", "nonce"],
  [len, "body length"],
];

const SET_ARGS = fixture([
  ["04", "name length 4"],
  ["70756d70", "'pump'"],
  ["3ff0000000000000", "value 1.0 (float64, big-endian)"],
]);

const GOLDEN: { type: ControlFrameType; payload: Uint8Array; frame: Uint8Array }[] = [
  {
    type: "request",
    payload: fixture([
      ["03", "op gpio-set"],
      ["101112131415161718191a1b1c1d1e1f", "request id"],
      ["000d", "args length 13"],
      [toHex(SET_ARGS), "args"],
    ]),
    frame: fixture([
      ...HEADER("10", "type request", "0030"),
      ["0257c6784aa9fca897863397f701279c5569be53da13fb9b055a43425140722f", "AES-256-GCM(payload), AAD = header"],
      ["1bb5ccca0cd9bbd4407350e517da3774", "tag"],
    ]),
  },
  {
    type: "challenge",
    payload: fixture([
      ["101112131415161718191a1b1c1d1e1f", "request id (echoed)"],
      ["303132333435363738393a3b3c3d3e3f", "challenge"],
      ["00001388", "ttl 5000 ms"],
    ]),
    frame: fixture([
      ...HEADER("11", "type challenge", "0034"),
      ["1156c5794da8ffa998873096f000249d7a5881649e53a0dc029379796d7d4c10ffbc830a", "ciphertext"],
      ["d284162488bc4341392c63ed92145ea5", "tag"],
    ]),
  },
  {
    type: "command",
    payload: fixture([
      ["03", "op gpio-set"],
      ["101112131415161718191a1b1c1d1e1f", "request id"],
      ["303132333435363738393a3b3c3d3e3f", "challenge"],
      ["000d", "args length 13"],
      [toHex(SET_ARGS), "args"],
    ]),
    frame: fixture([
      ...HEADER("12", "type command", "0040"),
      ["0257c6784aa9fca897863397f701279c555982659952a3dd0d927a786a7c4f11c0bc9d864135b761c31b8f6ff3193d26", "ciphertext"],
      ["450bbf92f8f91ada96ae9e7eb54e27b1", "tag"],
    ]),
  },
  {
    type: "result",
    payload: fixture([
      ["101112131415161718191a1b1c1d1e1f", "request id"],
      ["00", "status ok"],
      [toHex(new TextEncoder().encode('{"name":"pump","value":1}')), "body: UTF-8 JSON"],
    ]),
    frame: fixture([
      ...HEADER("13", "type result", "003a"),
      ["1156c5794da8ffa998873096f000249d4a129139cb0bf3c9008833373c305003ddcaf1ee4425f82bcd96", "ciphertext"],
      ["78497ae8b9e06d310abe3389e84a67ac", "tag"],
    ]),
  },
];

describe("control frames: golden bytes", () => {
  it("payload encoders produce the pinned payloads", () => {
    assert.deepEqual(encodeSetArgs("pump", 1), SET_ARGS);
    assert.deepEqual(encodeRequest({ op: "gpio-set", id: ID, args: SET_ARGS }), GOLDEN[0]!.payload);
    assert.deepEqual(encodeChallenge({ id: ID, challenge: CHALLENGE, ttlMs: 5000 }), GOLDEN[1]!.payload);
    assert.deepEqual(encodeCommand({ op: "gpio-set", id: ID, challenge: CHALLENGE, args: SET_ARGS }), GOLDEN[2]!.payload);
    assert.deepEqual(encodeResult({ id: ID, status: "ok", body: { name: "pump", value: 1 } }), GOLDEN[3]!.payload);
  });

  it("sealControlFrame() produces the pinned frames and openControlFrame() recovers the payloads", async () => {
    const ring = await createKeyring([RAW_KEY], CONTROL_PURPOSE);
    const channelId = await deriveChannelId("shed");
    for (const g of GOLDEN) {
      assert.equal(toHex(await sealControlFrame(g.type, channelId, ring.keys[0]!, g.payload, NONCE)), toHex(g.frame), g.type);
      const f = decodeControlFrame(g.frame);
      assert.equal(f.type, g.type);
      assert.deepEqual((await openControlFrame(f, ring)).payload, g.payload);
    }
  });

  it("payload decoders read the pinned payloads", () => {
    assert.deepEqual(decodeSetArgs(SET_ARGS), { name: "pump", value: 1 });
    const r = decodeRequest(GOLDEN[0]!.payload);
    assert.equal(r.op, "gpio-set");
    assert.deepEqual(r.args, SET_ARGS);
    const c = decodeChallenge(GOLDEN[1]!.payload);
    assert.deepEqual([toHex(c.id), toHex(c.challenge), c.ttlMs], [toHex(ID), toHex(CHALLENGE), 5000]);
    const m = decodeCommand(GOLDEN[2]!.payload);
    assert.deepEqual([m.op, toHex(m.challenge)], ["gpio-set", toHex(CHALLENGE)]);
    assert.deepEqual(decodeResult(GOLDEN[3]!.payload).body, { name: "pump", value: 1 });
  });

  it("an unsealed refusal echoes the nonce: 28 + 13 bytes", () => {
    const bytes = encodeControlFrame({ type: "refusal", channelId: hex("b6c05c01"), nonce: NONCE }, encodeRefusal({ nonce: NONCE, code: "unsealed" }));
    assert.equal(toHex(bytes), "d15c01140000b6c05c0100000000a0a1a2a3a4a5a6a7a8a9aaab000d" + "a0a1a2a3a4a5a6a7a8a9aaab" + "05");
    const f = decodeControlFrame(bytes);
    assert.deepEqual(decodeRefusal(f.body), { nonce: NONCE, code: "unsealed" });
  });

  it("decodeControlFrame() refuses every malformed frame with the offset of the bad byte", () => {
    const good = GOLDEN[0]!.frame;
    const patch = (i: number, v: number) => {
      const b = good.slice();
      b[i] = v;
      return b;
    };
    const cases: [string, Uint8Array, number][] = [
      ["bad marker", patch(0, 0x00), 0],
      ["bad marker byte 2", patch(1, 0x00), 1],
      ["bad version", patch(2, 0x02), 2],
      ["a discovery query type", patch(3, 0x01), 3],
      ["unknown flags", patch(4, 0x03), 4],
      ["reserved byte", patch(5, 0x01), 5],
      ["truncated header", good.subarray(0, 20), 20],
      ["truncated body", good.subarray(0, good.length - 1), good.length - 1],
      ["trailing byte", Uint8Array.from([...good, 0]), good.length],
      ["sealed body shorter than the tag", Uint8Array.from([...patch(27, 4).subarray(0, 32)]), 26],
      ["unsealed with a key id", patch(4, 0x00), 10],
    ];
    for (const [what, bytes, offset] of cases) {
      assert.throws(() => decodeControlFrame(bytes), (e: unknown) => e instanceof ControlFrameError && e.offset === offset, what);
    }
  });

  it("payload decoders refuse bad lengths, unknown ops and statuses, and non-JSON bodies", () => {
    const bad: [string, () => unknown][] = [
      ["short request", () => decodeRequest(new Uint8Array(18))],
      ["unknown op", () => decodeRequest(Uint8Array.from([9, ...ID, 0, 0]))],
      ["args length beyond the payload", () => decodeRequest(Uint8Array.from([1, ...ID, 0, 5]))],
      ["short command", () => decodeCommand(new Uint8Array(34))],
      ["challenge of 35 bytes", () => decodeChallenge(new Uint8Array(35))],
      ["unknown status", () => decodeResult(Uint8Array.from([...ID, 99, 0x7b, 0x7d]))],
      ["result body not JSON", () => decodeResult(Uint8Array.from([...ID, 0, 0x7b]))],
      ["result body an array", () => decodeResult(Uint8Array.from([...ID, 0, 0x5b, 0x5d]))],
      ["refusal of 12 bytes", () => decodeRefusal(new Uint8Array(12))],
      ["unknown refusal code", () => decodeRefusal(Uint8Array.from([...NONCE, 77]))],
      ["empty name", () => decodeGetArgs(Uint8Array.of(0))],
      ["name past the end", () => decodeGetArgs(Uint8Array.of(5, 0x61))],
      ["name not UTF-8", () => decodeGetArgs(Uint8Array.of(1, 0xff))],
      ["set without a value", () => decodeSetArgs(Uint8Array.of(1, 0x61, 0, 0))],
      ["query payload too large", () => decodeQueryArgs(Uint8Array.from([1, 0x61, ...new Uint8Array(1025)]))],
    ];
    for (const [what, f] of bad) assert.throws(f, ControlFrameError, what);
  });

  it("encoders refuse what would not decode", () => {
    assert.throws(() => encodeGetArgs(""), RangeError);
    assert.throws(() => encodeGetArgs("x".repeat(65)), RangeError);
    assert.throws(() => encodeQueryArgs("q", new Uint8Array(1025)), RangeError);
    assert.throws(() => encodeRequest({ op: "gpio-info", id: new Uint8Array(15), args: new Uint8Array() }), RangeError);
    assert.throws(() => encodeChallenge({ id: ID, challenge: CHALLENGE, ttlMs: -1 }), RangeError);
  });
});

describe("control frames: properties", () => {
  const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
  const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/);
  const op = fc.constantFrom("gpio-info", "gpio-get", "gpio-set", "query") as fc.Arbitrary<"gpio-info" | "gpio-get" | "gpio-set" | "query">;

  it("requests, commands, challenges, results and args round-trip", () => {
    fc.assert(
      fc.property(op, bytes(16), bytes(16), fc.uint8Array({ maxLength: 1200 }), fc.nat({ max: 0xffffffff }), (o, id, challenge, args, ttlMs) => {
        assert.deepEqual(decodeRequest(encodeRequest({ op: o, id, args })), { op: o, id, args });
        assert.deepEqual(decodeCommand(encodeCommand({ op: o, id, challenge, args })), { op: o, id, challenge, args });
        assert.deepEqual(decodeChallenge(encodeChallenge({ id, challenge, ttlMs })), { id, challenge, ttlMs });
      }),
    );
    fc.assert(
      fc.property(name, fc.double(), fc.uint8Array({ maxLength: 1024 }), (n, v, payload) => {
        assert.equal(decodeGetArgs(encodeGetArgs(n)).name, n);
        const s = decodeSetArgs(encodeSetArgs(n, v));
        assert.equal(s.name, n);
        assert.ok(Object.is(s.value, v) || (Number.isNaN(s.value) && Number.isNaN(v)));
        assert.deepEqual(decodeQueryArgs(encodeQueryArgs(n, payload)), { name: n, payload });
      }),
    );
    fc.assert(
      fc.property(bytes(16), fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean())), (id, body) => {
        assert.deepEqual(decodeResult(encodeResult({ id, status: "busy", body })), { id, status: "busy", body: JSON.parse(JSON.stringify(body)) });
      }),
    );
  });

  it("arbitrary bytes give a frame or a DiscoError, never a crash, from every decoder", () => {
    const decoders = [decodeControlFrame, decodeRequest, decodeCommand, decodeChallenge, decodeResult, decodeRefusal, decodeGetArgs, decodeSetArgs, decodeQueryArgs];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        for (const d of decoders) {
          try {
            d(b);
          } catch (err) {
            assert.ok(err instanceof DiscoError, `${d.name}: ${String(err)}`);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it("isWellFormedControlFrame() says exactly whether decodeControlFrame() accepts, for mutated frames", () => {
    const accepts = (b: Uint8Array) => {
      try {
        decodeControlFrame(b);
        return true;
      } catch (err) {
        assert.ok(err instanceof ControlFrameError, String(err));
        return false;
      }
    };
    const header = fc.record({ at: fc.nat({ max: 27 }), value: fc.oneof(fc.constantFrom(0, 1, 0x10, 0x12, 0x14, 0x15, 0xd1, 0x5c), fc.nat({ max: 255 })) });
    const seen = [0, 0];
    fc.assert(
      fc.property(fc.nat({ max: GOLDEN.length - 1 }), fc.array(header, { maxLength: 3 }), fc.option(fc.nat({ max: 120 })), fc.boolean(), (g, edits, length, fixLength) => {
        let b = GOLDEN[g]!.frame.slice();
        for (const e of edits) b[e.at] = e.value;
        if (length !== null) {
          const c = new Uint8Array(length);
          c.set(b.subarray(0, Math.min(length, b.length)));
          b = c;
        }
        // Often the length field says the truth, so the checks after it are reached too.
        if (fixLength && b.length >= 28) {
          b[26] = (b.length - 28) >> 8;
          b[27] = (b.length - 28) & 0xff;
        }
        const ok = accepts(b);
        seen[ok ? 1 : 0]!++;
        assert.equal(isWellFormedControlFrame(b), ok, toHex(b));
      }),
      { numRuns: 5000 },
    );
    assert.ok(seen[0]! > 500 && seen[1]! > 500, `both outcomes reached: ${seen}`);
  });

  it("a valid frame with one byte flipped never opens", async () => {
    const ring = await createKeyring([RAW_KEY], CONTROL_PURPOSE);
    const good = GOLDEN[2]!.frame;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), async (i, x) => {
        const b = good.slice();
        b[i]! ^= x;
        let f;
        try {
          f = decodeControlFrame(b);
        } catch (err) {
          return assert.ok(err instanceof ControlFrameError);
        }
        assert.throws(() => openControlFrame(f, ring), (e: unknown) => e instanceof DiscoError);
      }),
      { numRuns: 200 },
    );
  });
});
