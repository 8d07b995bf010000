import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeVaultAnnouncement } from "../../lib/beacon/index.ts";
import { encodeKey, generateKey } from "../../lib/crypto/index.ts";
import { openUdp } from "../../lib/net/index.ts";
import { LineReader } from "../_lines.ts";
import { ensureBuilt, freeUdpPort, spawn } from "../_bin.ts";

let disco = "";
const dir = mkdtempSync(join(tmpdir(), "disco-run-"));
const key = encodeKey(generateKey());

function config(discoveryPort: number, beaconPort: number, services: string): string {
  return `[host]
name = "daemon-1"

[daemon]
state_directory = "${dir}/state"
control_socket = "${dir}/disco.sock"

[discovery]
magic = "run-test"
key = "${key}"
port = ${discoveryPort}
listen = "127.0.0.1"

[beacon]
enabled = true
port = ${beaconPort}
broadcast = ["127.255.255.255"]
interval = 1
format = "json"

[services]
${services}
`;
}

/** Asks the daemon over discovery and returns its answer's services. */
function ask(port: number): Record<string, unknown> {
  const keyFile = join(dir, "key");
  writeFileSync(keyFile, `${key}\n`);
  const p = Bun.spawnSync([disco, "client", "-m", "run-test", "--key-file", keyFile, "--to", "127.0.0.1", "-p", String(port), "-t", "1", "--json"], { stdout: "pipe", stderr: "pipe" });
  assert.equal(p.exitCode, 0, p.stderr.toString());
  const doc = JSON.parse(p.stdout.toString()) as { hosts: { host: string; services: Record<string, unknown> }[] };
  assert.equal(doc.hosts.length, 1);
  assert.equal(doc.hosts[0]!.host, "daemon-1");
  return doc.hosts[0]!.services;
}

