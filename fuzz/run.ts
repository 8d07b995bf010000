/**
 * `npm run fuzz`: every decoder against 1,000,000 generated inputs (mutated valid seeds and random bytes),
 * counting how far inputs got (per-decoder stages) and failing on anything thrown that is not the decoder's
 * own DiscoError subclass (the input is printed in hex). The seed is random and printed; `--seed N` replays.
 *
 * Usage: bun fuzz/run.ts [--cases N] [--seed N] [--only TEXT]
 */
import { parseArgs } from "node:util";
import { deriveSeed, generate, Rng } from "./mutate.ts";
import { buildTargets, isRefusal, type FuzzTarget } from "./targets.ts";

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  /** Cases per decoder. @default 1000000 */
  readonly cases?: number;
  /** The run's seed. @default random */
  readonly seed?: number;
  /** Only the decoders whose name contains this. */
  readonly only?: string;
  /** Where progress and the report go. @default console.log */
  readonly log?: (line: string) => void;
}

/** One decoder's outcome. */
export interface TargetReport {
  readonly name: string;
  readonly cases: number;
  /** Inputs refused with the decoder's own error. */
  readonly refused: number;
  /** Per stage, how many inputs reached it. */
  readonly stages: readonly { readonly stage: string; readonly reached: number }[];
  readonly ms: number;
  /** Inputs that threw something else (a bug): the first few. */
  readonly failures: readonly { readonly index: number; readonly hex: string; readonly error: string }[];
  readonly failureCount: number;
}

/** The whole run. */
export interface FuzzReport {
  readonly seed: number;
  readonly targets: readonly TargetReport[];
  readonly ok: boolean;
}

const MAX_FAILURES_KEPT = 5;

/**
 * Fuzzes one decoder.
 * @param seed the run's seed (each decoder derives its own stream from it and its name)
 * @returns its report
 */
export async function fuzzTarget(target: FuzzTarget, cases: number, seed: number): Promise<TargetReport> {
  const rng = new Rng(deriveSeed(seed, target.name));
  const reached = new Array<number>(target.stages.length).fill(0);
  let refused = 0;
  let failureCount = 0;
  const failures: { index: number; hex: string; error: string }[] = [];
  const t0 = performance.now();
  for (let i = 0; i < cases; i++) {
    // The seeds themselves first: every stage must be reachable.
    let input: Uint8Array;
    if (i < target.seeds.length) input = target.seeds[i]!.slice();
    else if (target.inner && rng.chance(target.inner.share)) input = await target.inner.wrap(generate(rng, target.inner.space) as Uint8Array<ArrayBuffer>, rng);
    else input = generate(rng, target);
    const hit = new Uint8Array(target.stages.length);
    const reach = (s: number) => {
      if (!hit[s]) {
        hit[s] = 1;
        reached[s]!++;
      }
    };
    try {
      const r = target.run(input, reach, rng);
      if (r) await r;
    } catch (err) {
      if (isRefusal(target, err)) refused++;
      else {
        failureCount++;
        if (failures.length < MAX_FAILURES_KEPT) {
          failures.push({ index: i, hex: Buffer.from(input).toString("hex"), error: err instanceof Error ? `${err.name}: ${err.message}\n${err.stack ?? ""}` : String(err) });
        }
      }
    }
  }
  return {
    name: target.name,
    cases,
    refused,
    stages: target.stages.map((stage, i) => ({ stage, reached: reached[i]! })),
    ms: performance.now() - t0,
    failures,
    failureCount,
  };
}

/** A decoder's report as lines: speed, refusals, stages reached, failures with their input in hex. */
export function formatReport(r: TargetReport): string {
  const pct = (n: number) => `${((n / r.cases) * 100).toFixed(1)}%`;
  const lines = [
    `  ${r.name}: ${(r.ms / 1000).toFixed(1)} s, ${Math.round(r.cases / (r.ms / 1000)).toLocaleString("en")} cases/s; refused ${r.refused.toLocaleString("en")} (${pct(r.refused)})`,
    `    reached: ${r.stages.map((s) => `${s.stage} ${s.reached.toLocaleString("en")} (${pct(s.reached)})`).join(" / ")}`,
  ];
  for (const s of r.stages) if (s.reached === 0) lines.push(`    warning: no input reached "${s.stage}"`);
  if (r.failureCount) {
    lines.push(`    FAILED: ${r.failureCount} input(s) threw something other than the decoder's own error`);
    for (const f of r.failures) lines.push(`    case ${f.index}: input ${f.hex.length > 2000 ? `${f.hex.slice(0, 2000)}... (${f.hex.length / 2} bytes)` : f.hex}\n      ${f.error.split("\n").join("\n      ")}`);
  }
  return lines.join("\n");
}

/**
 * Fuzzes every decoder (or those matching `only`).
 * @returns the report; `ok` is false when some input threw something other than its decoder's error
 */
export async function runFuzz(options: FuzzOptions = {}): Promise<FuzzReport> {
  const cases = options.cases ?? 1_000_000;
  const seed = options.seed ?? crypto.getRandomValues(new Uint32Array(1))[0]!;
  const log = options.log ?? ((l: string) => console.log(l));
  const targets = (await buildTargets()).filter((t) => !options.only || t.name.includes(options.only));
  log(`fuzz: ${cases.toLocaleString("en")} cases per decoder, ${targets.length} decoders, seed ${seed} (replay: bun fuzz/run.ts --seed ${seed} --cases ${cases})`);
  const reports: TargetReport[] = [];
  for (const t of targets) {
    const r = await fuzzTarget(t, cases, seed);
    log(formatReport(r));
    reports.push(r);
  }
  const ok = reports.every((r) => r.failureCount === 0);
  log(ok ? `fuzz: ok (seed ${seed})` : `fuzz: FAILED (seed ${seed}; replay with --seed ${seed})`);
  return { seed, targets: reports, ok };
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { cases: { type: "string" }, seed: { type: "string" }, only: { type: "string" } } });
  const num = (flag: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) {
      console.error(`fuzz: --${flag} expects a non-negative integer, got '${v}'`);
      process.exit(2);
    }
    return n;
  };
  const cases = num("cases", values.cases);
  const seed = num("seed", values.seed);
  const report = await runFuzz({ ...(cases !== undefined && { cases }), ...(seed !== undefined && { seed: seed >>> 0 }), ...(values.only && { only: values.only }) });
  process.exit(report.ok ? 0 : 1);
}
