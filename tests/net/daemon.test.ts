/**
 * The daemon on a LAN of namespaces (compiled binary): reloads that change [services] are one `update` on a
 * peer — never a leave and a join — and a reload onto a port another process holds is refused while the
 * daemon keeps answering discovery on its old port; stopping it is one `leave` (the goodbye).
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MembershipEvent } from "../../lib/beacon/index.ts";
import { encodeKey, generateKey } from "../../lib/crypto/index.ts";
import { ensureBuilt } from "../_bin.ts";
import { LineReader } from "../_lines.ts";
import { createLan, netnsUnavailable } from "./_netns.ts";

const skip = netnsUnavailable();
const dir = mkdtempSync(join(tmpdir(), "disco-net-daemon-"));
const key = encodeKey(generateKey());

function config(services: string, discoveryPort = 40000, interval = "0.5"): string {
  return `[host]
name = "dev-a"
[daemon]
control_socket = "${dir}/a.sock"
state_directory = "${dir}/state-a"
[discovery]
magic = "lan"
key = "${key}"
port = ${discoveryPort}
[beacon]
enabled = true
interfaces = ["eth0"]
interval = ${interval}
format = "json"
[services]
${services}
`;
}

describe("disco run on a LAN of namespaces", { skip }, () => {
  let disco = "";
  before(() => {
    disco = ensureBuilt();
  });

  it("reloads that change services are one update each on a peer; a reload onto a taken port is refused and the daemon keeps answering", async () => {
    await using lan = await createLan(2);
    const [a, b] = [lan.hosts[0]!, lan.hosts[1]!];
    const fileA = join(dir, "a.toml");
    writeFileSync(fileA, config('web = "v0"'));
    const fileB = join(dir, "b.toml");
    writeFileSync(fileB, `[discovery]\nmagic = "lan"\nkey = "${key}"\n[beacon]\nformat = "json"\n`);
    const daemon = a.spawn([disco, "run", "-c", fileA]);
    const log = new LineReader(daemon.stderr);
    await log.waitFor(/running discovery, beacons \(generation 1\)/);
    const watcher = b.spawn([disco, "hosts", "--listen", "--watch", "--json", "--delay", "0.5", "-c", fileB]);
    const events = new LineReader(watcher.stdout);
    const seen: MembershipEvent[] = [];
    const next = async (pred: (e: MembershipEvent) => boolean, what: string) => {
      const line = await events.nextLine((l) => pred(JSON.parse(l) as MembershipEvent), { timeoutMs: 10_000, what });
      return JSON.parse(line) as MembershipEvent;
    };
    const join1 = await next((e) => e.host.host === "dev-a", "dev-a's join");
    assert.equal(join1.type, "join");
    assert.deepEqual(join1.host.services, { web: "v0" });

    for (let i = 1; i <= 5; i++) {
      writeFileSync(fileA, config(`web = "v${i}"`));
      const r = Bun.spawnSync([disco, "reload", "--socket", `${dir}/a.sock`], { stdout: "pipe", stderr: "pipe" });
      assert.deepEqual([r.exitCode, r.stdout.toString()], [0, `reloaded (generation ${i + 1})\n`], r.stderr.toString());
      const e = await next((x) => x.host.host === "dev-a" && (x.type !== "update" || (x.host.services as { web?: string } | undefined)?.web === `v${i}`), `the update to v${i}`);
      seen.push(e);
    }
    assert.deepEqual(seen.map((e) => e.type), ["update", "update", "update", "update", "update"], "never a leave and a join");

    // A new interval replaces the beacon task: the successor continues the boot id and sequence.
    writeFileSync(fileA, config('web = "v5"', 40000, "0.6"));
    const r = Bun.spawnSync([disco, "reload", "--socket", `${dir}/a.sock`], { stdout: "pipe", stderr: "pipe" });
    assert.equal(r.exitCode, 0, r.stderr.toString());
    await log.waitFor(/reloaded \(generation 7\): replaced beacons/);
    const replaced = await next((x) => x.host.host === "dev-a" && (x.type !== "update" || x.host.intervalMs === 600), "the update to a 600 ms interval");
    assert.equal(replaced.type, "update");

    // Another process in dev-a's namespace holds UDP 40001; the new config asks for it.
    const holder = a.spawn(["python3", "-c", "import socket,time; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 40001)); print('bound', flush=True); time.sleep(3600)"]);
    await new LineReader(holder.stdout).waitFor(/^bound$/);
    writeFileSync(fileA, config('web = "v9"', 40001, "0.6"));
    const refused = Bun.spawnSync([disco, "reload", "--socket", `${dir}/a.sock`], { stdout: "pipe", stderr: "pipe" });
    assert.equal(refused.exitCode, 2);
    assert.match(refused.stderr.toString(), /refused, generation 7 keeps running:\n {2}discovery: cannot bind UDP 0\.0\.0\.0:40001: EADDRINUSE \(address in use\)/);
    const keyFile = join(dir, "key");
    writeFileSync(keyFile, `${key}\n`);
    const asked = b.exec([disco, "client", "-m", "lan", "--key-file", keyFile, "--to", a.ip, "-p", "40000", "-t", "2", "--json"]);
    assert.equal(asked.exitCode, 0, asked.stderr);
    const hosts = (JSON.parse(asked.stdout) as { hosts: { host: string; services: unknown }[] }).hosts;
    assert.deepEqual(hosts.map((h) => [h.host, h.services]), [["dev-a", { web: "v5" }]], "the old generation answers on the old port");

    daemon.kill("SIGTERM");
    assert.equal(await daemon.exited, 0);
    const bye = await next((e) => e.host.host === "dev-a" && e.type !== "update", "dev-a's leave");
    assert.equal(bye.type, "leave", "the goodbye");
  });
});
