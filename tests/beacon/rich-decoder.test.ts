/**
 * RichBeaconDecoder: the same answers and errors as decodeRichBeacon for any payload sequence, with the
 * JSON parse skipped only where a host's last canonical payload differs in the digits of seq and time.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { BeaconFrameError, decodeRichBeacon, encodeRichBeacon, RichBeaconDecoder, type RichBeacon } from "../../lib/beacon/index.ts";

const enc = new TextEncoder();
const bytes = (s: string) => enc.encode(s);

/** decodeRichBeacon's answer as a value to compare: the beacon, or the error's code. */
function reference(p: Uint8Array): RichBeacon | { error: string } {
  try {
    return decodeRichBeacon(p);
  } catch (err) {
    assert.ok(err instanceof BeaconFrameError);
    return { error: `${err.reason}: ${err.message}` };
  }
}

function viaDecoder(d: RichBeaconDecoder, p: Uint8Array): RichBeacon | { error: string } {
  try {
    return d.decode(p);
  } catch (err) {
    assert.ok(err instanceof BeaconFrameError);
    return { error: `${err.reason}: ${err.message}` };
  }
}

const base: RichBeacon = { host: "pi-4.shed", boot: "0123456789abcdef", seq: 41, intervalMs: 15000, addresses: ["10.0.0.5"], version: "0.2.0", services: { http: { port: 8080 } }, unixMs: 1764000000000 };

const beaconArb: fc.Arbitrary<RichBeacon> = fc.record(
  {
    host: fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/),
    boot: fc.stringMatching(/^[0-9a-f]{16}$/),
    seq: fc.oneof(fc.nat(1000), fc.maxSafeNat()),
    intervalMs: fc.integer({ min: 100, max: 86_400_000 }),
    addresses: fc.array(fc.ipV4(), { maxLength: 3 }),
    version: fc.constantFrom("0.1.0", "0.2.0"),
    services: fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.record({ port: fc.nat(65535) }), { maxKeys: 3 }),
    metricsEndpoint: fc.constant("tcp://10.0.0.5:9000"),
    gpio: fc.array(fc.constantFrom("relay", "door"), { maxLength: 2 }),
    httpEndpoint: fc.constant("http://10.0.0.5:9180"),
    unixMs: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.maxSafeNat(), fc.double({ min: 0, max: 1e6, noNaN: true })),
    bye: fc.constant(true),
  },
  { requiredKeys: ["host", "boot", "seq", "intervalMs", "addresses"] },
);

/** A payload near `b`'s: its own encoding with other seq/time digits, a byte changed, spaces, or junk. */
const payloadNear = (b: RichBeacon): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.record({ seq: fc.oneof(fc.nat(), fc.maxSafeNat()), unixMs: fc.option(fc.oneof(fc.nat(), fc.maxSafeNat()), { nil: undefined }) }).map((v) => encodeRichBeacon({ ...b, seq: v.seq, ...(v.unixMs !== undefined && { unixMs: v.unixMs }) })),
    fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
      const p = encodeRichBeacon(b);
      p[at % p.length]! ^= x;
      return p;
    }),
    fc.tuple(fc.nat(), fc.constantFrom("0", "00", "9", " ", "-", ".5", "e3", "1e2", '"', ",\"seq\":1")).map(([at, ins]) => {
      const s = new TextDecoder().decode(encodeRichBeacon(b));
      const i = at % (s.length + 1);
      return bytes(s.slice(0, i) + ins + s.slice(i));
    }),
    fc.constant(bytes(JSON.stringify({ ...JSON.parse(new TextDecoder().decode(encodeRichBeacon(b))), extra: 1 }))),
    fc.uint8Array({ maxLength: 300 }),
  );

/** Payloads of a beacon, the same host's next boot and another host: canonical ones, and ones near them. */
const sequenceArb: fc.Arbitrary<Uint8Array[]> = beaconArb.chain((b) => {
  const hosts = [b, { ...b, host: `${b.host}x` }, { ...b, boot: "fedcba9876543210" }];
  const one = fc.oneof(...hosts.map((h) => fc.oneof({ arbitrary: fc.constant(encodeRichBeacon(h)), weight: 1 }, { arbitrary: payloadNear(h), weight: 4 })));
  return fc.array(one, { minLength: 1, maxLength: 12 });
});

describe("RichBeaconDecoder", () => {
  it("answers as decodeRichBeacon for every payload of a sequence (seeded with canonical ones)", () => {
    fc.assert(
      fc.property(sequenceArb, fc.integer({ min: 1, max: 4 }), (payloads, maxHosts) => {
        const d = new RichBeaconDecoder(maxHosts);
        for (const p of payloads) assert.deepEqual(viaDecoder(d, p), reference(p));
      }),
      { numRuns: 3000 },
    );
  });

  it("reads a steady sender's next beacons from the remembered payload, as new objects", () => {
    const d = new RichBeaconDecoder();
    const first = d.decode(encodeRichBeacon(base));
    assert.equal(d.size, 1);
    for (const [seq, unixMs] of [[42, 1764000015000], [43, 1764000030000], [1000000, 0], [999999999999999, 5]] as const) {
      const p = encodeRichBeacon({ ...base, seq, unixMs });
      const got = d.decode(p);
      assert.deepEqual(got, decodeRichBeacon(p));
      assert.notEqual(got, first);
      assert.equal(got.services, first.services, "read from the remembered payload: its values are shared");
    }
    // A goodbye, a new boot and changed services are decoded in full.
    for (const b of [{ ...base, bye: true }, { ...base, boot: "fedcba9876543210" }, { ...base, services: { ssh: { port: 22 } } }]) {
      const p = encodeRichBeacon(b);
      const got = d.decode(p);
      assert.deepEqual(got, decodeRichBeacon(p));
    }
  });

  it("never reads a number it cannot read exactly, a leading zero or a payload that is not canonical", () => {
    const d = new RichBeaconDecoder();
    d.decode(encodeRichBeacon(base));
    const text = new TextDecoder().decode(encodeRichBeacon(base));
    for (const s of [
      text.replace('"seq":41', '"seq":041'),
      text.replace('"seq":41', '"seq":1234567890123456'),
      text.replace('"seq":41', '"seq":9007199254740993'),
      text.replace('"time":1764000000000', '"time":9999999999999999'),
      text.replace('"seq":41', '"seq":41.0'),
      text.replace('"seq":41', '"seq": 41'),
      text.replace('"seq":41', '"seq":-1'),
      text.replace("}", ',"seq":7}'),
      text + " ",
    ]) {
      const p = bytes(s);
      assert.deepEqual(viaDecoder(d, p), reference(p), s);
    }
  });

  it("remembers at most maxHosts payloads", () => {
    const d = new RichBeaconDecoder(3);
    for (let i = 0; i < 10; i++) d.decode(encodeRichBeacon({ ...base, host: `h${i}` }));
    assert.equal(d.size, 3);
  });
});
