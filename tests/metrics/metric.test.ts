import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createMetric, decodeMetric, encodeMetric, formatMetric, MetricFrameError } from "../../lib/metrics/index.ts";
import { assertDiscoErrorOnly } from "../zmtp/_fuzz.ts";

const te = new TextEncoder();

// The frame disco.py sends for `metrics --publish temperature 73` on host "shed" at 1683949549.367:
//   "metric"  topic word
//   "shed"    host
//   json.dumps({"temperature": "73", "_time": 1683949549.367})  (", " and ": " separators)
const GOLDEN = 'metric shed {"temperature": "73", "_time": 1683949549.367}';

describe("metric frame", () => {
  it("encodeMetric() writes disco.py's frame byte for byte", () => {
    const m = createMetric("shed", { temperature: "73" }, 1683949549367);
    assert.deepEqual(encodeMetric(m), te.encode(GOLDEN));
  });

  it("decodeMetric() reads it back, values as given", () => {
    assert.deepEqual(decodeMetric(te.encode(GOLDEN)), { host: "shed", values: { temperature: "73", _time: 1683949549.367 } });
  });

  it("formatMetric() prints disco.py's receiver line", () => {
    assert.equal(formatMetric(decodeMetric(te.encode(GOLDEN))), 'Metric(host=shed values={"temperature": "73", "_time": 1683949549.367})');
  });

  it("encodeMetric() writes a whole-second _time as a float, as Python does", () => {
    const m = createMetric("pi", { a: "1" }, 1700000000000);
    assert.equal(new TextDecoder().decode(encodeMetric(m)), 'metric pi {"a": "1", "_time": 1700000000.0}');
  });

  it("createMetric() refuses a bad host or a caller's _time", () => {
    assert.throws(() => createMetric("", {}, 0), RangeError);
    assert.throws(() => createMetric("two words", {}, 0), RangeError);
    assert.throws(() => createMetric("h", { _time: 1 }, 0), RangeError);
  });

  const malformed: [string, Uint8Array][] = [
    ["another topic", te.encode('other shed {"a": "1"}')],
    ["no host", te.encode("metric  {}")],
    ["no JSON", te.encode("metric shed")],
    ["bad JSON", te.encode("metric shed {nope}")],
    ["a JSON array", te.encode("metric shed [1]")],
    ["invalid UTF-8", Uint8Array.of(0x6d, 0x65, 0x74, 0x72, 0x69, 0x63, 0x20, 0xff)],
  ];
  for (const [what, input] of malformed) {
    it(`decodeMetric() rejects ${what} with MetricFrameError`, () => assert.throws(() => decodeMetric(input), MetricFrameError));
  }

  it("decodeMetric() yields a metric or a DiscoError for arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 60 }), fc.string().map((s) => te.encode(`metric h ${s}`))), (input) => {
        assertDiscoErrorOnly(() => decodeMetric(input));
      }),
      { numRuns: 2000 },
    );
  });

  it("metrics round-trip through the frame", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9.-]{1,20}$/), fc.dictionary(fc.string({ maxLength: 10 }).filter((k) => k !== "_time" && k !== "__proto__"), fc.string({ maxLength: 20 })), fc.integer({ min: 0, max: 4e12 }), (host, values, nowMs) => {
        const m = createMetric(host, values, nowMs);
        assert.deepEqual(decodeMetric(encodeMetric(m)), m);
      }),
    );
  });
});

