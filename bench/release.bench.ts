/**
 * Shipping figures (issue 12): the binary with and without --minify and --bytecode (size, start-up of
 * `--help` and `keygen`, peak RSS), binary and tarball sizes per target (xz -6 as released, gzip -9 beside
 * it), start-up native and under qemu-user (cortex-a53), and a discovery round trip under qemu. The
 * baseline is the build before issue 12 (--minify-syntax, no bytecode): 109.5 MB, 51 MB gzip, 39 MB xz; the
 * build is now --minify --bytecode (scripts/build.ts).
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

/**
 * Median wall time and peak RSS (MiB) of each command over RUNS rounds, the commands interleaved round by
 * round so that the machine's changing load falls on all of them alike (one warm-up round first).
 */
function measureAll(cmds: readonly string[][]): { ms: number; rssMb: number }[] {
  const times = cmds.map(() => [] as number[]);
  const rss = cmds.map(() => [] as number[]);
  for (let r = -1; r < RUNS; r++) {
    cmds.forEach((cmd, i) => {
      const t0 = performance.now();
      const p = Bun.spawnSync(cmd, { stdout: "ignore", stderr: "ignore" });
      const ms = performance.now() - t0;
      if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} exited ${p.exitCode}`);
      if (r < 0) return;
      times[i]?.push(ms);
      rss[i]?.push((p.resourceUsage?.maxRSS ?? 0) / 2 ** 20); // bytes
    });
  }
  return cmds.map((_, i) => ({ ms: median(times[i] ?? []), rssMb: median(rss[i] ?? []) }));
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
    ["baseline (--minify-syntax)", ["--no-minify", "--no-bytecode"]],
    ["--minify", ["--no-bytecode"]],
    ["--bytecode", ["--no-minify"]],
    ["--minify --bytecode (the build)", []],
  ];
  const bins = variants.map(([name, flags]) => build(join(tmp, name.replace(/\W+/g, "_"), "disco"), flags));
  const help = measureAll(bins.map((bin) => [bin, "--help"]));
  const keygen = measureAll(bins.map((bin) => [bin, "keygen"]));
  const size0 = statSync(bins[0] ?? "").size;
  variants.forEach(([name], i) => {
    const size = statSync(bins[i] ?? "").size;
    const h = help[i] ?? { ms: NaN, rssMb: NaN };
    const k = keygen[i] ?? { ms: NaN, rssMb: NaN };
    const h0 = help[0]?.ms ?? NaN;
    const k0 = keygen[0]?.ms ?? NaN;
    console.log(
      `  ${name.padEnd(28)} ${mb(size).padStart(9)} (${(size / size0).toFixed(3)}x)  --help ${h.ms.toFixed(0)} ms (${(h.ms / h0).toFixed(2)}x)  keygen ${k.ms.toFixed(0)} ms (${(k.ms / k0).toFixed(2)}x)  rss ${k.rssMb.toFixed(1)} MiB`,
    );
  });

  console.log("\nper target");
  const rt = ensureBunRuntime("arm64");
  const arm64 = (out: string, flags: string[]) => {
    const p = Bun.spawnSync([process.execPath, join(ROOT, "scripts/build.ts"), "--target=bun-linux-arm64", "--outfile", out, `--executable-path=${rt}`, ...flags], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if (p.exitCode !== 0) throw new Error(p.stderr.toString());
    return out;
  };
  const x64 = bins[0] ?? "";
  const arm64Out = arm64(join(tmp, "arm64", "disco"), ["--no-minify", "--no-bytecode"]);
  const arm64Bytecode = arm64(join(tmp, "arm64-bytecode", "disco"), []);
  for (const [name, bin] of [["linux-x64 baseline", x64], ["linux-x64 (the build)", bins[3] ?? ""], ["linux-arm64 baseline", arm64Out], ["linux-arm64 (the build)", arm64Bytecode]] as const) {
    const size = statSync(bin).size;
    const sizes = quick ? "" : `  xz -6 ${mb(packed(bin, ["xz", "-6", "-T2"]))}  gzip -9 ${mb(packed(bin, ["gzip", "-9"]))}`;
    console.log(`  ${name.padEnd(32)} binary ${mb(size)}${sizes}`);
  }
  const hasQemu = Bun.which("qemu-aarch64-static") !== null;
  const starts: [string, string[]][] = [["native x64 baseline", [x64]], ["native x64 (the build)", [bins[3] ?? ""]]];
  if (hasQemu) starts.push(["arm64 baseline under qemu-user (cortex-a53)", [...QEMU, arm64Out]], ["arm64 (the build) under qemu-user (cortex-a53)", [...QEMU, arm64Bytecode]]);
  const sh = measureAll(starts.map(([, c]) => [...c, "--help"]));
  const sk = measureAll(starts.map(([, c]) => [...c, "keygen"]));
  starts.forEach(([label], i) => console.log(`  start-up ${label}: --help ${sh[i]?.ms.toFixed(0)} ms, keygen ${sk[i]?.ms.toFixed(0)} ms, rss ${sk[i]?.rssMb.toFixed(1)} MiB`));

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
        const c = Bun.spawnSync([...QEMU, join(tmp, "arm64-bytecode", "disco-client"), "--to", `127.0.0.1:${port}`, "-m", "bench", "--key-file", key, "-t", "2", "--json"], { stdout: "pipe", stderr: "pipe" });
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
