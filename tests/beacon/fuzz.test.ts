import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BeaconFrameError, decodeDatagram, decodeRichBeacon, decodeVaultAnnouncement, encodeRichBeacon, encodeUnsealedEnvelope, type RichBeacon } from "../../lib/beacon/index.ts";

const CHANNEL = new Uint8Array([0xe0, 0xbf, 0x4a, 0xd0]);

function onlyFrameErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof BeaconFrameError)) throw err;
  }
}

/** Byte strings biased towards the shapes the decoder branches on. */
const datagram = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.uint8Array({ minLength: 8, maxLength: 200 }).map((b) => {
    const out = b.slice();
    out.set([0xfe, 0x01, b[2]! & 1, 0, ...CHANNEL]);
    return out;
  }),
  fc.string({ maxLength: 80 }).map((s) => new TextEncoder().encode(`HOST ${s}`)),
  fc.json({ maxDepth: 3 }).map((j) => encodeUnsealedEnvelope(CHANNEL, new TextEncoder().encode(j))),
);

describe("decodeDatagram() fuzz", () => {
  it("yields a beacon or a BeaconFrameError for 100,000 arbitrary datagrams", { timeout: 60_000 }, () => {
    const started = performance.now();
    fc.assert(
      fc.property(datagram, (b) => onlyFrameErrors(() => decodeDatagram(b, { channelId: CHANNEL }))),
      { numRuns: 100_000, seed: 0x5eed, interruptAfterTimeLimit: 60_000 },
    );
    assert.ok(performance.now() - started < 60_000, "fuzz ran past its time bound");
  });

  it("decodeVaultAnnouncement() yields only BeaconFrameError on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.json().map((j) => new TextEncoder().encode(j))), (b) => onlyFrameErrors(() => decodeVaultAnnouncement(b))),
      { numRuns: 10_000 },
    );
  });

  it("round-trips arbitrary rich beacons", () => {
    const host = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9._-]{0,29}$/);
    const rich: fc.Arbitrary<RichBeacon> = fc.record({
      host,
      boot: fc.stringMatching(/^[0-9a-f]{16}$/),
      seq: fc.nat(),
      intervalMs: fc.integer({ min: 100, max: 86_400_000 }),
      addresses: fc.array(fc.ipV4(), { maxLength: 4 }),
    });
    fc.assert(
      fc.property(rich, (b) => {
        const d = decodeDatagram(encodeUnsealedEnvelope(CHANNEL, encodeRichBeacon(b)), { channelId: CHANNEL });
        assert.equal(d.kind, "rich");
        if (d.kind === "rich") assert.deepEqual(d.beacon, { ...b });
        assert.deepEqual(decodeRichBeacon(encodeRichBeacon(b)), { ...b });
      }),
      { numRuns: 2000 },
    );
  });
});
