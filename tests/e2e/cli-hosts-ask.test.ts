/**
 * `disco hosts --ask` (issue 10 #6) with the compiled binary on loopback: the beacon view (a disco.py host,
 * which announces no services or version) and one discovery round merged in one table. The config pins
 * the query to the loopback interface, so nothing leaves this machine.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeKey, generateKey } from "../../lib/crypto/index.ts";
import { VERSION } from "../../lib/version.ts";
import { DISCO, ensureBuilt, freeUdpPort, spawn } from "../_bin.ts";
import { LineReader } from "../_lines.ts";

const dir = mkdtempSync(join(tmpdir(), "disco-hosts-ask-"));

describe("disco hosts --ask (compiled binary, loopback)", () => {
  before(() => {
    ensureBuilt();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("merges the discovery answers (services, version) into the beacon view; a server without beacons gets its own row", { timeout: 30_000 }, async () => {
    const key = encodeKey(generateKey());
    const discoveryPort = await freeUdpPort();
    const file = join(dir, "srv.toml");
    writeFileSync(file, `[host]\nname = "srv"\n[discovery]\nkey = "${key}"\nport = ${discoveryPort}\n[services]\nweb = "http://srv/"\n`);
    await using server = spawn([DISCO, "server", "-c", file]);
    await new LineReader(server.proc.stderr).waitFor(/listening on/);
    const asker = join(dir, "asker.toml");
    writeFileSync(asker, `[discovery]\nkey = "${key}"\nport = ${discoveryPort}\ninterfaces = ["lo"]\ntimeout = "1s"\n`);

    /** `hosts --ask --json` while a disco.py beacon (name and time only) names `beaconName`. */
    const askWithBeacon = async (beaconName: string) => {
      const beaconPort = await freeUdpPort();
      const hosts = Bun.spawn([DISCO, "hosts", "--ask", "--json", "-c", asker, "--port", String(beaconPort), "--delay", "1", "--timeout", "2s"], { stdout: "pipe", stderr: "pipe" });
      const err = new LineReader(hosts.stderr);
      await err.waitFor(/listening for beacons/);
      const s = createSocket("udp4");
      await new Promise<void>((r) => s.bind(0, "127.0.0.1", () => r()));
      for (let i = 0; i < 3; i++) await new Promise<void>((r, j) => s.send(`HOST ${beaconName} ${Math.floor(Date.now() / 1000)}`, beaconPort, "127.0.0.1", (e) => (e ? j(e) : r())));
      s.close();
      assert.equal(await hosts.exited, 0, err.text);
      const doc = JSON.parse(await new Response(hosts.stdout).text()) as { hosts: { host: string; state: string; source?: string; version?: string; services?: Record<string, string>; answer?: { rttMs: number } }[] };
      return new Map(doc.hosts.map((h) => [h.host, h]));
    };

    const merged = (await askWithBeacon("srv")).get("srv");
    assert.equal(merged?.state, "alive");
    assert.equal(merged?.source, "disco.py");
    assert.equal(merged?.version, VERSION, "the version comes from the answer");
    assert.deepEqual(merged?.services, { web: "http://srv/" });
    assert.ok(merged?.answer && merged.answer.rttMs >= 0);

    const apart = await askWithBeacon("other");
    assert.equal(apart.get("srv")?.state, "answered");
    assert.equal(apart.get("srv")?.source, undefined);
    assert.deepEqual(apart.get("srv")?.services, { web: "http://srv/" });
    assert.equal(apart.get("other")?.state, "alive");
    assert.equal(apart.get("other")?.version, undefined);
  });
});
