import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeKey, generateKey } from "../../lib/crypto/index.ts";
import { encodeVaultAnnouncement } from "../../lib/beacon/index.ts";
import { openUdp } from "../../lib/net/index.ts";
import { VERSION } from "../../lib/version.ts";
import type { MembershipEvent } from "../../lib/beacon/index.ts";
import { ensureBuilt, freeUdpPort, spawn } from "../_bin.ts";
import { LineReader } from "../_lines.ts";

let disco = "";
const dir = mkdtempSync(join(tmpdir(), "disco-hosts-"));

function sealedConfig(name: string, key: string): string {
  const file = join(dir, `${name}.toml`);
  writeFileSync(file, `[host]\nname = "${name}"\n[discovery]\nkey = "${key}"\n[services]\nhttp = { port = 8080 }\n[metrics]\nenabled = true\n[beacon]\nformat = "json"\nbroadcast = ["127.255.255.255"]\n`);
  return file;
}

describe("disco hosts (compiled binary, loopback)", () => {
  before(() => {
    disco = ensureBuilt();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("--watch piped prints NDJSON join and leave for a sealed rich beacon; strangers stay out", async () => {
    const port = await freeUdpPort();
    const key = encodeKey(generateKey());
    const watchCfg = sealedConfig("watcher", key);
    await using w = spawn([disco, "hosts", "--watch", "-c", watchCfg, "--port", String(port), "--delay", "1", "--debug"]);
    const err = new LineReader(w.proc.stderr);
    await err.nextLine((l) => l.startsWith("listening"), { timeoutMs: 10_000, what: "the watcher to listen" });
    const events = new LineReader(w.proc.stdout);
    await using stranger = spawn([disco, "hosts", "--watch", "--announce", "-c", sealedConfig("stranger", encodeKey(generateKey())), "--port", String(port), "--delay", "1"]);
    await using plain = spawn([disco, "broadcast", "--send", "--to", "127.255.255.255", "--name", "plain", "--port", String(port), "--delay", "1"]);
    await using a = spawn([disco, "hosts", "--watch", "--announce", "-c", sealedConfig("member", key), "--port", String(port), "--delay", "1"]);
    const joined = JSON.parse(await events.nextLine((l) => l.includes('"join"'), { timeoutMs: 10_000, what: "a join" })) as MembershipEvent;
    assert.equal(joined.host.host, "member");
    assert.equal(joined.host.source, "disco-json");
    assert.equal(joined.host.state, "alive");
    assert.equal(joined.host.intervalMs, 1000);
    assert.deepEqual(joined.host.services, { http: { port: 8080 } });
    assert.equal(joined.host.metricsEndpoint, "tcp://*:9000", "the proxy backend; receivers put the source address in");
    assert.equal(joined.host.version, VERSION);
    assert.ok(joined.host.addresses.includes("127.0.0.1"));
    await err.waitText((t) => t.includes(": unknown-key (") && t.includes(": unsealed ("), { timeoutMs: 5000, what: "the stranger's and the plain beacons dropped" });
    const t0 = performance.now();
    a.proc.kill("SIGTERM");
    const left = JSON.parse(await events.nextLine((l) => l.includes('"leave"'), { timeoutMs: 5000, what: "a leave" })) as MembershipEvent;
    assert.equal(left.host.host, "member");
    assert.ok(performance.now() - t0 < 1000, `leave took ${Math.round(performance.now() - t0)} ms`);
    assert.equal(await a.proc.exited, 0);
    assert.ok(!events.text.includes('"stranger"') && !events.text.includes('"plain"'), "no event for strangers");
    void stranger;
    void plain;
  });

  it("shows py-vault-multicast announcements (multicast on loopback) and never runs hooks (only the daemon does)", async () => {
    const port = await freeUdpPort();
    const vaultPort = await freeUdpPort();
    const cfg = join(dir, "vault.toml");
    writeFileSync(cfg, `[beacon.vault]\nenabled = true\ngroup = "239.77.1.1"\nport = ${vaultPort}\ninterface = "127.0.0.1"\n[[beacon.hooks]]\ncommand = 'echo "hook $DISCO_EVENT $DISCO_HOST $DISCO_SOURCE $DISCO_SERVICES" >&2'\nevents = ["join"]\ntimeout = "5s"\n`);
    await using w = spawn([disco, "hosts", "--watch", "--json", "-c", cfg, "--port", String(port), "--debug"]);
    const err = new LineReader(w.proc.stderr);
    await err.nextLine((l) => l.startsWith("listening"), { timeoutMs: 10_000, what: "the watcher to listen" });
    await using s = await openUdp({ address: "127.0.0.1", multicastInterface: "127.0.0.1" });
    const ann = encodeVaultAnnouncement({ type: "vault", name: "vault-1", addr: "127.0.0.1:8200", version: "1.15.2", timestamp: 1700000000 });
    await s.send(ann, vaultPort, "239.77.1.1");
    const e = JSON.parse(await new LineReader(w.proc.stdout).nextLine((l) => l.includes('"join"'), { timeoutMs: 5000, what: "a join" })) as MembershipEvent;
    assert.equal(e.host.source, "vault-multicast");
    assert.deepEqual(e.host.services, { "vault-1": { type: "vault", addr: "127.0.0.1:8200", version: "1.15.2" } });
    // A hook would have been started at the join, and a command waits for its hooks before it exits.
    w.proc.kill("SIGTERM");
    assert.equal(await w.proc.exited, 0);
    await err.waitText(() => err.ended, { what: "the end of stderr" });
    assert.ok(!err.text.includes("hook "), err.text);
  });

  it("one-shot --json lists the hosts heard in one round; --stats adds counters", async () => {
    const port = await freeUdpPort();
    await using s = spawn([disco, "broadcast", "--send", "--to", "127.255.255.255", "--name", "once", "--port", String(port), "--delay", "0.2"]);
    const p = Bun.spawn([disco, "hosts", "--json", "--stats", "--port", String(port), "--delay", "0.2", "--timeout", "1.5"], { stdout: "pipe", stderr: "pipe" });
    assert.equal(await p.exited, 0, await new Response(p.stderr).text());
    const out = JSON.parse(await new Response(p.stdout).text()) as { hosts: { host: string; state: string }[]; stats: { packetsReceived: number; activeHosts: number } };
    assert.deepEqual(out.hosts.map((h) => [h.host, h.state]), [["once", "alive"]]);
    assert.ok(out.stats.packetsReceived >= 2);
    assert.equal(out.stats.activeHosts, 1);
    void s;
  });

  it("--watch on a terminal redraws the table in place", async () => {
    const port = await freeUdpPort();
    const cmd = `exec ${disco} hosts --watch --port ${port} --delay 1 --stats`;
    await using pty = spawn(["script", "-q", "-f", "-e", "-c", cmd, "/dev/null"]);
    const out = new LineReader(pty.proc.stdout);
    await using s = spawn([disco, "broadcast", "--send", "--to", "127.255.255.255", "--name", "tty-host", "--port", String(port), "--delay", "1"]);
    // Two redraws that each show the host: the screen is redrawn, not appended to.
    // A frame arrives in several writes: count only frames that are complete (their counters, below the
    // table, have arrived too), and look at the last complete one.
    const complete = (t: string) => t.split("\x1b[H").filter((frame) => frame.includes("tty-host") && frame.includes("packets received"));
    await out.waitText((t) => complete(t).length >= 2, { timeoutMs: 10_000, what: "two complete frames showing tty-host" });
    assert.ok(out.text.includes("\x1b[2J"), "clears the screen first");
    assert.ok(out.text.includes("\x1b[J"), "clears what is left below each frame");
    const last = complete(out.text).at(-1)!;
    assert.equal(last.split("HOST").length - 1, 1, "one header per frame");
    assert.match(last, /tty-host\s+127\.0\.0\.1\s+\x1b\[32malive\x1b\[0m/, "the state coloured (green)");
    assert.match(last, /packets received/);
    assert.ok(!out.text.includes('"type":"join"'), "no NDJSON on a terminal");
    // End the child of `script` by its PID.
    const children = readFileSync(`/proc/${pty.proc.pid}/task/${pty.proc.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    for (const pid of children) process.kill(pid, "SIGTERM");
    assert.equal(await pty.proc.exited, 0);
    void s;
  });
});
