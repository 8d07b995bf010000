/**
 * `npm run release` (scripts/release.ts) end to end: both tarballs from this checkout, their exact contents,
 * SHA256SUMS, the version each binary reports, the links dispatching by name (x64 natively, arm64 under
 * qemu-user), and the tarball's install.sh installing into a temp root. Packs with `--xz-level 0` to keep
 * the test short: the format is the release's, only the effort differs.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "../_bin.ts";
import { QEMU_AARCH64, qemuUserUnavailable } from "../_qemu.ts";

const version = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;
const qemuWhy = qemuUserUnavailable();
if (qemuWhy) console.log(qemuWhy);

const EXPECTED = ["LICENSE", "README.md", "config.example.toml", "disco", "disco-client", "disco-server", "disco.service", "docs/", "install.sh", "uninstall.sh"];

function run(cmd: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync(cmd, { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...env } });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

describe("scripts/release.ts", () => {
  let out = "";
  let unpacked = "";
  before(() => {
    out = mkdtempSync(join(tmpdir(), "disco-release-"));
    unpacked = mkdtempSync(join(tmpdir(), "disco-unpacked-"));
  });
  // The release run is a test of its own: bun's node:test hooks take no timeout option, a test does.
  it("npm run release (scripts/release.ts) builds and packs both targets", { timeout: 300_000 }, () => {
    const r = run([process.execPath, "scripts/release.ts", "--out", out, "--xz-level", "0"]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(r.out, /packed .*linux-x64\.tar\.xz/);
    assert.match(r.out, /packed .*linux-arm64\.tar\.xz/);
  });
  after(() => {
    rmSync(out, { recursive: true, force: true });
    rmSync(unpacked, { recursive: true, force: true });
  });

  it("writes both tarballs and a SHA256SUMS that sha256sum -c accepts", () => {
    assert.deepEqual(readdirSync(out).sort(), ["SHA256SUMS", `disco-${version}-linux-arm64.tar.xz`, `disco-${version}-linux-x64.tar.xz`]);
    const sums = readFileSync(join(out, "SHA256SUMS"), "utf8");
    assert.match(sums, new RegExp(`^[0-9a-f]{64}  disco-${version.replaceAll(".", "\\.")}-linux-arm64\\.tar\\.xz\n[0-9a-f]{64}  disco-.*-linux-x64\\.tar\\.xz\n$`));
    const c = Bun.spawnSync(["sha256sum", "-c", "SHA256SUMS"], { cwd: out, stdout: "pipe", stderr: "pipe" });
    assert.equal(c.exitCode, 0, c.stdout.toString() + c.stderr.toString());
  });

  for (const arch of ["x64", "arm64"] as const) {
    const name = `disco-${version}-linux-${arch}`;
    it(`${name}.tar.xz holds the binary, links, unit, example config, scripts, README, licence and docs, owned by root`, () => {
      const list = run(["tar", "-tvJf", join(out, `${name}.tar.xz`)]);
      assert.equal(list.code, 0, list.err);
      const entries = list.out.trim().split("\n");
      const top = entries.map((l) => l.split(/\s+/).slice(5).join(" ")).filter((p) => p.split("/").length <= 3 && !/^[^/]+\/docs\/.+/.test(p));
      assert.deepEqual(top.map((p) => p.replace(`${name}/`, "").replace(/ -> .*/, "")).filter((p) => p !== "").sort(), EXPECTED);
      for (const l of entries) assert.match(l, /^\S+ 0\/0 /, `owned by root: ${l}`);
      assert.ok(entries.some((l) => l.startsWith("-rwxr-xr-x") && l.endsWith(`${name}/disco`)), "the binary is executable");
      assert.ok(entries.some((l) => l.endsWith(`${name}/disco-server -> disco`)), "disco-server is a link to disco");
      assert.ok(entries.some((l) => l.endsWith(`${name}/disco-client -> disco`)), "disco-client is a link to disco");
      assert.ok(entries.some((l) => l.startsWith("-rwxr-xr-x") && l.endsWith(`${name}/install.sh`)), "install.sh is executable");
      const x = run(["tar", "-xJf", join(out, `${name}.tar.xz`), "-C", unpacked]);
      assert.equal(x.code, 0, x.err);
      const file = run(["od", "-An", "-tu2", "-j18", "-N2", join(unpacked, name, "disco")]);
      assert.equal(file.out.trim(), arch === "x64" ? "62" : "183", "ELF e_machine: x86-64 (62) or AArch64 (183)");
    });

    it(`${name}: the binary and both links answer --version with the target; the links dispatch by name`, { skip: arch === "arm64" ? qemuWhy : undefined }, () => {
      const dir = join(unpacked, name);
      const exec = (prog: string, args: string[]) => run(arch === "arm64" ? [QEMU_AARCH64, "-cpu", "cortex-a53", "-L", "/usr/aarch64-linux-gnu", join(dir, prog), ...args] : [join(dir, prog), ...args]);
      for (const prog of ["disco", "disco-server", "disco-client"]) {
        const r = exec(prog, ["--version"]);
        assert.equal(r.code, 0, r.err);
        assert.match(r.out, new RegExp(`^disco ${version.replaceAll(".", "\\.")} \\([0-9a-f]{7,}(-dirty)?, linux-${arch}, bun \\d+\\.\\d+\\.\\d+, AES-GCM by (OpenSSL \\(libcrypto\\.so\\.3\\)|node:crypto)\\)\n$`));
      }
      assert.match(exec("disco-server", ["--help"]).out, /^Usage: disco-server /);
      assert.match(exec("disco-client", ["--help"]).out, /^Usage: disco-client /);
      assert.match(exec("disco", ["--help"]).out, /^disco \d+\.\d+\.\d+: /);
    });
  }

  it("the arm64 tarball's install.sh installs its own files into a temp root (as on a Pi)", { skip: process.getuid?.() === 0 ? undefined : "needs root (useradd --prefix)" }, () => {
    const root = mkdtempSync(join(tmpdir(), "disco-pi-root-"));
    try {
      const dir = join(unpacked, `disco-${version}-linux-arm64`);
      const r = run(["sh", join(dir, "install.sh")], { DESTDIR: root, DISCO_INSTALL_ARCH: "aarch64" });
      assert.equal(r.code, 0, r.err + r.out);
      assert.deepEqual(readFileSync(join(root, "usr/local/bin/disco")), readFileSync(join(dir, "disco")));
      assert.equal(readFileSync(join(root, "etc/systemd/system/disco.service"), "utf8"), readFileSync(join(ROOT, "systemd/disco.service"), "utf8"));
      const refused = run(["sh", join(dir, "install.sh")], { DESTDIR: root, DISCO_INSTALL_ARCH: "armv7l" });
      assert.equal(refused.code, 1);
      assert.match(refused.err, /32-bit ARM/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
