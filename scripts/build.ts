/**
 * Builds the single executable `dist/disco` with `bun build --compile` and the `disco-server` /
 * `disco-client` links next to it. The commit (with `-dirty` when tracked files differ from it) is baked in
 * with `--define`, so `--version` never asks git at run time.
 *
 * The build is `--minify --bytecode`: bytecode halves start-up (`--help` 185 -> 60 ms, `keygen` 97 -> 46 ms
 * here) for 3 MB more binary; bench/release.bench.ts measures the variants (README "Size").
 *
 * `--compile-jit-policy=20`: JavaScriptCore compiles a function only after 20 times the usual number of
 * runs. Code that runs once at start-up, or every 15 s, stays in the interpreter, so the JIT compilers'
 * code and the compiled code are never paged in for it: the idle all-on daemon's RSS is 2 MB lower (anon
 * -0.8, executable -1.4; bench/daemon.bench.ts part 1). A hot path still reaches the thresholds within its
 * first few thousand calls: disco-server's CPU per sealed answer under load (bench/discovery-process.bench.ts,
 * 40,000 queries a round) is the same.
 *
 * `--compile-exec-argv=--smol`: Bun's smaller heap (it collects more often as it grows). Under a flood of
 * 100,000 datagrams a second at the discovery port (bench/flood.bench.ts) the daemon's RSS grew 23.5 MB
 * without it and 18.1 MB with it (a bare Bun receiver: 17-18 MB), at the same CPU per datagram (5.2 µs) and
 * the same CPU per sealed answer (bench/discovery-process.bench.ts: 12.3-13.3 µs).
 *
 * Usage: bun scripts/build.ts [--target bun-linux-arm64] [--outfile dist/disco]
 *          [--executable-path PATH] [--no-minify] [--no-bytecode] [--jit-policy N]
 *   --executable-path   the Bun runtime of the target (for a cross-compile: the binary of the pinned
 *                       @oven/bun-linux-aarch64 package), so Bun downloads nothing
 *   --no-minify, --no-bytecode  the other variants (--no-minify keeps --minify-syntax), for the bench
 *   --jit-policy N      the JIT tier-up scale baked in (default 20; 1 is Bun's normal policy)
 */
import { mkdirSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    target: { type: "string" },
    outfile: { type: "string", default: "dist/disco" },
    "executable-path": { type: "string" },
    "no-minify": { type: "boolean", default: false },
    "no-bytecode": { type: "boolean", default: false },
    "jit-policy": { type: "string", default: "20" },
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
const cmd = [process.execPath, "build", "--compile", values["no-minify"] ? "--minify-syntax" : "--minify", "--sourcemap=none"];
// --bytecode defaults to CommonJS, which has no top-level await (main.ts uses it): keep ESM.
if (!values["no-bytecode"]) cmd.push("--bytecode", "--format=esm");
cmd.push(`--compile-jit-policy=${values["jit-policy"]}`);
// A smaller heap: RSS under a flood grows as little as a bare receiver's (see above).
cmd.push("--compile-exec-argv=--smol");
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
