/**
 * Builds the single executable `dist/disco` with `bun build --compile` and the `disco-server` /
 * `disco-client` links next to it.
 *
 * Usage: bun scripts/build.ts [--target bun-linux-arm64] [--outfile dist/disco]
 */
import { mkdirSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { target: { type: "string" }, outfile: { type: "string", default: "dist/disco" } },
});
const outfile = values.outfile ?? "dist/disco";
mkdirSync(dirname(outfile), { recursive: true });
// Compile beside the target and rename, so a test running the old binary never sees a half-written file.
const tmp = `${outfile}.tmp${process.pid}`;
// Worker threads are extra entry points: the binary embeds them, and `new Worker(new URL("./x.ts",
// import.meta.url))` finds them there.
const WORKERS = ["lib/gpio/_pump-worker.ts"];
const cmd = [process.execPath, "build", "--compile", "--minify-syntax", "--sourcemap=none", "main.ts", ...WORKERS, "--outfile", tmp];
if (values.target) cmd.push(`--target=${values.target}`);
const proc = Bun.spawnSync(cmd, { stdout: "inherit", stderr: "inherit" });
if (proc.exitCode !== 0) {
  rmSync(tmp, { force: true });
  process.exit(proc.exitCode ?? 1);
}
renameSync(tmp, outfile);
for (const link of ["disco-server", "disco-client"]) {
  const path = join(dirname(outfile), link);
  rmSync(path, { force: true });
  symlinkSync(basename(outfile), path);
}
console.log(`built ${outfile} (+ disco-server, disco-client links)`);