/** Asks until the answer satisfies `ok` (the description is cached for a second), at most 5 s. */
async function askUntil(port: number, ok: (services: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  const deadline = performance.now() + 5000;
  for (;;) {
    const services = ask(port);
    if (ok(services) || performance.now() > deadline) return services;
  }
}

describe("disco run (compiled binary)", () => {
  before(() => {
    disco = ensureBuilt();
  });

  it("answers discovery and beacons; SIGHUP reloads a good config and keeps the old one on a bad config; SIGTERM stops it", async () => {
    const discoveryPort = await freeUdpPort();
    const beaconPort = await freeUdpPort();
    const file = join(dir, "disco.toml");
    writeFileSync(file, config(discoveryPort, beaconPort, 'web = "http://one"'));
    await using daemon = spawn([disco, "run", "-c", file]);
    await using err = new LineReader(daemon.proc.stderr);
    await err.waitFor(/discovery: answering on 127\.0\.0\.1:\d+ \(sealed\); listen = 127\.0\.0\.1 on lo only: unicast to it and broadcasts to 127\.255\.255\.255/);
    await err.waitFor(/beacons: join daemon-1 \(127\.0\.0\.1\)/, { what: "its own sealed beacon heard back" });
    assert.deepEqual(ask(discoveryPort), { web: "http://one" });

    writeFileSync(file, config(discoveryPort, beaconPort, 'web = "http://two"'));
    daemon.proc.kill("SIGHUP");
    await err.waitFor(/reloaded \(generation 2\): updated discovery, beacons in place/);
    // The responder re-reads its description at most once a second.
    assert.deepEqual(await askUntil(discoveryPort, (s) => s["web"] === "http://two"), { web: "http://two" });

    writeFileSync(file, config(discoveryPort, beaconPort, 'web = "http://three"').replace(`port = ${discoveryPort}`, 'port = "nope"'));
    daemon.proc.kill("SIGHUP");
    await err.waitFor(/reload refused, generation 2 keeps running: .*disco\.toml:\d+: discovery\.port: expected a whole number/);
    assert.deepEqual(ask(discoveryPort), { web: "http://two" }, "the old config keeps answering");

    daemon.proc.kill("SIGTERM");
    assert.equal(await daemon.proc.exited, 0);
  });

  it("runs [beacon] hooks with DISCO_* variables (the daemon, and only the daemon, runs them)", async () => {
    const port = await freeUdpPort();
    const vaultPort = await freeUdpPort();
    const file = join(dir, "hooks.toml");
    writeFileSync(
      file,
      `[daemon]\nstate_directory = "${dir}/state"\ncontrol_socket = "${dir}/hooks.sock"\n[discovery]\nenabled = false\n[beacon]\nenabled = true\nport = ${port}\nbroadcast = ["127.255.255.255"]\n` +
        `[beacon.vault]\nenabled = true\ngroup = "239.77.1.2"\nport = ${vaultPort}\ninterface = "127.0.0.1"\n` +
        `[[beacon.hooks]]\ncommand = 'echo "hook $DISCO_EVENT $DISCO_HOST $DISCO_SOURCE $DISCO_SERVICES" >&2'\nevents = ["join"]\ntimeout = "5s"\n`,
    );
    await using daemon = spawn([disco, "run", "-c", file]);
    await using err = new LineReader(daemon.proc.stderr);
    await err.waitFor(/running beacons/);
    await using s = await openUdp({ address: "127.0.0.1", multicastInterface: "127.0.0.1" });
    await s.send(encodeVaultAnnouncement({ type: "vault", name: "vault-1", addr: "127.0.0.1:8200", version: "1.15.2", timestamp: 1700000000 }), vaultPort, "239.77.1.2");
    const hook = await err.waitFor(/^hook join 127\.0\.0\.1 /, { what: "the hook's output" });
    assert.equal(hook.line, 'hook join 127.0.0.1 vault-multicast {"vault-1":{"type":"vault","addr":"127.0.0.1:8200","version":"1.15.2"}}');
    daemon.proc.kill("SIGTERM");
    assert.equal(await daemon.proc.exited, 0);
  });

  it("refuses a config with problems at start, with exit 2 and the line", async () => {
    const file = join(dir, "bad.toml");
    writeFileSync(file, "[beacon]\nenabled = 1\n");
    const p = Bun.spawnSync([disco, "run", "-c", file], { stdout: "pipe", stderr: "pipe" });
    assert.equal(p.exitCode, 2);
    assert.match(p.stderr.toString(), /bad\.toml:2: beacon\.enabled: expected true or false, got 1/);
  });

  it("refuses a config that enables nothing, with exit 2", () => {
    const file = join(dir, "nothing.toml");
    writeFileSync(file, "[discovery]\nenabled = false\n");
    const p = Bun.spawnSync([disco, "run", "-c", file], { stdout: "pipe", stderr: "pipe" });
    assert.equal(p.exitCode, 2);
    assert.match(p.stderr.toString(), /nothing\.toml: the config enables nothing/);
  });

  it("retries a task whose port is taken, logging each failure, and exits 1 when it keeps failing", async () => {
    const port = await freeUdpPort();
    const blocker = Bun.spawn([disco, "server", "-l", "127.0.0.1", "-p", String(port), "-m", "x"], { stdout: "pipe", stderr: "pipe" });
    try {
      await using out = new LineReader(blocker.stderr);
      await out.waitFor(/listening on/);
      const file = join(dir, "busy.toml");
      writeFileSync(file, `[daemon]\nstate_directory = "${dir}/state"\ncontrol_socket = "${dir}/busy.sock"\n[discovery]\nport = ${port}\nlisten = "127.0.0.1"\n`);
      // 1 + 2 + 4 + 8 s of backoff: the fifth failure in a row gives up.
      const p = Bun.spawnSync([disco, "run", "-c", file], { stdout: "pipe", stderr: "pipe", timeout: 40_000 });
      const text = p.stderr.toString();
      assert.equal(p.exitCode, 1, text);
      assert.equal(text.match(/discovery: cannot bind UDP 127\.0\.0\.1:\d+: EADDRINUSE \(address in use\)(?: \(\d failures in a row\))?; next attempt in/g)?.length, 5, text);
      assert.match(text, /every task failed 5 times in a row \(discovery: cannot bind/);
      // In order: the fifth failure, the daemon giving up, and the line that says it stopped.
      const lines = text.trim().split("\n");
      assert.match(lines.at(-3) ?? "", /discovery: cannot bind .*\(5 failures in a row\); next attempt in/, text);
      assert.match(lines.at(-2) ?? "", /giving up: every task failed 5 times in a row/, text);
      assert.match(lines.at(-1) ?? "", /stopped \(exit 1\): every task kept failing/, text);
    } finally {
      blocker.kill("SIGKILL");
      await blocker.exited;
    }
  });
});
