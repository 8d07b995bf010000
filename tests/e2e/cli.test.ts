import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeKey } from "../../lib/crypto/index.ts";
import { ensureBuilt, ROOT } from "../_bin.ts";

let disco = "";
const tmp = mkdtempSync(join(tmpdir(), "disco-cli-"));

function run(args: string[], argv0?: string): { code: number; out: string; err: string } {
  const cmd = argv0 ? [join(disco, "..", argv0), ...args] : [disco, ...args];
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  return { code: p.exitCode ?? -1, out: p.stdout.toString(), err: p.stderr.toString() };
}

describe("dist/disco (multi-call binary)", () => {
  before(() => {
    disco = ensureBuilt();
  });

  it("--help lists every command and exits 0; no command exits 2", () => {
    const help = run(["--help"]);
    assert.equal(help.code, 0);
    for (const c of ["run", "server", "client", "broadcast", "hosts", "metrics", "gpio", "keygen", "config"]) {
      assert.match(help.out, new RegExp(`^  ${c} `, "m"));
    }
    assert.equal(run([]).code, 2);
  });

  it("an unknown command exits 2 and names the commands", () => {
    const r = run(["frobnicate"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown command 'frobnicate'/);
  });

  it("an unknown flag exits 2 and points to --help", () => {
    const r = run(["keygen", "--bogus"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /^disco keygen: unknown flag '--bogus'/);
    assert.match(r.err, /Try 'disco keygen --help'/);
  });

  it("dispatches on the program name: disco-server and disco-client links", () => {
    const s = run(["--help"], "disco-server");
    const c = run(["--help"], "disco-client");
    assert.equal(s.code, 0);
    assert.equal(c.code, 0);
    assert.match(s.out, /disco-server/);
    assert.match(c.out, /disco-client/);
    assert.notEqual(s.out, c.out);
  });

  it("keygen prints a fresh 32-byte key each time", () => {
    const a = run(["keygen"]);
    const b = run(["keygen"]);
    assert.equal(a.code, 0);
    assert.equal(decodeKey(a.out).length, 32);
    assert.notEqual(a.out, b.out);
  });

  it("config check accepts config.example.toml", () => {
    const r = run(["config", "check", "-c", join(ROOT, "config.example.toml")]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /config\.example\.toml: ok/);
  });

  it("config check prints every problem with file, line and key, and exits 2", () => {
    const file = join(tmp, "bad.toml");
    writeFileSync(file, '[discovery]\nport = "x"\nhidden = 3\n');
    const r = run(["config", "check", "-c", file]);
    assert.equal(r.code, 2);
    assert.equal(r.err, `${file}:2: discovery.port: expected a whole number from 1 to 65535, got the string "x"\n${file}:3: discovery.hidden: expected true or false, got 3\n`);
  });

  it("config check reports a missing file, and a key_file that holds no key", () => {
    const missing = run(["config", "check", "-c", join(tmp, "nope.toml")]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /nope\.toml: config file not found/);
    const keyFile = join(tmp, "k");
    writeFileSync(keyFile, "not a key\n");
    const file = join(tmp, "kf.toml");
    writeFileSync(file, `[discovery]\nkey_file = "${keyFile}"\n`);
    const r = run(["config", "check", "-c", file]);
    assert.equal(r.code, 2);
    assert.match(r.err, /discovery\.key_file: .*line 1: a key must be 32 bytes/);
  });
});
