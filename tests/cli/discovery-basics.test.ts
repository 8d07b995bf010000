import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveDiscoveryBasics } from "../../lib/cli/_discovery.ts";
import { resolveSecrets } from "../../lib/cli/_secrets.ts";
import { parseConfig } from "../../lib/config/index.ts";
import type { CliIo } from "../../lib/cli/index.ts";

const tmp = mkdtempSync(join(tmpdir(), "disco-basics-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
function config(text: string): string {
  const f = join(tmp, `c${Math.random().toString(36).slice(2)}.toml`);
  writeFileSync(f, text);
  return f;
}

describe("resolveDiscoveryBasics() under --legacy", () => {
  it("takes PyDiscover's defaults: port 50000, magic fna349fn, 5 s", () => {
    const b = resolveDiscoveryBasics("client", { config: config(""), legacy: true }, 1);
    assert.deepEqual([b.port, b.magic, b.timeoutMs, b.legacy], [50000, "fna349fn", 5000, true]);
  });
  it("keeps disco's own defaults without it", () => {
    const b = resolveDiscoveryBasics("client", { config: config("") }, 1);
    assert.deepEqual([b.port, b.magic, b.timeoutMs, b.legacy], [40000, "disco", 2000, false]);
  });
  it("lets the config's keys and the flags override PyDiscover's defaults", () => {
    const file = config('[discovery]\nport = 41000\nmagic = "shed"\ntimeout = "1s"\n');
    const b = resolveDiscoveryBasics("server", { config: file, legacy: true }, 0);
    assert.deepEqual([b.port, b.magic, b.timeoutMs], [41000, "shed", 1000]);
    const f = resolveDiscoveryBasics("server", { config: file, legacy: true, port: "42000", magic: "m" }, 0);
    assert.deepEqual([f.port, f.magic], [42000, "m"]);
  });
  it("legacy = true in the file makes the same defaults (for 'disco run' too)", () => {
    const d = parseConfig("[discovery]\nlegacy = true\n").discovery;
    assert.deepEqual([d.port, d.magic, d.timeoutMs], [50000, "fna349fn", 5000]);
    const b = resolveDiscoveryBasics("client", { config: config("[discovery]\nlegacy = true\nport = 40001\n") }, 1);
    assert.deepEqual([b.port, b.magic], [40001, "fna349fn"]);
  });
});

describe("resolveSecrets() in legacy mode", () => {
  it("keeps the password for PyDiscover and derives no sealed key (nothing said about PBKDF2)", async () => {
    let err = "";
    const io: CliIo = { out: () => undefined, err: (t) => void (err += t), env: {}, stdoutIsTTY: false };
    const d = parseConfig('[discovery]\npassword = "pw"\n').discovery;
    const s = await resolveSecrets("client", { config: d, magic: "m", io, verbose: true, legacy: true });
    assert.equal(s.password, "pw");
    assert.equal(s.rawKeys.length, 0);
    assert.doesNotMatch(err, /PBKDF2/);
    const sealed = await resolveSecrets("client", { config: d, magic: "m", io, verbose: true });
    assert.equal(sealed.rawKeys.length, 1);
    assert.match(err, /PBKDF2/);
  });
});
