/**
 * Runs every benchmark in bench/ (files ending in .bench.ts), one after another, each in its own process.
 * Benchmarks print figures and ratios; they never fail on time.
 *
 * Usage: bun bench/run.ts [NAME-FILTER]
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";

const filter = process.argv[2] ?? "";
const files = readdirSync(import.meta.dir).filter((f) => f.endsWith(".bench.ts") && f.includes(filter)).sort();
let failed = 0;
for (const f of files) {
  console.log(`\n=== ${f}`);
  const p = Bun.spawnSync([process.execPath, join(import.meta.dir, f)], { stdout: "inherit", stderr: "inherit" });
  if (p.exitCode !== 0) {
    failed++;
    console.log(`(${f} exited ${p.exitCode})`);
  }
}
process.exit(failed ? 1 : 0);
