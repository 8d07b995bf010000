import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { command, redactSecrets } from "../../lib/cli/config.ts";
import { loadConfigFile } from "../../lib/cli/_config.ts";
import type { CliIo } from "../../lib/cli/index.ts";
import { encodeKey, generateKey } from "../../lib/crypto/index.ts";

const tmp = mkdtempSync(join(tmpdir(), "disco-config-cli-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const never = new AbortController().signal;

function capture(): { io: CliIo; out: () => string } {
  let out = "";
  return { io: { out: (t) => void (out += t), err: () => undefined, env: {}, stdoutIsTTY: false }, out: () => out };
}

describe("disco config show", () => {
  it("prints the effective config: defaults filled in, secrets redacted, secret file names kept", async () => {
    const file = join(tmp, "show.toml");
    writeFileSync(file, `[discovery]\npassword = "hunter2"\nkeys = ["${encodeKey(generateKey())}"]\nkey_file = "/etc/disco.key"\n`);
    const c = capture();
    assert.equal(await command.run(["show", "-c", file], c.io, never), 0);
    const doc = JSON.parse(c.out());
    assert.equal(doc.discovery.port, 40000);
    assert.equal(doc.discovery.timeoutMs, 2000);
    assert.equal(doc.discovery.password, "<redacted>");
    assert.deepEqual(doc.discovery.keys, ["<redacted>"]);
    assert.equal(doc.discovery.keyFile, "/etc/disco.key");
    assert.equal("explicitKeys" in doc.discovery, false, "bookkeeping is not a setting");
    assert.ok(!c.out().includes("hunter2"));
  });
  it("redactSecrets() hides tokens and passwords of any section, keeps *_file names", () => {
    assert.deepEqual(redactSecrets({ http: { token: "t", tokenFile: "/f" }, mqtt: { password: "p" }, a: [{ secret: 1 }] }), {
      http: { token: "<redacted>", tokenFile: "/f" },
      mqtt: { password: "<redacted>" },
      a: [{ secret: "<redacted>" }],
    });
  });
});

describe("disco config check", () => {
  it("--json is one document with the problems and their lines", async () => {
    const file = join(tmp, "bad.toml");
    writeFileSync(file, "[discovery]\nport = 0\n");
    const c = capture();
    assert.equal(await command.run(["check", "--json", "-c", file], c.io, never), 2);
    assert.deepEqual(JSON.parse(c.out()), { file, ok: false, problems: [{ key: "discovery.port", line: 2, message: "expected a whole number from 1 to 65535, got 0" }], notes: [] });
  });
  it("reports a missing key file beside the other problems, and a malformed one, each with the key's line", async () => {
    const file = join(tmp, "keys.toml");
    writeFileSync(file, '[discovery]\nport = 70000\nkey_file = "nokey.key"\n');
    const c = capture();
    assert.equal(await command.run(["check", "--json", "-c", file], c.io, never), 2);
    assert.deepEqual((JSON.parse(c.out()) as { problems: unknown[] }).problems, [
      { key: "discovery.port", line: 2, message: "expected a whole number from 1 to 65535, got 70000" },
      { key: "discovery.key_file", line: 3, message: `file not found (${join(tmp, "nokey.key")})` },
    ]);
    writeFileSync(join(tmp, "short.key"), "abc\n");
    writeFileSync(file, '[discovery]\nkey_file = "short.key"\n');
    const d = capture();
    assert.equal(await command.run(["check", "--json", "-c", file], d.io, never), 2);
    const [p] = (JSON.parse(d.out()) as { problems: { key: string; line: number; message: string }[] }).problems;
    assert.deepEqual([p!.key, p!.line], ["discovery.key_file", 2]);
    assert.match(p!.message, /short\.key line 1: /);
  });

  it(
    "without -c and without /etc/disco.toml, the config is every default (as for every other command)",
    { skip: existsSync("/etc/disco.toml") ? "this machine has an /etc/disco.toml" : undefined },
    async () => {
      const c = capture();
      assert.equal(await command.run(["check"], c.io, never), 0);
      assert.equal(c.out(), "/etc/disco.toml does not exist: every default applies (ok)\n");
    },
  );
});

describe("loadConfigFile()", () => {
  it("reads a relative key_file and password_file next to the config file, not in the current directory", () => {
    const dir = join(tmp, "etc");
    mkdirSync(dir);
    const file = join(dir, "disco.toml");
    writeFileSync(file, '[discovery]\nkey_file = "disco.key"\n');
    assert.equal(loadConfigFile(file).config.discovery.keyFile, join(dir, "disco.key"));
    writeFileSync(file, '[discovery]\npassword_file = "../pw"\n');
    assert.equal(loadConfigFile(file).config.discovery.passwordFile, join(tmp, "pw"));
    writeFileSync(file, '[discovery]\nkey_file = "/abs/disco.key"\n');
    assert.equal(loadConfigFile(file).config.discovery.keyFile, "/abs/disco.key");
  });
});
