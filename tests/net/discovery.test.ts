import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt } from "../_bin.ts";
import { LineReader } from "../_lines.ts";
import { createLan, netnsUnavailable } from "./_netns.ts";

const skip = netnsUnavailable();

describe("discovery on a LAN of network namespaces", { skip }, () => {
  let disco = "";
  const tmp = mkdtempSync(join(tmpdir(), "disco-net-disc-"));
  let key = "";
  before(() => {
    disco = ensureBuilt();
    key = join(tmp, "key");
    writeFileSync(key, Bun.spawnSync([disco, "keygen"]).stdout.toString());
  });

  it("one client lists all 5 servers with their own [services], every run; a server on another magic stays invisible", async () => {
    await using lan = await createLan(7);
    const [clientHost, ...others] = lan.hosts;
    const started = [];
    for (let i = 0; i < 6; i++) {
      const cfg = join(tmp, `dev${i}.toml`);
      const magic = i === 5 ? "another-magic" : "lan";
      writeFileSync(cfg, `[host]\nname = "dev-${i}"\n[discovery]\nmagic = "${magic}"\nkey_file = "${key}"\nport = 40000\n[services]\nrole = "role-${i}"\nhttp = "http://10.77.0.${i + 2}:${8000 + i}/"\n`);
      const p = others[i]!.spawn([disco, "server", "-c", cfg]);
      started.push(new LineReader(p.stderr).waitFor(/listening on 0\.0\.0\.0:40000/));
    }
    await Promise.all(started);
    for (let run = 0; run < 3; run++) {
      const r = clientHost!.exec([disco, "client", "-i", "eth0", "-m", "lan", "--key-file", key, "-p", "40000", "-t", "700ms", "--json"]);
      assert.equal(r.exitCode, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as { hosts: { host: string; addresses: string[]; services: Record<string, string> }[]; queried: string[] };
      assert.deepEqual(doc.queried, ["10.77.0.255:40000"]);
      assert.deepEqual(doc.hosts.map((h) => h.host).sort(), ["dev-0", "dev-1", "dev-2", "dev-3", "dev-4"], `run ${run}`);
      for (const h of doc.hosts) {
        const i = Number(h.host.slice(4));
        assert.deepEqual(h.services, { role: `role-${i}`, http: `http://10.77.0.${i + 2}:${8000 + i}/` });
        assert.ok(h.addresses.includes(`10.77.0.${i + 2}`), `${h.host} reports its own address`);
      }
    }
    // The invisible server is found by a client on its own magic.
    const other = clientHost!.exec([disco, "client", "-i", "eth0", "-m", "another-magic", "--key-file", key, "-p", "40000", "-t", "500ms"]);
    assert.equal(other.exitCode, 0, other.stderr);
    assert.match(other.stdout, /^dev-5\s+/m);
    assert.ok(!/dev-[0-4]/.test(other.stdout));
  });
});

describe("discovery over a multicast group between namespaces", { skip }, () => {
  it("a server that joined multicast_group answers a client that queries the group", async () => {
    const disco = ensureBuilt();
    const tmp = mkdtempSync(join(tmpdir(), "disco-net-mc-"));
    await using lan = await createLan(2);
    const [c, s] = lan.hosts;
    const cfg = (name: string, ip: string) => {
      const p = join(tmp, `${name}.toml`);
      writeFileSync(p, `[host]\nname = "${name}"\n[discovery]\nmagic = "mc"\nport = 40000\nmulticast_group = "239.255.42.99"\nmulticast_interface = "${ip}"\n[services]\nvia = "multicast"\n`);
      return p;
    };
    const p = s!.spawn([disco, "server", "-c", cfg("mc-server", s!.ip)]);
    await new LineReader(p.stderr).waitFor(/listening on 0\.0\.0\.0:40000 and group 239\.255\.42\.99/);
    // Only the group: no broadcast target at all.
    const r = c!.exec([disco, "client", "-c", cfg("mc-client", c!.ip), "--to", "239.255.42.99", "-t", "500ms", "-v"]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stderr, /query sent to 239\.255\.42\.99:40000/);
    assert.match(r.stdout, /^mc-server\s.*via=multicast$/m);
  });
});
