/**
 * Builds the single executable `dist/disco` with `bun build --compile` and the `disco-server` /
 * `disco-client` links next to it. The commit (with `-dirty` when tracked files differ from it) is baked in
 * with `--define`, so `--version` never asks git at run time.
 *
 * Usage: bun scripts/build.ts [--target bun-linux-arm64] [--outfile dist/disco]
 *          [--executable-path PATH] [--minify] [--bytecode]
 *   --executable-path   the Bun runtime of the target (for a cross-compile: the binary of the pinned
 *                       @oven/bun-linux-aarch64 package), so Bun downloads nothing
 *   --minify, --bytecode  size/start-up variants measured by bench/release.bench.ts (see README "Size")
 */
import { mkdirSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    target: { type: "string" },
    outfile: { type: "string", default: "dist/disco" },
    "executable-path": { type: "string" },
    minify: { type: "boolean", default: false },
    bytecode: { type: "boolean", default: false },
  },
});

/** The short commit, `-dirty` when tracked files changed, or `unknown` outside a git checkout. */
function buildCommit(): string {
  const head = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { stdout: "pipe", stderr: "ignore" });
  if (head.exitCode !== 0) return "unknown";
  const status = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no"], { stdout: "pipe", stderr: "ignore" });
  return head.stdout.toString().trim() + (status.stdout.toString().trim() ? "-dirty" : "");
}

const outfile = values.outfile ?? "dist/disco";
mkdirSync(dirname(outfile), { recursive: true });
// Compile beside the target and rename, so a test running the old binary never sees a half-written file.
const tmp = `${outfile}.tmp${process.pid}`;
// Worker threads are extra entry points: the binary embeds them under their path from the project root,
// where lib/gpio/_pump.ts looks for its worker.
const WORKERS = ["lib/gpio/_pump-worker.ts"];
const commit = buildCommit();
const cmd = [process.execPath, "build", "--compile", values.minify ? "--minify" : "--minify-syntax", "--sourcemap=none"];
// --bytecode defaults to CommonJS, which has no top-level await (main.ts uses it): keep ESM.
if (values.bytecode) cmd.push("--bytecode", "--format=esm");
cmd.push(`--define=DISCO_COMMIT=${JSON.stringify(commit)}`, "main.ts", ...WORKERS, "--outfile", tmp);
if (values.target) cmd.push(`--target=${values.target}`);
if (values["executable-path"]) cmd.push(`--compile-executable-path=${values["executable-path"]}`);
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
console.log(`built ${outfile} (${commit}${values.target ? `, ${values.target}` : ""}; + disco-server, disco-client links)`);
