/**
 * `disco gpio --host` and `disco query` end to end with the compiled binary on loopback (unicast to
 * 127.0.0.1; the namespace tests cover broadcast): usage errors, missing keys on either side, a target that
 * never answers, queries that hang or fail, and remote watch through the target's metrics stream.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, freeUdpPort, spawn } from "../_bin.ts";
import { LineReader } from "../_lines.ts";
import { createSysfsTree } from "../gpio/_sysfs-tree.ts";

const DISCO = ensureBuilt();
const tmp = mkdtempSync(join(tmpdir(), "disco-e2e-ctl-"));
const KEY = join(tmp, "key");
writeFileSync(KEY, Bun.spawnSync([DISCO, "keygen"]).stdout.toString());

function run(args: string[]): { code: number; out: string; err: string } {
  const p = Bun.spawnSync([DISCO, ...args], { stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode ?? 1, out: p.stdout.toString(), err: p.stderr.toString() };
}

/** A disco-server on 127.0.0.1 with [control] on a free port; returns the port and its log. */
async function server(name: string, body: string, options: { key?: boolean } = {}) {
  const port = await freeUdpPort();
  const cfg = join(tmp, `${name}.toml`);
  writeFileSync(cfg, `[host]\nname = "${name}"\n[discovery]\nmagic = "e2e"\nport = ${await freeUdpPort()}\n${options.key === false ? "" : `key_file = "${KEY}"\n`}[control]\nport = ${port}\n${body}`);
  const s = spawn([DISCO, "server", "-c", cfg, "-l", "127.0.0.1", "-v"]);
  const log = new LineReader(s.proc.stderr);
  await log.waitFor(/control: listening on 127\.0\.0\.1:/);
  return { port, log, s, cfg };
}

const client = (port: number, ...args: string[]) => ["-m", "e2e", "--key-file", KEY, "--host", `127.0.0.1:${port}`, ...args];

