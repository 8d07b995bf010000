import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { PACE_MIN_GAP_MS, PACE_MIN_SAMPLES, PACE_WINDOW, PaceEstimator } from "../../lib/beacon/index.ts";

function feed(times: readonly number[]): PaceEstimator {
  const p = new PaceEstimator();
  for (const t of times) p.arrive(t);
  return p;
}

describe("PaceEstimator", () => {
  it("has no estimate before the second arrival", () => {
    assert.equal(new PaceEstimator().estimateMs(), undefined);
    assert.equal(feed([5]).estimateMs(), undefined);
  });

  it("uses the longest gap until PACE_MIN_SAMPLES gaps, the median after", () => {
    assert.equal(feed([0, 1000]).estimateMs(), 1000);
    assert.equal(feed([0, 1000, 3000]).estimateMs(), 2000, "two gaps: the longer one (cautious)");
    assert.equal(PACE_MIN_SAMPLES, 3);
    assert.equal(feed([0, 1000, 3000, 4000]).estimateMs(), 1000, "three gaps: the median ignores the lost beacon");
  });

  it("keeps the last PACE_WINDOW gaps, so it follows a host that changes its pace", () => {
    const times = [0];
    for (let i = 0; i < 20; i++) times.push(times.at(-1)! + 1000);
    for (let i = 0; i < PACE_WINDOW; i++) times.push(times.at(-1)! + 5000);
    assert.equal(feed(times).estimateMs(), 5000);
    assert.equal(feed(times).samples, PACE_WINDOW);
  });

  it("takes copies arriving together as one beacon", () => {
    assert.equal(feed([0, 1, 1000, 1000 + PACE_MIN_GAP_MS - 1, 2000, 2002, 3000]).estimateMs(), 1000);
  });

  it("stays within the jitter of the true interval while fewer than half the recent beacons are lost (property)", () => {
    const interval = fc.integer({ min: 200, max: 120_000 });
    const run = fc.array(fc.record({ jitter: fc.double({ min: -0.1, max: 0.1, noNaN: true }), lost: fc.boolean() }), { minLength: 12, maxLength: 60 });
    fc.assert(
      fc.property(interval, run, (ms, beats) => {
        // At most 2 losses among the last PACE_WINDOW beats (each loss turns two gaps into one).
        const tail = beats.slice(-(PACE_WINDOW + 2));
        fc.pre(tail.filter((b) => b.lost).length <= 2 && !beats.at(-1)!.lost && !beats.at(-2)!.lost);
        const p = new PaceEstimator();
        let t = 0;
        for (const b of beats) {
          t += ms;
          if (!b.lost) p.arrive(Math.round(t + b.jitter * ms));
        }
        const est = p.estimateMs()!;
        assert.ok(est >= ms * 0.8 - 1 && est <= ms * 1.2 + 1, `interval ${ms}, estimate ${est}`);
      }),
      { numRuns: 500 },
    );
  });
});
