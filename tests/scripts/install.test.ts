/**
 * scripts/install.sh and scripts/uninstall.sh against a temporary root (DESTDIR): what lands where, that a
 * second run changes nothing, that a config is never overwritten, the GPIO drop-in, the refusal of 32-bit
 * ARM and of a binary for another machine, and uninstall (with and without --purge). useradd/usermod work
 * on the tree's own etc/passwd (--prefix); systemctl is not run.
 */
import { describe, it, beforeEach, afterEach } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, ROOT } from "../_bin.ts";

const INSTALL = join(ROOT, "scripts", "install.sh");
const UNINSTALL = join(ROOT, "scripts", "uninstall.sh");
const why = process.getuid?.() === 0 && Bun.which("useradd") ? undefined : "install.sh tests skipped: need root and useradd (for useradd --prefix on the temp root)";
if (why) console.log(why);

function sh(script: string, root: string, args: string[] = [], env: Record<string, string> = {}) {
  const p = Bun.spawnSync(["sh", script, ...args], { env: { ...process.env, DESTDIR: root, DISCO_INSTALL_ARCH: "x86_64", ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

/** Every path under root with its type, mode, owner, link target or content hash. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const s = lstatSync(p);
      const rel = p.slice(root.length);
      if (/-$/.test(name)) continue; // useradd's passwd-/group- backups
      if (s.isSymbolicLink()) out[rel] = `link ${readlinkSync(p)}`;
      else if (s.isDirectory()) {
        out[rel] = `dir ${(s.mode & 0o7777).toString(8)}`;
        walk(p);
      } else out[rel] = `file ${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid} ${createHash("sha256").update(readFileSync(p)).digest("hex").slice(0, 16)}`;
    }
  };
  walk(root);
  return out;
}

describe("scripts/install.sh (DESTDIR)", { skip: why }, () => {
  let root = "";
  beforeEach(() => {
    ensureBuilt();
    root = mkdtempSync(join(tmpdir(), "disco-install-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("installs the user, binary, links, config, unit, docs and the enable link", () => {
    const r = sh(INSTALL, root);
    assert.equal(r.code, 0, r.err + r.out);
    assert.match(readFileSync(join(root, "etc/passwd"), "utf8"), /^disco:x:\d+:\d+::\/var\/lib\/disco:\/usr\/sbin\/nologin$/m);
    assert.match(readFileSync(join(root, "etc/group"), "utf8"), /^disco:x:\d+:$/m);
    assert.deepEqual(readFileSync(join(root, "usr/local/bin/disco")), readFileSync(ensureBuilt()));
    assert.equal(lstatSync(join(root, "usr/local/bin/disco")).mode & 0o777, 0o755);
    assert.equal(readlinkSync(join(root, "usr/local/bin/disco-server")), "disco");
    assert.equal(readlinkSync(join(root, "usr/local/bin/disco-client")), "disco");
    assert.equal(readFileSync(join(root, "etc/disco.toml"), "utf8"), readFileSync(join(ROOT, "config.example.toml"), "utf8"));
    const conf = lstatSync(join(root, "etc/disco.toml"));
    assert.equal(conf.mode & 0o777, 0o640, "the config may hold secrets: not world-readable");
    const gid = Number(/^disco:x:(\d+):/m.exec(readFileSync(join(root, "etc/group"), "utf8"))?.[1]);
    assert.equal(conf.gid, gid, "the config's group is the tree's disco group");
    assert.equal(readFileSync(join(root, "etc/systemd/system/disco.service"), "utf8"), readFileSync(join(ROOT, "systemd/disco.service"), "utf8"));
    assert.equal(readlinkSync(join(root, "etc/systemd/system/multi-user.target.wants/disco.service")), "/etc/systemd/system/disco.service");
    assert.ok(existsSync(join(root, "usr/local/share/doc/disco/README.md")), "the unit's Documentation= file");
    assert.ok(existsSync(join(root, "usr/local/share/doc/disco/LICENSE")));
    assert.ok(!existsSync(join(root, "etc/systemd/system/disco.service.d")), "no gpio group: no GPIO drop-in");
  });

  it("a second run changes nothing and says so", () => {
    assert.equal(sh(INSTALL, root).code, 0);
    const before = snapshot(root);
    const r = sh(INSTALL, root);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(snapshot(root), before);
    assert.doesNotMatch(r.out, /installed|created|linked /, r.out);
    assert.match(r.out, /user disco exists/);
    assert.match(r.out, /kept the existing \/etc\/disco.toml/);
  });

  it("never overwrites an existing config, and upgrades the binary in place", () => {
    mkdirSync(join(root, "etc"), { recursive: true });
    writeFileSync(join(root, "etc/disco.toml"), "[discovery]\nport = 40000\n", { mode: 0o600 });
    mkdirSync(join(root, "usr/local/bin"), { recursive: true });
    writeFileSync(join(root, "usr/local/bin/disco"), "old binary");
    const r = sh(INSTALL, root);
    assert.equal(r.code, 0, r.err);
    assert.equal(readFileSync(join(root, "etc/disco.toml"), "utf8"), "[discovery]\nport = 40000\n");
    assert.equal(lstatSync(join(root, "etc/disco.toml")).mode & 0o777, 0o600, "its mode is the owner's choice too");
    assert.deepEqual(readFileSync(join(root, "usr/local/bin/disco")), readFileSync(ensureBuilt()));
    assert.ok(readdirSync(join(root, "usr/local/bin")).every((f) => !f.includes(".new.")), "no temporary file left");
  });

  it("on a host with a gpio group: adds disco to it and writes the GPIO drop-in; --no-gpio takes it away", () => {
    mkdirSync(join(root, "etc"), { recursive: true });
    writeFileSync(join(root, "etc/group"), "gpio:x:997:\n");
    assert.equal(sh(INSTALL, root).code, 0);
    assert.match(readFileSync(join(root, "etc/group"), "utf8"), /^gpio:x:997:disco$/m);
    const dropin = readFileSync(join(root, "etc/systemd/system/disco.service.d/gpio.conf"), "utf8");
    assert.match(dropin, /^SupplementaryGroups=gpio$/m);
    assert.match(dropin, /^ProtectKernelTunables=no$/m);
    const again = sh(INSTALL, root);
    assert.match(again.out, /disco is in group gpio/);
    assert.match(readFileSync(join(root, "etc/group"), "utf8"), /^gpio:x:997:disco$/m, "not added twice");
    const r = sh(INSTALL, root, ["--no-gpio"]);
    assert.equal(r.code, 0, r.err);
    assert.ok(!existsSync(join(root, "etc/systemd/system/disco.service.d")));
  });

  it("refuses 32-bit ARM with a clear message and installs nothing", () => {
    for (const arch of ["armv7l", "armv6l", "armhf"]) {
      const r = sh(INSTALL, root, [], { DISCO_INSTALL_ARCH: arch });
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`32-bit ARM system \\(${arch}\\): disco cannot run here`));
      assert.match(r.err, /Pi 3, 4, 5, Zero 2 W or CM4 runs disco with a 64-bit OS/);
      assert.deepEqual(readdirSync(root), []);
    }
  });

  it("refuses a binary built for another machine", () => {
    const r = sh(INSTALL, root, [], { DISCO_INSTALL_ARCH: "aarch64" });
    assert.equal(r.code, 1);
    assert.match(r.err, /is for x86_64, this machine is aarch64: take the disco-\*-linux-arm64 tarball/);
    assert.deepEqual(readdirSync(root), []);
  });

  it("refuses an unknown option with exit 2", () => {
    const r = sh(INSTALL, root, ["--bogus"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown option '--bogus'/);
  });

  it("uninstall.sh removes what install.sh put there but the config, state and user; again is a no-op; --purge removes those", () => {
    assert.equal(sh(INSTALL, root).code, 0);
    mkdirSync(join(root, "var/lib/disco"), { recursive: true });
    let r = sh(UNINSTALL, root);
    assert.equal(r.code, 0, r.err);
    for (const p of ["usr/local/bin/disco", "usr/local/bin/disco-server", "usr/local/bin/disco-client", "etc/systemd/system/disco.service", "etc/systemd/system/multi-user.target.wants/disco.service", "usr/local/share/doc/disco"]) {
      assert.ok(!existsSync(join(root, p)) && !lstatSafe(join(root, p)), `${p} is gone`);
    }
    assert.ok(existsSync(join(root, "etc/disco.toml")));
    assert.ok(existsSync(join(root, "var/lib/disco")));
    assert.match(readFileSync(join(root, "etc/passwd"), "utf8"), /^disco:/m);
    const before = snapshot(root);
    r = sh(UNINSTALL, root);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(snapshot(root), before);
    assert.doesNotMatch(r.out, /removed/);
    r = sh(UNINSTALL, root, ["--purge"]);
    assert.equal(r.code, 0, r.err);
    assert.ok(!existsSync(join(root, "etc/disco.toml")));
    assert.ok(!existsSync(join(root, "var/lib/disco")));
    assert.doesNotMatch(readFileSync(join(root, "etc/passwd"), "utf8"), /^disco:/m);
  });
});

function lstatSafe(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
