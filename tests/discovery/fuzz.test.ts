import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { DiscoError } from "../../lib/errors.ts";
import { createKeyring, deriveChannelId } from "../../lib/crypto/index.ts";
import {
  decodeAnswer,
  decodeDatagram,
  decodeError,
  decodeQuery,
  describeHost,
  encodeAnswer,
  encodeQuery,
  FrameError,
  parseLegacyAnswer,
  parseLegacyRequest,
  Responder,
  sealFrame,
} from "../../lib/discovery/index.ts";

/** Decodes like a receiver does; returns what happened, and fails the property on any non-Disco throw. */
function decodeAll(bytes: Uint8Array): "ok" | "error" {
  const d = decodeDatagram(bytes);
  if (d.kind === "error") {
    assert.ok(d.error instanceof FrameError);
    return "error";
  }
  // Never more than the frame: every field is a view into the input.
  assert.equal(d.value.body.buffer, bytes.buffer);
  assert.ok(d.value.body.length + d.value.headerBytes.length === bytes.length);
  for (const decode of [decodeQuery, decodeAnswer, decodeError]) {
    try {
      decode(d.value.body);
    } catch (err) {
      assert.ok(err instanceof DiscoError, `unexpected ${String(err)}`);
    }
  }
  return "ok";
}

const channelId = Uint8Array.of(1, 2, 3, 4);
const id = new Uint8Array(16).fill(7);

// Valid frames to mutate: an unsealed query, an unsealed answer, an error.
const seeds = [
  await sealFrame("query", channelId, encodeQuery({ id, timeMs: 1700000000000 })),
  await sealFrame("answer", channelId, encodeAnswer({ id, timeMs: 1, description: describeHost({ host: "h", addresses: ["10.0.0.1"], version: "0", uptimeSec: 1, services: { a: "b" } }) })),
  await sealFrame("error", channelId, Uint8Array.of(...new Uint8Array(12), 4)),
];

const mutated = fc
  .record({
    seed: fc.integer({ min: 0, max: seeds.length - 1 }),
    edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
    extra: fc.uint8Array({ maxLength: 4 }),
  })
  .map(({ seed, edits, cut, extra }) => {
    const base = seeds[seed]!;
    const b = new Uint8Array([...base, ...extra]);
    for (const [at, v] of edits) b[at % b.length] = v;
    return cut === undefined ? b : b.subarray(0, cut % (b.length + 1));
  });

describe("discovery decoder fuzzing", () => {
  it("decodeDatagram() and the payload decoders return typed errors for 100,000 random and mutated frames", () => {
    const started = performance.now();
    let ok = 0;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), (b) => {
        decodeAll(b);
      }),
      { numRuns: 40_000 },
    );
    // Random bytes behind a valid marker and version reach the deeper checks.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 25, maxLength: 120 }), (b) => {
        b[0] = 0xd1;
        b[1] = 0x5c;
        b[2] = 1;
        decodeAll(b);
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(mutated, (b) => {
        if (decodeAll(b) === "ok") ok++;
      }),
      { numRuns: 40_000 },
    );
    assert.ok(ok > 100, `mutations should keep some frames valid (got ${ok})`);
    assert.ok(performance.now() - started < 60_000);
  });

  it("the legacy parsers never throw anything but a DiscoError", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 64 }), (s) => {
        parseLegacyRequest(`magic${s}`, "magic");
        try {
          parseLegacyAnswer(`magic${s}`, "magic");
        } catch (err) {
          assert.ok(err instanceof DiscoError);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it("Responder.handle() answers nothing and never throws for 3,000 mutated sealed queries", async () => {
    const ring = await createKeyring([new Uint8Array(32).fill(9)], "discovery");
    const chan = await deriveChannelId("fuzz");
    const responder = new Responder({
      channelId: chan,
      keyring: ring,
      hidden: false,
      rateLimitPerSec: 1e6,
      rateBurst: 1e6,
      describe: () => describeHost({ host: "h", addresses: [], version: "0", uptimeSec: 0 }),
    });
    const good = await sealFrame("query", chan, encodeQuery({ id, timeMs: Date.now() }), { key: ring.keys[0]! });
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), async (edits) => {
        const b = good.slice();
        for (const [at, v] of edits) b[at % b.length] = v;
        const { reply, decision } = await responder.handle(b, "127.0.0.1:1");
        if (decision.action === "answer") answered++;
        // Error frames are never larger than what came in.
        if (reply && decision.action === "error") assert.ok(reply.length <= b.length);
      }),
      { numRuns: 3_000 },
    );
    // Only an unchanged copy (an edit that wrote the same byte) can authenticate, and only once (replay).
    assert.ok(answered <= 1, `answered ${answered}`);
    assert.equal(responder.counters.errors, 0);
  });
});
