/**
 * The daemon through its control socket, with the compiled binary on loopback: status, reload and hosts
 * answered by the running daemon; a refused reload (bad config, a port another process holds) leaves it
 * answering; a stale socket from a killed daemon does not stop the next start; garbage on the socket gets
 * an error; outputs-only GPIO over a sysfs temp tree holds its line; signals are logged, not fatal.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openUdp } from "../../lib/net/index.ts";
import type { DaemonStatus } from "../../lib/daemon/index.ts";
import { LineReader } from "../_lines.ts";
import { ensureBuilt, freeUdpPort, spawn } from "../_bin.ts";
import { createSysfsTree } from "../gpio/_sysfs-tree.ts";

let disco = "";
const dir = mkdtempSync(join(tmpdir(), "disco-control-e2e-"));
let n = 0;

interface Daemon {
  file: string;
  socket: string;
  discoveryPort: number;
  beaconPort: number;
}

function configText(d: Daemon, services = 'web = "http://one"', extra = ""): string {
  return `[host]
name = "ctl-${d.beaconPort}"
[daemon]
control_socket = "${d.socket}"
state_directory = "${dir}/state-${d.beaconPort}"
[discovery]
magic = "ctl"
port = ${d.discoveryPort}
listen = "127.0.0.1"
[beacon]
enabled = true
port = ${d.beaconPort}
broadcast = ["127.255.255.255"]
interval = 0.5
format = "json"
${extra}
[services]
${services}
`;
}

async function newDaemon(): Promise<Daemon> {
  const i = n++;
  const d = { file: join(dir, `d${i}.toml`), socket: join(dir, `d${i}.sock`), discoveryPort: await freeUdpPort(), beaconPort: await freeUdpPort() };
  writeFileSync(d.file, configText(d));
  return d;
}

function cli(args: string[]): { code: number; out: string; err: string } {
  const p = Bun.spawnSync([disco, ...args], { stdout: "pipe", stderr: "pipe", timeout: 30_000 });
  return { code: p.exitCode ?? -1, out: p.stdout.toString(), err: p.stderr.toString() };
}

function status(socket: string): DaemonStatus {
  const r = cli(["status", "--socket", socket, "--json"]);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as DaemonStatus;
}

describe("disco run: the control socket (compiled binary, loopback)", () => {
  before(() => {
    disco = ensureBuilt();
  });

  it("status, hosts and reload are answered by the daemon; refused reloads (bad config, a taken port) leave it running", async () => {
    const d = await newDaemon();
    await using daemon = spawn([disco, "run", "-c", d.file]);
    await using err = new LineReader(daemon.proc.stderr);
    await err.waitFor(/running discovery, beacons \(generation 1\); control socket/);
    await err.waitFor(/beacons: join ctl-/, { what: "its own beacon heard back" });
    assert.equal(statSync(d.socket).mode & 0o777, 0o660);

    const text = cli(["status", "-c", d.file]);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^disco \S+ on ctl-\d+, pid \d+, up \d+s/);
    assert.match(text.out, /config .*d\d\.toml, generation 1/);
    assert.match(text.out, /^ {2}discovery +running/m);
    assert.match(text.out, /^ {2}beacons +running/m);
    assert.match(text.out, /hosts: 1 alive, 0 suspect, 0 failed/);
    assert.match(text.out, /beacons +packetsSent=\d+/);

    const hosts = cli(["hosts", "-c", d.file, "--json"]);
    assert.equal(hosts.code, 0, hosts.err);
    assert.deepEqual((JSON.parse(hosts.out) as { hosts: { host: string; services: unknown }[] }).hosts.map((h) => [h.host, h.services]), [[`ctl-${d.beaconPort}`, { web: "http://one" }]]);
    assert.equal(hosts.err, "", "no fallback line when the daemon answers");

    writeFileSync(d.file, configText(d, 'web = "http://two"'));
    const ok = cli(["reload", "-c", d.file]);
    assert.deepEqual([ok.code, ok.out], [0, "reloaded (generation 2)\n"], ok.err);
    assert.deepEqual(status(d.socket).lastReload?.changes, { replaced: [], updated: ["discovery", "beacons"], started: [], stopped: [] });
    // -c names another file with the same socket: the daemon still reads its own, and says so.
    const other = join(dir, "other.toml");
    writeFileSync(other, configText(d, 'web = "http://two"'));
    const elsewhere = cli(["reload", "-c", other]);
    assert.equal(elsewhere.code, 0, elsewhere.err);
    assert.equal(elsewhere.err, `note: the daemon reads ${d.file}, not ${other} (-c only finds its socket)\n`);
    // [daemon] changes that wait for the next start are told to the one who asked, not only logged.
    writeFileSync(d.file, configText(d, 'web = "http://two"').replace(`state_directory = "${dir}/state-${d.beaconPort}"`, `state_directory = "${dir}/state2-${d.beaconPort}"`));
    const later = cli(["reload", "-c", d.file]);
    assert.equal(later.code, 0, later.err);
    assert.match(later.out, /^reloaded \(generation 4\)\nnote: \[daemon\] state_directory takes effect at the next start\n$/);
    writeFileSync(d.file, configText(d, 'web = "http://two"'));
    assert.equal(cli(["reload", "-c", d.file]).code, 0);

    writeFileSync(d.file, configText(d).replace("[beacon]\n", "[beacon]\nbogus = 1\n"));
    const bad = cli(["reload", "-c", d.file]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /refused, generation 5 keeps running:\n {2}.*d\d\.toml:\d+: beacon\.bogus: unknown key/);
    // Not TOML at all: -c still finds the daemon's socket in the file, and the daemon names the line.
    writeFileSync(d.file, `${configText(d)}[beacon\n`);
    const broken = cli(["reload", "-c", d.file]);
    assert.equal(broken.code, 2, broken.err);
    assert.match(broken.err, /refused, generation 5 keeps running:\n {2}.*d\d\.toml:\d+: /);

    // Another process holds the port the new config names.
    await using holder = await openUdp({ address: "127.0.0.1", port: 0 });
    writeFileSync(d.file, configText({ ...d, discoveryPort: holder.port }));
    const taken = cli(["reload", "-c", d.file]);
    assert.equal(taken.code, 2);
    assert.match(taken.err, /discovery: cannot bind UDP 127\.0\.0\.1:\d+: EADDRINUSE \(address in use\)/);
    const after = status(d.socket);
    assert.equal(after.generation, 5);
    assert.equal(after.lastReload?.ok, false);
    assert.deepEqual(after.tasks.map((t) => [t.name, t.state, t.restarts]), [["discovery", "running", 0], ["beacons", "running", 0]]);
    await err.waitFor(/reload refused, generation 5 keeps running: discovery: cannot bind/);
    const client = cli(["client", "-m", "ctl", "--to", "127.0.0.1", "-p", String(d.discoveryPort), "-t", "1", "--json"]);
    assert.equal(client.code, 0, client.err);
    assert.equal((JSON.parse(client.out) as { hosts: unknown[] }).hosts.length, 1, "the old responder still answers");

    daemon.proc.kill("SIGTERM");
    assert.equal(await daemon.proc.exited, 0);
    await err.waitFor(/stopping \(SIGTERM\), saying goodbye to peers/);
    assert.throws(() => statSync(d.socket), { code: "ENOENT" }, "the socket is removed on stop");
  });

  it("hosts --watch streams the daemon's events; without a daemon, commands say so in one line", async () => {
    const d = await newDaemon();
    const none = cli(["status", "--socket", d.socket]);
    assert.deepEqual([none.code, none.err], [1, `disco status: no daemon answers on ${d.socket}\n`]);
    assert.equal(cli(["reload", "--socket", d.socket]).code, 1);
    const fallback = cli(["hosts", "-c", d.file, "--json"]);
    assert.equal(fallback.code, 1, `it listened, and found nobody: ${fallback.err}`);
    assert.equal(fallback.err.split("\n")[0], `disco hosts: no daemon answers on ${d.socket}; listening for beacons here instead`);

    await using daemon = spawn([disco, "run", "-c", d.file]);
    await using err = new LineReader(daemon.proc.stderr);
    await err.waitFor(/beacons: join ctl-/);
    await using watch = spawn([disco, "hosts", "--watch", "--json", "--socket", d.socket]);
    await using out = new LineReader(watch.proc.stdout);
    const first = JSON.parse((await out.waitFor(/"type":"join"/)).line) as { host: { host: string } };
    assert.equal(first.host.host, `ctl-${d.beaconPort}`, "the hosts it knows come first");
    writeFileSync(d.file, configText(d, 'web = "http://two"'));
    assert.equal(cli(["reload", "--socket", d.socket]).code, 0);
    const update = JSON.parse((await out.waitFor(/"type":"update"/)).line) as { host: { services: unknown } };
    assert.deepEqual(update.host.services, { web: "http://two" });
    // A reload that turns beacons off: the hosts it heard are no longer heard, and fail as they would.
    writeFileSync(d.file, configText(d).replace("[beacon]\nenabled = true", "[beacon]\nenabled = false"));
    assert.equal(cli(["reload", "--socket", d.socket]).code, 0);
    await out.waitFor(/"type":"failed"/, { timeoutMs: 15_000, what: "the host fails once nobody beacons" });
    const hosts = cli(["hosts", "--socket", d.socket]);
    assert.match(hosts.out + hosts.err, /failed|runs no beacons/);
    assert.match(cli(["status", "--socket", d.socket]).out, /hosts: 0 alive, 0 suspect, 1 failed/);
  });

  it("a stale socket from a killed daemon does not stop the next start; garbage and hanging clients do not stop the daemon", async () => {
    const d = await newDaemon();
    {
      await using first = spawn([disco, "run", "-c", d.file]);
      await using err = new LineReader(first.proc.stderr);
      await err.waitFor(/control socket/);
      first.proc.kill("SIGKILL");
      await first.proc.exited;
    }
    assert.ok(statSync(d.socket).isSocket(), "kill -9 leaves the socket file");
    await using second = spawn([disco, "run", "-c", d.file]);
    await using err = new LineReader(second.proc.stderr);
    await err.waitFor(/control socket/);
    // A client that connects and never finishes a request, and one that sends garbage.
    const hanging = createConnection(d.socket);
    hanging.write('{"request":');
    const garbage = await new Promise<string>((resolve, reject) => {
      const s = createConnection(d.socket);
      let text = "";
      s.on("data", (c) => (text += c.toString()));
      s.on("error", reject);
      s.on("end", () => resolve(text));
      s.end("\u0000\u00ff not json\n");
    });
    assert.match(garbage, /^\{"ok":false,"error":\{"code":"malformed"/);
    assert.equal(status(d.socket).generation, 1, "still answering beside the hanging client");
    hanging.destroy();
  });

  it("outputs-only GPIO over a sysfs tree: the daemon stays up and holds the line until it stops", async () => {
    using tree = createSysfsTree();
    const socket = join(dir, "gpio.sock");
    const file = join(dir, "gpio.toml");
    writeFileSync(
      file,
      `[daemon]\ncontrol_socket = "${socket}"\nstate_directory = "${dir}/state-gpio"\n[discovery]\nenabled = false\n[gpio]\ndriver = "sysfs"\nsysfs_root = "${tree.root}"\n[[gpio.output]]\nname = "pump"\nline = 2\ninitial = 1\n`,
    );
    await using daemon = spawn([disco, "run", "-c", file]);
    await using err = new LineReader(daemon.proc.stderr);
    await err.waitFor(/gpio: 0 inputs, 1 outputs, 0 pwm through sysfs/);
    await err.waitFor(/running gpio/);
    const value = () => readFileSync(join(tree.lineDir(2), "value"), "utf8").trim();
    assert.equal(value(), "1");
    // Signals that used to end it silently: logged, and it keeps running.
    daemon.proc.kill("SIGUSR2");
    await err.waitFor(/SIGUSR2 ignored/);
    daemon.proc.kill("SIGUSR1");
    await err.waitFor(/status: gpio running, restarts 0/);
    const s = status(socket);
    assert.deepEqual(s.tasks.map((t) => [t.name, t.state, t.restarts]), [["gpio", "running", 0]]);
    assert.equal(value(), "1", "the output is still driven");
    assert.equal(daemon.proc.exitCode, null);
    // A reload that would lose a line is refused; the line stays driven.
    writeFileSync(file, readFileSync(file, "utf8") + "[[gpio.output]]\nname = \"fan\"\nline = 99\n");
    const refused = Bun.spawnSync([disco, "reload", "--socket", socket], { stdout: "pipe", stderr: "pipe", timeout: 30_000 });
    assert.equal(refused.exitCode, 2, refused.stderr.toString());
    assert.match(refused.stderr.toString(), /gpio: a declared line cannot be opened \(fan: .*99/);
    assert.equal(status(socket).generation, 1);
    assert.equal(value(), "1", "the running line is kept");
    daemon.proc.kill("SIGTERM");
    assert.equal(await daemon.proc.exited, 0);
    await err.waitFor(/stopping \(SIGTERM\)/);
  });
});
