/**
 * Issue 8, scope 7: a server or beacon receiver told to listen on one unicast address still hears the
 * broadcasts (and the multicast group) of that address's interface, and answers from that address.
 * Compiled binary, on a LAN of network namespaces.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt } from "../_bin.ts";
import { LineReader } from "../_lines.ts";
import { createLan, netnsUnavailable } from "./_netns.ts";

const skip = netnsUnavailable();

describe("listen = <one unicast address> (compiled binary, namespaces)", { skip }, () => {
  let disco = "";
  const tmp = mkdtempSync(join(tmpdir(), "disco-net-listen-"));
  let key = "";
  before(() => {
    disco = ensureBuilt();
    key = join(tmp, "key");
    writeFileSync(key, Bun.spawnSync([disco, "keygen"]).stdout.toString());
  });

  it("a server with -l <its address> answers broadcast queries, from that address, and says what listen means", async () => {
    await using lan = await createLan(2);
    const [c, s] = lan.hosts;
    const p = s!.spawn([disco, "server", "-l", s!.ip, "-p", "40000", "-m", "uni", "--key-file", key, "--name", "uni-server"]);
    const err = new LineReader(p.stderr);
    await err.waitFor(new RegExp(`listening on ${s!.ip.replace(/\./g, "\\.")}:40000 and broadcast 10\\.77\\.0\\.255 `));
    await err.waitFor(/listen = 10\.77\.0\.2 on eth0 only: unicast to it and broadcasts to 10\.77\.0\.255/);
    // The client asks only the broadcast address of its eth0.
    const r = c!.exec([disco, "client", "-i", "eth0", "-p", "40000", "-m", "uni", "--key-file", key, "-t", "700ms", "--json"]);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { queried: string[]; hosts: { host: string; addresses: string[] }[] };
    assert.deepEqual(doc.queried, ["10.77.0.255:40000"]);
    assert.deepEqual(doc.hosts.map((h) => h.host), ["uni-server"]);
    assert.deepEqual(doc.hosts[0]!.addresses, [s!.ip], "the answer came from the listen address (and names only it)");
  });

  it("a server with a unicast listen address and a multicast group answers queries to the group", async () => {
    await using lan = await createLan(2);
    const [c, s] = lan.hosts;
    const cfg = (name: string, ip: string, listen: string) => {
      const path = join(tmp, `${name}.toml`);
      writeFileSync(path, `[host]\nname = "${name}"\n[discovery]\nmagic = "mc-uni"\nport = 40000\nlisten = "${listen}"\nmulticast_group = "239.255.42.98"\nmulticast_interface = "${ip}"\n`);
      return path;
    };
    const p = s!.spawn([disco, "server", "-c", cfg("mc-uni-server", s!.ip, s!.ip)]);
    await new LineReader(p.stderr).waitFor(/listening on 10\.77\.0\.2:40000 and broadcast 10\.77\.0\.255 and group 239\.255\.42\.98/);
    const r = c!.exec([disco, "client", "-c", cfg("mc-uni-client", c!.ip, "0.0.0.0"), "--to", "239.255.42.98", "-t", "700ms", "--json"]);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { hosts: { host: string; addresses: string[] }[] };
    assert.deepEqual(doc.hosts.map((h) => h.host), ["mc-uni-server"]);
    assert.ok(doc.hosts[0]!.addresses.includes(s!.ip));
  });

  it("a beacon receiver with [beacon] listen = <its address> hears broadcast beacons", async () => {
    await using lan = await createLan(2);
    const [tx, rx] = lan.hosts;
    const cfg = join(tmp, "beacon-listen.toml");
    writeFileSync(cfg, `[beacon]\nlisten = "${rx!.ip}"\nport = 9000\n`);
    const receiver = rx!.spawn([disco, "broadcast", "--receive", "-c", cfg, "--debug"]);
    const out = new LineReader(receiver.stdout);
    await new LineReader(receiver.stderr).waitFor(/listening on UDP 9000/);
    tx!.spawn([disco, "broadcast", "--send", "--to", lan.broadcast, "--delay", "1", "--name", "bcast-sender"]);
    await out.waitFor(/Received broadcast from 10\.77\.0\.1 : HOST bcast-sender \d+/, { timeoutMs: 5000 });
  });

  it("the daemon's beacons with [beacon] listen = <its address> hear broadcast beacons too", async () => {
    await using lan = await createLan(2);
    const [tx, rx] = lan.hosts;
    const dir = mkdtempSync(join(tmp, "run-"));
    const cfg = join(dir, "disco.toml");
    writeFileSync(
      cfg,
      `[host]\nname = "uni-daemon"\n[discovery]\nenabled = false\n[beacon]\nenabled = true\nlisten = "${rx!.ip}"\nport = 9000\ninterval = "1s"\n` +
        `[daemon]\ncontrol_socket = "${dir}/disco.sock"\nstate_directory = "${dir}"\n`,
    );
    const daemon = rx!.spawn([disco, "run", "-c", cfg]);
    const err = new LineReader(daemon.stderr);
    await err.waitFor(/beacons: sending to .* and listening on port 9000/);
    tx!.spawn([disco, "broadcast", "--send", "--to", lan.broadcast, "--delay", "1", "--name", "bcast-sender"]);
    await err.waitFor(/beacons: join bcast-sender/, { timeoutMs: 5000 });
  });

  it("config check explains a unicast listen address", async () => {
    await using lan = await createLan(1);
    const [h] = lan.hosts;
    const cfg = join(tmp, "check.toml");
    writeFileSync(cfg, `[discovery]\nlisten = "${h!.ip}"\n[beacon]\nlisten = "10.77.0.200"\n`);
    const r = h!.exec([disco, "config", "check", "-c", cfg]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /note: discovery\.listen = 10\.77\.0\.1 on eth0 only: unicast to it and broadcasts to 10\.77\.0\.255/);
    assert.match(r.stdout, /note: beacon\.listen = 10\.77\.0\.200 is not an address of this host/);
  });
});