describe("disco query / disco gpio --host (compiled binary)", () => {
  it("--help teaches --host and the query flags; bad usage exits 2 before anything is sent", () => {
    const q = run(["query", "--help"]);
    assert.equal(q.code, 0);
    assert.match(q.out, /disco query uptime --host pi-2/);
    assert.match(q.out, /DISCO_QUERY_PAYLOAD/);
    const g = run(["gpio", "--help"]);
    assert.match(g.out, /--host HOST info \| get NAME \| set NAME VALUE \| watch/);
    assert.equal(run(["query"]).code, 2);
    assert.match(run(["query", "bad name!"]).err, /not a query name/);
    assert.match(run(["query", "x", "a", "b"]).err, /at most one payload/);
    assert.match(run(["query", "x", "y".repeat(1025), "--key-file", KEY]).err, /at most 1024/);
    const v = run(["gpio", "--host", "127.0.0.1:9", "--key-file", KEY, "set", "pump", "2"]);
    assert.equal(v.code, 2);
    assert.match(v.err, /the value must be 0 or 1/);
    assert.match(run(["gpio", "--host", "127.0.0.1:9", "--key-file", KEY, "get"]).err, /get takes one line/);
  });

  it("without a key the client refuses at once; a target without a key says why", async () => {
    const noKey = run(["query", "x", "--host", "127.0.0.1:9", "-m", "e2e"]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.err, /never runs on an unsealed channel/);
    const t = await server("keyless", `[[query]]\nname = "x"\ncommand = ["true"]\n`, { key: false });
    await using _ = t.s;
    await t.log.waitFor(/NO KEY: every request is refused as unsealed/);
    const r = run(["query", ...client(t.port, "x")]);
    assert.equal(r.code, 1);
    assert.match(r.err, /the target has no key: remote control is only served on a sealed channel/);
  });

  it("a target that never answers: exit 1 after -t with what to check", async () => {
    const port = await freeUdpPort();
    const started = performance.now();
    const r = run(["gpio", ...client(port, "-t", "300ms", "get", "pump")]);
    assert.equal(r.code, 1);
    assert.ok(performance.now() - started < 5000);
    assert.match(r.err, new RegExp(`no answer from 127\\.0\\.0\\.1:${port} within 0\\.3s`));
    assert.match(r.err, /same magic \(-m\) and key/);
  });

  it("queries: exit code and output returned, a hang is killed at its timeout, an unknown name exits 2, output is cut and marked", async () => {
    const t = await server(
      "q",
      `[[query]]\nname = "exit3"\ncommand = "echo out; exit 3"\n[[query]]\nname = "hang"\ncommand = ["sleep", "30"]\ntimeout = "300ms"\n[[query]]\nname = "big"\ncommand = ["head", "-c", "100000", "/dev/zero"]\n[[query]]\nname = "echo"\ncommand = ["cat"]\n`,
    );
    await using _ = t.s;
    const e = run(["query", ...client(t.port, "exit3")]);
    assert.equal(e.code, 0, e.err);
    assert.match(e.out, /^== q \(127\.0\.0\.1\) exit 3, [\d.]+ ms\nout\n$/);
    const h = run(["query", ...client(t.port, "hang", "--json")]);
    assert.equal(h.code, 0, h.err);
    const hj = JSON.parse(h.out) as { answers: { exitCode: number | null; timedOut: boolean; host: string }[] };
    assert.deepEqual([hj.answers[0]!.host, hj.answers[0]!.exitCode, hj.answers[0]!.timedOut], ["q", null, true]);
    const u = run(["query", ...client(t.port, "nope")]);
    assert.equal(u.code, 2);
    assert.match(u.err, /no query 'nope' is declared on this host \(declared: exit3, hang, big, echo\) \[unknown-query\]/);
    const b = run(["query", ...client(t.port, "big")]);
    assert.equal(b.code, 0, b.err);
    assert.match(b.out, /\[output cut at 4096 of 100000 bytes\]/);
    const p = run(["query", ...client(t.port, "echo", "payload on stdin", "--json")]);
    assert.equal((JSON.parse(p.out) as { answers: { output: string }[] }).answers[0]!.output, "payload on stdin");
    await t.log.waitFor(/refused query from 127\.0\.0\.1:\d+ \(key [0-9a-f]{8}\): unknown-query/);
  });

  it("gpio --host watch follows the target's metrics stream (gpio.* values)", async () => {
    using tree = createSysfsTree();
    const frontend = `ipc://${tmp}/front`;
    await using proxy = spawn([DISCO, "metrics", "--proxy", "--frontend", frontend, "--backend", "tcp://127.0.0.1:0", "--debug"]);
    const proxyLog = new LineReader(proxy.proc.stderr);
    const line = (await proxyLog.waitFor(/^proxy: frontend (\S+) backend tcp:\/\/127\.0\.0\.1:(\d+)$/)).captures;
    const cfg = join(tmp, "watch.toml");
    writeFileSync(cfg, `[metrics]\nbackend = "tcp://127.0.0.1:${line[2]}"\n[gpio]\ndriver = "sysfs"\nsysfs_root = "${tree.root}"\n`);
    await using watcher = spawn([DISCO, "gpio", "-c", cfg, "--key-file", KEY, "--host", "127.0.0.1", "watch", "--json", "--count", "1", "-v"]);
    const out = new LineReader(watcher.proc.stdout);
    await new LineReader(watcher.proc.stderr).waitFor(/watching 127\.0\.0\.1:40001 through its metrics stream tcp:\/\/127\.0\.0\.1:\d+/);
    // The watcher's subscription reaches the proxy; --publish waits for it to come up the frontend.
    await proxyLog.waitFor(/^backend: SUB peer/);
    const pub = run(["metrics", "--publish", "gpio.door", "1", "--frontend", frontend, "--name", "pi-2"]);
    assert.equal(pub.code, 0, pub.err);
    const printed = out.waitFor(/"name":"door"/);
    const m = JSON.parse((await printed).line) as { name: string; value: number; host: string };
    assert.deepEqual([m.host, m.name, m.value], ["pi-2", "door", 1]);
    assert.equal(await watcher.proc.exited, 0);
  });
});
