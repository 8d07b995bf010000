/**
 * The linux-arm64 build end to end under qemu-user with `-cpu cortex-a53` (the Pi 3 / Zero 2 W core; a Bun
 * that needs newer atomics dies here): --version, keygen, config check, a discovery round (server and client
 * both arm64, on loopback), a beacon round with its goodbye, and a metric published through a proxy to a
 * receiver over ZMTP. Skips only without qemu-user-static / libc6-arm64-cross (CI installs them).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { freeUdpPort, ROOT } from "../_bin.ts";
import { ProcLines } from "../metrics/_proc.ts";
import { buildArm64, prepareArm64Libcrypto, qemuUserUnavailable, underQemu } from "../_qemu.ts";

const why = qemuUserUnavailable();
if (why) console.log(why);
/** qemu-user runs Bun at a fraction of native speed: waits are long, never sleeps. */
const WAIT_MS = 60_000;

let disco = "";
const prog = (name: string) => join(dirname(disco), name);
function run(name: string, args: string[]) {
  const p = Bun.spawnSync(underQemu(prog(name), ...args), { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}
function spawn(name: string, args: string[]): ProcLines {
  return new ProcLines(Bun.spawn(underQemu(prog(name), ...args), { stdout: "pipe", stderr: "pipe", stdin: "ignore" }));
}

describe("linux-arm64 build under qemu-user (cortex-a53)", { skip: why }, () => {
  const tmp = mkdtempSync(join(tmpdir(), "disco-arm64-"));
  it("builds dist/arm64/disco with the pinned runtime", { timeout: 120_000 }, () => {
    disco = buildArm64();
    const elf = Bun.spawnSync(["od", "-An", "-tu2", "-j18", "-N2", disco], { stdout: "pipe" }).stdout.toString().trim();
    assert.equal(elf, "183", "an AArch64 ELF");
  });

  it("--version names linux-arm64 and OpenSSL's AES-GCM (as a Pi's libssl3 gives it), from the binary and both links", { timeout: 180_000 }, () => {
    const noSsl = prepareArm64Libcrypto();
    if (noSsl && process.env.CI === "true") assert.fail(noSsl);
    if (noSsl) console.log(`${noSsl}: the arm64 tests run on the node:crypto fallback`);
    for (const name of ["disco", "disco-server", "disco-client"]) {
      const r = run(name, ["--version"]);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /^disco \d+\.\d+\.\d+ \([0-9a-f]{7,}(-dirty)?, linux-arm64, bun \d+\.\d+\.\d+, AES-GCM by (OpenSSL \(libcrypto\.so\.3\)|node:crypto)\)\n$/);
      if (!noSsl) assert.match(r.out, /AES-GCM by OpenSSL/);
    }
  });

  it("keygen prints a 32-byte base64 key (WebCrypto/random on arm64)", { timeout: 60_000 }, () => {
    const a = run("disco", ["keygen"]);
    const b = run("disco", ["keygen"]);
    assert.equal(a.code, 0, a.err);
    assert.equal(Buffer.from(a.out.trim(), "base64").length, 32);
    assert.notEqual(a.out, b.out);
  });

  it("config check accepts the example and names a bad key's line", { timeout: 60_000 }, () => {
    const ok = run("disco", ["config", "check", "-c", join(ROOT, "config.example.toml")]);
    assert.equal(ok.code, 0, ok.err + ok.out);
    const bad = join(tmp, "bad.toml");
    writeFileSync(bad, "[discovery]\nport = 70000\n");
    const r = run("disco", ["config", "check", "-c", bad]);
    assert.equal(r.code, 2);
    assert.match(r.err + r.out, /bad\.toml:2: discovery\.port/);
  });

  it("discovery round: an arm64 disco-server answers an arm64 disco-client on loopback (sealed with a key)", { timeout: 120_000 }, async () => {
    const key = join(tmp, "k");
    writeFileSync(key, run("disco", ["keygen"]).out);
    await using server = spawn("disco-server", ["-p", "0", "-l", "127.0.0.1", "-m", "arm64", "--key-file", key, "--name", "pi-arm64"]);
    const port = /listening on [\d.]+:(\d+)/.exec(await server.waitFor("err", /listening on [\d.]+:\d+/, WAIT_MS))?.[1];
    const t0 = performance.now();
    const c = Bun.spawn(underQemu(prog("disco-client"), "--to", `127.0.0.1:${port}`, "-m", "arm64", "--key-file", key, "-t", "3", "--json"), { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(c.stdout).text(), new Response(c.stderr).text(), c.exited]);
    assert.equal(code, 0, err);
    const doc = JSON.parse(out) as { hosts: { host: string; rttMs: number }[] };
    assert.deepEqual(doc.hosts.map((h) => h.host), ["pi-arm64"]);
    console.log(`arm64 discovery under qemu: round trip ${doc.hosts[0]?.rttMs} ms; client run ${(performance.now() - t0).toFixed(0)} ms (start-up + 3 s window)`);
  });

  it("beacon round: arm64 --send to 127.255.255.255 is heard by arm64 --receive, goodbye included", { timeout: 120_000 }, async () => {
    const port = await freeUdpPort();
    await using rx = spawn("disco", ["broadcast", "--receive", "--port", String(port), "--debug"]);
    await rx.waitFor("err", (l) => l.startsWith(`listening on UDP ${port}`), WAIT_MS);
    await using tx = spawn("disco", ["broadcast", "--send", "--to", "127.255.255.255", "--port", String(port), "--delay", "1", "--name", "pi-arm64"]);
    assert.match(await rx.waitFor("out", /: HOST pi-arm64 \d+$/, WAIT_MS), /^Received broadcast from 127\.0\.0\.1 : HOST pi-arm64 \d+$/);
    tx.proc.kill("SIGTERM");
    await rx.waitFor("out", /: BYE pi-arm64 \d+$/, WAIT_MS);
    assert.equal(await tx.proc.exited, 0);
  });

  it("ZMTP: a metric published to an arm64 proxy reaches an arm64 receiver", { timeout: 180_000 }, async () => {
    await using proxy = spawn("disco", ["metrics", "--proxy", "--frontend", `ipc://${tmp}/front`, "--backend", "tcp://127.0.0.1:0", "--debug"]);
    const [, frontend, backend] = /^proxy: frontend (\S+) backend (\S+)$/.exec(await proxy.waitFor("err", /^proxy: frontend /, WAIT_MS)) ?? [];
    assert.ok(frontend && backend);
    await using recv = spawn("disco", ["metrics", "--receive", "--no-beacons", "--connect", backend, "--debug"]);
    await proxy.waitFor("err", /^backend: SUB peer/, WAIT_MS);
    const pub = Bun.spawn(underQemu(prog("disco"), "metrics", "--publish", "temperature", "73", "--frontend", frontend, "--name", "pi-arm64"), { stdout: "pipe", stderr: "pipe" });
    const [pubErr, pubCode] = await Promise.all([new Response(pub.stderr).text(), pub.exited]);
    assert.equal(pubCode, 0, pubErr);
    assert.match(await recv.waitFor("out", /^Metric\(/, WAIT_MS), /^Metric\(host=pi-arm64 values=\{"temperature": "73", "_time": \d+\.\d+\}\)$/);
  });

  it("cleans up", () => rmSync(tmp, { recursive: true, force: true }));
});
