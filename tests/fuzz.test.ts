/**
 * CI's share of `npm run fuzz` (issue 9): 100,000 generated inputs per decoder with a fresh seed each run
 * (printed, with the replay command). A decoder that throws anything but its own DiscoError fails, with
 * the input in hex; a stage no input reached (a decoder that stopped taking its own valid seeds) fails too.
 * FUZZ_CASES overrides the count (tests only; lib/ never reads the environment).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatReport, fuzzTarget } from "../fuzz/run.ts";
import { buildTargets, type FuzzTarget } from "../fuzz/targets.ts";
import { DiscoError } from "../lib/errors.ts";

const CASES = Number(process.env.FUZZ_CASES ?? 100_000);
const SEED = crypto.getRandomValues(new Uint32Array(1))[0]!;
const targets = await buildTargets();

describe(`fuzz: ${CASES.toLocaleString("en")} cases per decoder, seed ${SEED} (replay: bun fuzz/run.ts --seed ${SEED} --cases ${CASES})`, () => {
  for (const target of targets) {
    it(`${target.name} throws only its own errors`, async () => {
      const r = await fuzzTarget(target, CASES, SEED);
      console.log(formatReport(r));
      assert.equal(r.failureCount, 0, `seed ${SEED}:\n${formatReport(r)}`);
      for (const s of r.stages) assert.ok(s.reached > 0, `no input reached "${s.stage}" (seed ${SEED})`);
    });
  }
});

describe("fuzzTarget()", () => {
  class ToyError extends DiscoError {}
  // Refuses inputs starting with 0x00 properly, and has a bug: a TypeError on inputs starting with 0xff.
  const toy: FuzzTarget = {
    name: "toy",
    stages: ["accepted"],
    seeds: [Uint8Array.of(1, 2, 3)],
    maxBytes: 64,
    allowed: [ToyError],
    run(input, reach) {
      if (input[0] === 0xff) throw new TypeError("bug");
      if (input[0] === 0) throw new ToyError("refused");
      reach(0);
    },
  };

  it("reports an input that throws something other than the decoder's error, in hex", async () => {
    const r = await fuzzTarget(toy, 5000, 1);
    assert.ok(r.failureCount > 0);
    assert.match(r.failures[0]!.hex, /^ff/);
    assert.match(r.failures[0]!.error, /TypeError: bug/);
    assert.ok(r.refused > 0 && r.stages[0]!.reached > 0);
    assert.equal(r.refused + r.failureCount + r.stages[0]!.reached, 5000);
  });

  it("replays the same cases for the same seed", async () => {
    const a = await fuzzTarget(toy, 3000, 42);
    const b = await fuzzTarget(toy, 3000, 42);
    assert.deepEqual([a.refused, a.failureCount, a.failures.map((f) => f.hex)], [b.refused, b.failureCount, b.failures.map((f) => f.hex)]);
  });
});
