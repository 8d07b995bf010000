/**
 * CI's share of `npm run fuzz` (issue 9): 100,000 generated inputs per decoder with a fresh seed each run
 * (printed, with the replay command). A decoder that throws anything but its own DiscoError fails, with
 * the input in hex; a stage no input reached (a decoder that stopped taking its own valid seeds) fails too.
 * FUZZ_CASES overrides the count (tests only; lib/ never reads the environment).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { formatReport, fuzzTarget } from "../fuzz/run.ts";
import { buildTargets } from "../fuzz/targets.ts";

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
