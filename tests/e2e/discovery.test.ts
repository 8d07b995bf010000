import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ensureBuilt } from "../_bin.ts";
import { LineReader } from "../_lines.ts";

let disco = "";
const tmp = mkdtempSync(join(tmpdir(), "disco-disc-e2e-"));
const servers: Subprocess[] = [];
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

/** Starts the compiled server on an OS-chosen port; resolves with that port once it listens. */
async function startServer(args: string[], argv0 = "disco-server") {
  const cmd = argv0 === "disco" ? [disco, "server", "-p", "0", ...args] : [join(disco, "..", argv0), "-p", "0", ...args];
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  servers.push(p);
  const stderr = new LineReader(p.stderr);
  const match = (await stderr.waitFor(/listening on [\d.]+:(\d+)/)).captures;
  return { proc: p, port: Number(match[1]), stderr };
}

async function client(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = Bun.spawn([join(disco, "..", "disco-client"), ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out, err };
}

describe("disco-server <-> disco-client (compiled binary, loopback)", () => {
  let key = "";
  let otherKey = "";
  before(() => {
    disco = ensureBuilt();
    key = file("k1", Bun.spawnSync([disco, "keygen"]).stdout.toString());
    otherKey = file("k2", Bun.spawnSync([disco, "keygen"]).stdout.toString());
  });
  after(async () => {
    for (const p of servers) if (p.exitCode === null) p.kill("SIGKILL");
    await Promise.all(servers.map((p) => p.exited));
    rmSync(tmp, { recursive: true, force: true });
  });

  it("a client finds two servers by loopback broadcast, each with its [services]", async () => {
    const cfgA = file("a.toml", '[host]\nname = "alpha"\n[services]\nweb = "http://alpha/"\nssh = 22\n');
    const cfgB = file("b.cfg", "[DEFAULT]\nmqtt = tcp://beta:1883\n");
    const a = await startServer(["-c", cfgA, "-m", "e2e", "--key-file", key]);
    const b = await startServer(["-m", "e2e", "--key-file", key, "--name", "beta", "-d", cfgB]);
    const r = await client(["--to", `127.255.255.255:${a.port}`, "--to", `127.255.255.255:${b.port}`, "-m", "e2e", "--key-file", key, "-t", "1"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^HOST\s+ADDRESS\s+SERVICES$/m);
    assert.match(r.out, /^alpha\s+127\.0\.0\.1\s+web=http:\/\/alpha\/, ssh=22$/m);
    assert.match(r.out, /^beta\s+127\.0\.0\.1\s+mqtt=tcp:\/\/beta:1883$/m);
  });

  it("targets come from the config (interfaces, broadcast) or from -i lo", async () => {
    const s = await startServer(["-m", "e2e-cfg", "--key-file", key, "--name", "epsilon"]);
    const cfg = file("client.toml", `[discovery]\nmagic = "e2e-cfg"\nport = ${s.port}\nkey_file = "${key}"\ninterfaces = ["lo"]\nbroadcast = ["127.0.0.1"]\ntimeout = "1s"\n`);
    const r = await client(["-c", cfg, "--json"]);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out);
    assert.deepEqual(doc.queried, [`127.255.255.255:${s.port}`, `127.0.0.1:${s.port}`]);
    assert.deepEqual(doc.hosts.map((h: { host: string }) => h.host), ["epsilon"], "one host, however many copies of the query reached it");
    const i = await client(["-i", "lo", "-p", String(s.port), "-m", "e2e-cfg", "--key-file", key, "-t", "1"]);
    assert.equal(i.code, 0, i.err);
    assert.match(i.out, /^epsilon\s/m);
  });

  it("--json prints one document with every host; -v adds version, uptime and round-trip time", async () => {
    const s = await startServer(["-m", "e2e-json", "--key-file", key, "--name", "gamma"], "disco-server");
    const r = await client(["--to", `127.0.0.1:${s.port}`, "-m", "e2e-json", "--key-file", key, "-t", "1", "--json"]);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out);
    assert.equal(doc.hosts.length, 1);
    assert.equal(doc.hosts[0].host, "gamma");
    assert.equal(typeof doc.hosts[0].version, "string");
    assert.ok(doc.hosts[0].rttMs >= 0);
    const v = await client(["--to", `127.0.0.1:${s.port}`, "-m", "e2e-json", "--key-file", key, "-t", "1", "-v"]);
    assert.equal(v.code, 0, v.err);
    assert.match(v.out, /^HOST\s+ADDRESS\s+ADDRESSES\s+VERSION\s+UPTIME\s+RTT\s+SERVICES$/m);
    assert.match(v.out, /^gamma\s+127\.0\.0\.1\s+\S*127\.0\.0\.1\S*\s+\d+\.\d+\.\d+\s+\d+s\s+[\d.]+ms\s+-$/m);
  });

  it("with a password: the right one is answered; a wrong one gets silence and exit 1 (hidden)", async () => {
    const pw = file("pw", "correct horse\n");
    const s = await startServer(["-m", "e2e-pw", "--password-file", pw, "--name", "delta"]);
    const ok = await client(["--to", `127.0.0.1:${s.port}`, "-m", "e2e-pw", "--password-file", pw, "-t", "1"]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^delta\s/m);
    const bad = await client(["--to", `127.0.0.1:${s.port}`, "-m", "e2e-pw", "--password", "wrong", "-t", "500ms"]);
    assert.equal(bad.code, 1);
    assert.equal(bad.out, "");
    assert.match(bad.err, /visible to every user in 'ps'/);
    assert.match(bad.err, /no server answered within 0\.5s/);
    assert.match(bad.err, /same magic \(-m\) and password or key/);
  });

  it("--disable-hidden: a wrong key and a wrong magic get the same refusal, which names no secret", async () => {
    const s = await startServer(["-m", "e2e-open", "--key-file", key, "--disable-hidden", "-v"]);
    const r = await client(["--to", `127.0.0.1:${s.port}`, "-m", "e2e-open", "--key-file", otherKey, "-t", "500ms"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /refused the query: the query is not for this server/);
    assert.ok(!r.err.includes("e2e-open"));
    const other = await client(["--to", `127.0.0.1:${s.port}`, "-m", "elsewhere", "--key-file", key, "-t", "500ms"]);
    assert.equal(other.code, 1);
    // Issue 9, weakness 8: a stranger must not learn that a magic guess was right (code 2 vs 3 before).
    const refusal = (err: string) => err.split("\n").find((l) => l.includes("refused the query"));
    assert.ok(refusal(r.err));
    assert.equal(refusal(other.err), refusal(r.err));
  });

  it("--legacy client <-> --legacy server (PyDiscover protocol), and a wrong password gets nothing", async () => {
    const pw = file("legacy-pw", "legacy secret\n");
    const services = file("legacy.cfg", "[DEFAULT]\nregister = 10.0.0.1\n");
    const s = await startServer(["--legacy", "-m", "fna349fn", "--password-file", pw, "-d", services]);
    const r = await client(["--legacy", "-m", "fna349fn", "--password-file", pw, "--to", `127.0.0.1:${s.port}`, "-t", "1", "--json"]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /INSECURE|WARNING/);
    const doc = JSON.parse(r.out);
    assert.deepEqual(doc.hosts[0].services, { register: "10.0.0.1" });
    assert.equal(doc.hosts[0].legacy, true);
    const wrong = await client(["--legacy", "-m", "fna349fn", "--password", "nope", "--to", `127.0.0.1:${s.port}`, "-t", "300ms"]);
    assert.equal(wrong.code, 1);
  });

  it("--legacy: the password is PyDiscover's only; it never seals disco frames, and the banner says so", async () => {
    const pw = file("legacy-only-pw", "exposed secret\n");
    const services = file("legacy3.cfg", "[DEFAULT]\nregister = 10.0.0.3\n");
    // Password only: PyDiscover is served, disco frames are not (not even sealed with the password's PBKDF2 key).
    const s = await startServer(["-l", "127.0.0.1", "--legacy", "-m", "fna349fn", "--password-file", pw, "-d", services]);
    const banner = s.stderr.text.split("\n").find((l) => l.includes("listening on")) ?? "";
    assert.match(banner, /disco queries not answered/);
    assert.match(banner, /legacy PyDiscover \(unauthenticated AES-CTR; its password is exposed to the LAN\)/);
    assert.doesNotMatch(banner, /\bsealed\b(?! clients)/);
    const sealedWithPw = await client(["-m", "fna349fn", "--password-file", pw, "--to", `127.0.0.1:${s.port}`, "-t", "400ms"]);
    assert.equal(sealedWithPw.code, 1, "a disco client sealing with the legacy password's PBKDF2 key gets nothing");
    const legacyOk = await client(["--legacy", "-m", "fna349fn", "--password-file", pw, "--to", `127.0.0.1:${s.port}`, "-t", "1"]);
    assert.equal(legacyOk.code, 0, legacyOk.err);
    // Password and key: PyDiscover with the password, disco frames with the key only.
    const both = await startServer(["-l", "127.0.0.1", "--legacy", "-m", "fna349fn", "--password-file", pw, "--key-file", key, "-d", services, "--name", "both"]);
    assert.match(both.stderr.text, /\(sealed, hidden, legacy PyDiscover/);
    const withKey = await client(["-m", "fna349fn", "--key-file", key, "--to", `127.0.0.1:${both.port}`, "-t", "1"]);
    assert.equal(withKey.code, 0, withKey.err);
    assert.match(withKey.out, /^both\s/m);
    const withPw = await client(["-m", "fna349fn", "--password-file", pw, "--to", `127.0.0.1:${both.port}`, "-t", "400ms"]);
    assert.equal(withPw.code, 1, "the legacy password derives no sealed key");
  });

  it("--legacy is refused without a PyDiscover password, even with a key file (it would answer in clear)", async () => {
    const services = file("legacy2.cfg", "[DEFAULT]\nregister = 10.0.0.1\n");
    for (const extra of [[], ["--key-file", key]]) {
      const p = Bun.spawn([join(disco, "..", "disco-server"), "-p", "0", "-l", "127.0.0.1", "--legacy", "-m", "plainmagic", "-d", services, ...extra], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
      servers.push(p);
      const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
      assert.equal(code, 2, err);
      assert.match(err, /legacy mode needs a PyDiscover password/);
      assert.doesNotMatch(err, /listening on/);
    }
  });

  it("'disco config check' refuses legacy = true without a password, and notes what the legacy password exposes", () => {
    const bad = Bun.spawnSync([disco, "config", "check", "-c", file("legacy-nopw.toml", `[discovery]\nlegacy = true\nkey_file = "${key}"\n`)], { stdout: "pipe", stderr: "pipe" });
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr.toString(), /legacy-nopw\.toml:\d*:? ?discovery\.legacy: needs password or password_file/);
    const pw = file("legacy-check-pw", "x\n");
    const ok = Bun.spawnSync([disco, "config", "check", "-c", file("legacy-pw.toml", `[discovery]\nlegacy = true\npassword_file = "${pw}"\n`)], { stdout: "pipe", stderr: "pipe" });
    assert.equal(ok.exitCode, 0, ok.stderr.toString());
    assert.match(ok.stdout.toString(), /note: discovery\.legacy: the password is PyDiscover's only/);
  });

  it("'disco server' stops cleanly on SIGTERM and prints its counters with -v", async () => {
    const s = await startServer(["-m", "e2e-stop", "--key-file", key, "-v"], "disco");
    const r = await client(["--to", `127.0.0.1:${s.port}`, "-m", "e2e-stop", "--key-file", key, "-t", "1"]);
    assert.equal(r.code, 0, r.err);
    await s.stderr.waitFor(/answered, \d+ bytes in/);
    s.proc.kill("SIGTERM");
    assert.equal(await s.proc.exited, 0);
    await s.stderr.waitFor(/stopped; seen=1 answered=1 /);
  });

  it("bad flags exit 2", async () => {
    const r = await client(["-p", "seventy"]);
    assert.equal(r.code, 2);
    assert.match(r.err, /^disco client: --port expects a whole number/);
    const t = await client(["--to", "localhost"]);
    assert.equal(t.code, 2);
    assert.match(t.err, /--to expects an IPv4 address/);
    const badKey = await client(["--to", "127.0.0.1:9", "--key-file", file("bad.key", "not-a-key\n")]);
    assert.equal(badKey.code, 2);
    assert.match(badKey.err, /a key must be 32 bytes/);
    const missing = await client(["--to", "127.0.0.1:9", "--password-file", join(tmp, "nope")]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /--password-file: file not found/);
    const legacyPw = await client(["--legacy", "--to", "127.0.0.1:9", "--password-file", file("utf8-pw", "café\n")]);
    assert.equal(legacyPw.code, 2);
    assert.match(legacyPw.err, /must be ASCII/);
  });
});
