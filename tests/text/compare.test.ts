import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { compareNatural } from "../../lib/text/index.ts";

const sign = (n: number) => Math.sign(n);

describe("compareNatural()", () => {
  it("orders numbers in names by value, letters without regard to case", () => {
    const sorted = ["gpiochip10", "pi-10", "gpiochip2", "Beta", "alpha", "pi-9", "gpiochip0", "pi", "pi-9a", "10.0.0.12", "10.0.0.9"].sort(compareNatural);
    assert.deepEqual(sorted, ["10.0.0.9", "10.0.0.12", "alpha", "Beta", "gpiochip0", "gpiochip2", "gpiochip10", "pi", "pi-9", "pi-9a", "pi-10"]);
  });

  it("calls two names equal only when they are the same string (case and leading zeros break ties)", () => {
    assert.equal(compareNatural("pi-7", "pi-7"), 0);
    assert.ok(compareNatural("Pi", "pi") < 0, "upper case first on a tie");
    assert.ok(compareNatural("pi-007", "pi-7") < 0, "the leading zeros first on a tie");
    assert.ok(compareNatural("pi-007", "pi-8") < 0, "still by value first");
    assert.ok(compareNatural("a", "a0") < 0 && compareNatural("a0", "a") > 0, "a prefix first");
    assert.ok(compareNatural("", "a") < 0);
  });

  it("compares numbers longer than any integer type exactly", () => {
    assert.ok(compareNatural("n123456789012345678901234567890", "n123456789012345678901234567891") < 0);
    assert.ok(compareNatural("n99999999999999999999", "n100000000000000000000") < 0);
  });

  // Names made of the characters host names and chip names use, digits frequent, so runs of digits,
  // leading zeros, case ties and prefixes all occur.
  const name = fc.stringMatching(/^[0-9a-cA-C._-]{0,8}$/);

  it("is a valid sort comparator: antisymmetric, transitive, 0 only for equal strings", () => {
    fc.assert(
      fc.property(name, name, name, (a, b, c) => {
        assert.equal(sign(compareNatural(a, b)) + sign(compareNatural(b, a)), 0, `${a} vs ${b} both ways`);
        assert.equal(compareNatural(a, b) === 0, a === b);
        if (compareNatural(a, b) <= 0 && compareNatural(b, c) <= 0) assert.ok(compareNatural(a, c) <= 0, `${a} <= ${b} <= ${c}`);
      }),
      { numRuns: 20_000 },
    );
  });

  it("orders a shared prefix followed by numbers as the numbers", () => {
    fc.assert(
      fc.property(name.filter((p) => !/[0-9]$/.test(p)), fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 0n, max: 10n ** 30n }), (p, x, y) => {
        assert.equal(sign(compareNatural(`${p}${x}`, `${p}${y}`)), x < y ? -1 : x > y ? 1 : 0);
      }),
      { numRuns: 5_000 },
    );
  });

  it("agrees with a plain comparison of the lower-cased names when they hold no digits and differ in more than case", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z._-]{0,8}$/), fc.stringMatching(/^[a-zA-Z._-]{0,8}$/), (a, b) => {
        const [la, lb] = [a.toLowerCase(), b.toLowerCase()];
        fc.pre(la !== lb);
        assert.equal(sign(compareNatural(a, b)), la < lb ? -1 : 1);
      }),
      { numRuns: 5_000 },
    );
  });
});
