import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Debouncer } from "../../lib/gpio/index.ts";

describe("Debouncer", () => {
  it("sample() confirms a change only after it held for the period", () => {
    const d = new Debouncer(0, 20n, "both");
    assert.equal(d.sample(1, 0n), undefined);
    assert.equal(d.pendingUntilNs, 20n);
    assert.equal(d.sample(1, 19n), undefined);
    assert.deepEqual(d.sample(1, 20n), { type: "rising", value: 1 });
    assert.equal(d.pendingUntilNs, undefined);
  });
  it("sample() drops a glitch shorter than the period", () => {
    const d = new Debouncer(0, 20n, "both");
    d.sample(1, 0n);
    assert.equal(d.sample(0, 5n), undefined);
    assert.equal(d.sample(0, 100n), undefined);
    assert.equal(d.value, 0);
  });
  it("sample() filters by edge but still tracks the level", () => {
    const d = new Debouncer(1, 0n, "rising");
    assert.equal(d.sample(0, 1n), undefined);
    assert.equal(d.value, 0);
    assert.deepEqual(d.sample(1, 2n), { type: "rising", value: 1 });
  });
  it("property: reported changes alternate and end at the last held level", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(0 as const, 1 as const), fc.integer({ min: 1, max: 50 })), { maxLength: 60 }), (steps) => {
        const d = new Debouncer(0, 10n, "both");
        let t = 0n;
        let last = 0;
        for (const [v, dt] of steps) {
          const c = d.sample(v, t);
          if (c) {
            assert.notEqual(c.value, last);
            last = c.value;
          }
          t += BigInt(dt);
        }
        const final = d.sample(steps.at(-1)?.[0] ?? 0, t + 1000n);
        if (final) last = final.value;
        assert.equal(last, steps.at(-1)?.[0] ?? 0);
      }),
    );
  });
});
