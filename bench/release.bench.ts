/**
 * Shipping figures (issue 12): the binary with and without --minify and --bytecode (size, start-up of
 * `--help` and `keygen`, peak RSS), binary and tarball sizes per target (xz -6 as released, gzip -9 beside
 * it), start-up native and under qemu-user (cortex-a53), and a discovery round trip under qemu. The
 * baseline is today's build (--minify-syntax, no bytecode): 109.5 MB, 51 MB gzip, 39 MB xz.
 *
 * Usage: bun bench/release.bench.ts [--quick]   (--quick: 3 runs per figure instead of 9, no tarballs)
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ensureBunRuntime } from "../scripts/bun-runtime.ts";

const ROOT = resolve(import.meta.dir, "..");
const quick = process.argv.includes("--quick");
const RUNS = quick ? 3 : 9;
const QEMU = ["qemu-aarch64-static", "-cpu", "cortex-a53", "-L", "/usr/aarch64-linux-gnu"];
const tmp = mkdtempSync(join(tmpdir(), "disco-release-bench-"));
const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function build(out: string, flags: string[]): string {
  const p = Bun.spawnSync([process.execPath, join(ROOT, "scripts/build.ts"), "--outfile", out, ...flags], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`build ${flags.join(" ")}: ${p.stderr.toString()}`);
  return out;
}

/** Median wall time and peak RSS of `cmd` over RUNS runs (one warm-up first: the page cache). */
function measure(cmd: string[]): { ms: number; rssMb: number } {
  Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" });
  const times: number[] = [];
  const rss: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    const p = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" });
    times.push(performance.now() - t0);
    if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${p.exitCode}`);
    rss.push((p.resourceUsage?.maxRSS ?? 0) / 1024);
  }
  return { ms: median(times), rssMb: median(rss) };
}

function packed(file: string, compressor: string[]): number {
  const out = join(tmp, "packed");
  const p = Bun.spawnSync(["sh", "-c", `${compressor.join(" ")} -c "$1" > "$2"`, "sh", file, out], { stdout: "ignore", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
  const n = statSync(out).size;
  rmSync(out);
  return n;
}

try {
  console.log(`build variants (linux-x64, ${RUNS} runs each, median; RSS is peak resident set)`);
  const variants: [string, string[]][] = [
    ["baseline (--minify-syntax)", []],
    ["--minify", ["--minify"]],
    ["--bytecode", ["--bytecode"]],
    ["--minify --bytecode", ["--minify", "--bytecode"]],
  ];
  let base: { size: number; help: number; keygen: number } | undefined;
  for (const [name, flags] of variants) {
    const bin = build(join(tmp, name.replace(/\W+/g, "_"), "disco"), flags);
    const size = statSync(bin).size;
    const help = measure([bin, "--help"]);
    const keygen = measure([bin, "keygen"]);
    base ??= { size, help: help.ms, keygen: keygen.ms };
    console.log(
      `  ${name.padEnd(28)} ${mb(size).padStart(9)} (${(size / base.size).toFixed(3)}x)  --help ${help.ms.toFixed(0)} ms (${(help.ms / base.help).toFixed(2)}x)  keygen ${keygen.ms.toFixed(0)} ms (${(keygen.ms / base.keygen).toFixed(2)}x)  rss ${keygen.rssMb.toFixed(1)} MB`,
    );
  }

  console.log("\nper target (the release build)");
  const x64 = build(join(tmp, "x64", "disco"), []);
  const arm64Out = join(tmp, "arm64", "disco");
  const b = Bun.spawnSync([process.execPath, join(ROOT, "scripts/build.ts"), "--target=bun-linux-arm64", "--outfile", arm64Out, `--executable-path=${ensureBunRuntime("arm64")}`], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
  if (b.exitCode !== 0) throw new Error(b.stderr.toString());
  for (const [name, bin] of [["linux-x64", x64], ["linux-arm64", arm64Out]] as const) {
    const size = statSync(bin).size;
    const sizes = quick ? "" : `  xz -6 ${mb(packed(bin, ["xz", "-6", "-T2"]))}  gzip -9 ${mb(packed(bin, ["gzip", "-9"]))}`;
    console.log(`  ${name.padEnd(12)} binary ${mb(size)}${sizes}`);
  }
  const hasQemu = Bun.which("qemu-aarch64-static") !== null;
  for (const [label, cmd] of [["native x64", [x64]], ...(hasQemu ? [["arm64 under qemu-user (cortex-a53)", [...QEMU, arm64Out]]] : [])] as [string, string[]][]) {
    const help = measure([...cmd, "--help"]);
    const keygen = measure([...cmd, "keygen"]);
    console.log(`  start-up ${label}: --help ${help.ms.toFixed(0)} ms, keygen ${keygen.ms.toFixed(0)} ms, rss ${keygen.rssMb.toFixed(1)} MB`);
  }

  if (hasQemu) {
    // A discovery round trip with both ends arm64 under qemu, on loopback (the client's own rttMs).
    const key = join(tmp, "k");
    writeFileSync(key, Bun.spawnSync([x64, "keygen"], { stdout: "pipe" }).stdout.toString());
    const server = Bun.spawn([...QEMU, join(tmp, "arm64", "disco-server"), "-p", "0", "-l", "127.0.0.1", "-m", "bench", "--key-file", key, "--name", "pi"], { stdout: "ignore", stderr: "pipe" });
    try {
      const reader = server.stderr.getReader();
      let text = "";
      const deadline = performance.now() + 60_000;
      let port: string | undefined;
      while (!port && performance.now() < deadline) {
        const r = await reader.read();
        if (r.done) break;
        text += new TextDecoder().decode(r.value);
        port = /listening on [\d.]+:(\d+)/.exec(text)?.[1];
      }
      if (!port) throw new Error(`the arm64 server did not listen: ${text}`);
      const rtts: number[] = [];
      for (let i = 0; i < (quick ? 2 : 5); i++) {
        const c = Bun.spawnSync([...QEMU, join(tmp, "arm64", "disco-client"), "--to", `127.0.0.1:${port}`, "-m", "bench", "--key-file", key, "-t", "2", "--json"], { stdout: "pipe", stderr: "pipe" });
        const doc = JSON.parse(c.stdout.toString() || "{}") as { hosts?: { rttMs: number }[] };
        const rtt = doc.hosts?.[0]?.rttMs;
        if (rtt !== undefined) rtts.push(rtt);
      }
      console.log(`  discovery round trip, arm64 server + client under qemu-user: median ${median(rtts).toFixed(1)} ms over ${rtts.length} rounds (native x64: see discovery.bench.ts)`);
    } finally {
      server.kill("SIGKILL");
      await server.exited;
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
