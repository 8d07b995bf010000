/**
 * `npm run release`: both targets from one checkout. For each of linux-x64 and linux-arm64 it compiles
 * disco (the arm64 runtime from the pinned npm package, see scripts/bun-runtime.ts: nothing else is
 * downloaded) and packs `dist/release/disco-<version>-linux-<arch>.tar.xz` holding
 *
 *   disco-<version>-linux-<arch>/
 *     disco  disco-server -> disco  disco-client -> disco
 *     install.sh  uninstall.sh  disco.service  config.example.toml  README.md  LICENSE  docs/
 *
 * and writes `dist/release/SHA256SUMS` (`sha256sum -c SHA256SUMS` checks them). xz because the tarball is
 * for SD cards and OTA links: 39 MB against 51 MB for gzip -9 (README "Size"), and every Debian and
 * Raspberry Pi OS has xz (xz-utils is a required package). Tarballs are reproducible: sorted, owned by
 * root, every mtime the commit's.
 *
 * Usage: bun scripts/release.ts [--arch x64,arm64] [--out dist/release] [--xz-level 6]
 */
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { arch as hostArch } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ensureBunRuntime, type ReleaseArch } from "./bun-runtime.ts";

const ROOT = resolve(import.meta.dir, "..");
const { values } = parseArgs({
  options: {
    arch: { type: "string", default: "x64,arm64" },
    out: { type: "string", default: "dist/release" },
    "xz-level": { type: "string", default: "6" },
  },
});
const arches = (values.arch ?? "x64,arm64").split(",").map((a) => {
  if (a !== "x64" && a !== "arm64") throw new Error(`--arch: unknown target '${a}' (x64, arm64)`);
  return a as ReleaseArch;
});
const level = values["xz-level"] ?? "6";
if (!/^[0-9]$/.test(level)) throw new Error("--xz-level: 0 to 9");
const out = resolve(ROOT, values.out ?? "dist/release");
const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

function run(cmd: string[], opts: { cwd?: string } = {}): string {
  const p = Bun.spawnSync(cmd, { cwd: opts.cwd ?? ROOT, stdout: "pipe", stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed (${p.exitCode}):\n${p.stderr.toString()}${p.stdout.toString()}`);
  return p.stdout.toString();
}

/** The commit's time for reproducible tarballs (SOURCE_DATE_EPOCH wins), or now outside git. */
function sourceEpoch(): string {
  const env = process.env["SOURCE_DATE_EPOCH"];
  if (env && /^\d+$/.test(env)) return env;
  const p = Bun.spawnSync(["git", "log", "-1", "--format=%ct"], { cwd: ROOT, stdout: "pipe", stderr: "ignore" });
  return p.exitCode === 0 ? p.stdout.toString().trim() : String(Math.floor(Date.now() / 1000));
}

const hostIs = hostArch() === "arm64" ? "arm64" : "x64";
const epoch = sourceEpoch();
mkdirSync(out, { recursive: true });
const stage = join(out, `.stage.${process.pid}`);
const tarballs: string[] = [];
try {
  for (const a of arches) {
    const name = `disco-${version}-linux-${a}`;
    const dir = join(stage, name);
    mkdirSync(dir, { recursive: true });
    const build = [process.execPath, join(ROOT, "scripts", "build.ts"), `--target=bun-linux-${a}`, "--outfile", join(dir, "disco")];
    // Bun compiles for its own machine with itself; another machine's runtime comes from npm, never a download.
    if (a !== hostIs) build.push(`--executable-path=${ensureBunRuntime(a)}`);
    process.stdout.write(run(build));
    cpSync(join(ROOT, "scripts", "install.sh"), join(dir, "install.sh"));
    cpSync(join(ROOT, "scripts", "uninstall.sh"), join(dir, "uninstall.sh"));
    cpSync(join(ROOT, "systemd", "disco.service"), join(dir, "disco.service"));
    for (const f of ["config.example.toml", "README.md", "LICENSE"]) cpSync(join(ROOT, f), join(dir, f));
    cpSync(join(ROOT, "docs"), join(dir, "docs"), { recursive: true });
    const tarball = join(out, `${name}.tar.xz`);
    rmSync(tarball, { force: true });
    const tar = Bun.spawn(["tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner", `--mtime=@${epoch}`, "-cf", "-", name], { cwd: stage, stdout: "pipe", stderr: "pipe" });
    const xz = Bun.spawn(["xz", `-${level}`, "-T2", "-c"], { stdin: tar.stdout, stdout: Bun.file(tarball), stderr: "pipe" });
    const [tc, xc] = await Promise.all([tar.exited, xz.exited]);
    if (tc !== 0 || xc !== 0) throw new Error(`packing ${name} failed: ${await new Response(tar.stderr).text()}${await new Response(xz.stderr).text()}`);
    tarballs.push(tarball);
    console.log(`packed ${tarball} (${(statSync(tarball).size / 1e6).toFixed(1)} MB; binary ${(statSync(join(dir, "disco")).size / 1e6).toFixed(1)} MB)`);
  }
} finally {
  rmSync(stage, { recursive: true, force: true });
}

// SHA256SUMS covers every tarball in the folder (an earlier run's other target included).
const sums = readdirSync(out)
  .filter((f) => /^disco-.*\.tar\.xz$/.test(f))
  .sort()
  .map((f) => `${createHash("sha256").update(readFileSync(join(out, f))).digest("hex")}  ${f}\n`)
  .join("");
writeFileSync(join(out, "SHA256SUMS"), sums);
console.log(`wrote ${join(out, "SHA256SUMS")}`);
