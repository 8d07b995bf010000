import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import type { MembershipEvent } from "../../lib/beacon/index.ts";
import { ensureBuilt } from "../_bin.ts";
import { LineReader } from "../_lines.ts";
import { createLan, netnsUnavailable, type LanHost } from "./_netns.ts";

const skip = netnsUnavailable();
const INTERVAL_MS = 1000;
const DEVICES = 5;

/** A hand-made disco.py sender: `HOST <name> <seconds>` to the LAN broadcast every 0.5 s. */
const PY_SENDER = `
  const s = require("node:dgram").createSocket("udp4");
  s.bind(0, () => {
    s.setBroadcast(true);
    const tick = () => s.send("HOST py-dev " + Math.floor(Date.now() / 1000), 9000, "10.77.0.255");
    tick();
    setInterval(tick, 500);
  });`;

interface Device {
  readonly name: string;
  readonly host: LanHost;
  proc: ReturnType<LanHost["spawn"]>;
  events: LineReader;
}

describe("beacons on a LAN of namespaces (compiled binary, 1 s interval)", { skip }, () => {
  let disco = "";
  before(() => {
    disco = ensureBuilt();
  });

  it("converges, detects kill -9 as failed, SIGTERM as leave, and restarts without duplicates", async () => {
    await using lan = await createLan(DEVICES + 1);
    const start = (d: { name: string; host: LanHost }, i: number): Device => {
      const proc = d.host.spawn([disco, "hosts", "--watch", "--json", "--announce", "--name", d.name, "--to", lan.broadcast, "--delay", "1", "--format", i % 2 === 0 ? "disco.py" : "json"]);
      return { ...d, proc, events: new LineReader(proc.stdout) };
    };
    const devices: Device[] = lan.hosts.slice(0, DEVICES).map((host, i) => start({ name: `dev${i}`, host }, i));
    lan.hosts[DEVICES]!.spawn([process.execPath, "-e", PY_SENDER]);

    const next = async (d: Device, pred: (e: MembershipEvent) => boolean, timeoutMs: number, what: string): Promise<MembershipEvent> =>
      JSON.parse(await d.events.nextLine((l) => pred(JSON.parse(l) as MembershipEvent), { timeoutMs, what: `${d.name}: ${what}` })) as MembershipEvent;

    // Convergence: every table holds all 5 devices and the disco.py sender.
    const all = [...devices.map((d) => d.name), "py-dev"].sort();
    await Promise.all(
      devices.map(async (d) => {
        const seen = new Set<string>();
        while (seen.size < all.length) seen.add((await next(d, (e) => e.type === "join", 6000, `joins of ${all.join(",")}`)).host.host);
        assert.deepEqual([...seen].sort(), all);
      }),
    );
    const py = devices[0]!.events.text.split("\n").find((l) => l.includes('"py-dev"'));
    assert.match(py ?? "", /"source":"disco.py"/);

    // kill -9: no goodbye, so the others mark it failed within 3 intervals (+ the 100 ms ticker).
    const victim = devices[4]!;
    const observers = devices.slice(0, 3);
    const killedAt = performance.now();
    victim.proc.kill("SIGKILL");
    await Promise.all(
      observers.map(async (d) => {
        const e = await next(d, (e) => e.host.host === victim.name && e.type === "failed", 3 * INTERVAL_MS + 1000, "failed of the killed device");
        const took = performance.now() - killedAt;
        assert.ok(took <= 3 * INTERVAL_MS + 250, `${d.name} took ${Math.round(took)} ms to mark ${victim.name} failed`);
        assert.equal(e.host.state, "failed");
      }),
    );

    // SIGTERM: a goodbye, so the others see leave within 1 s.
    const leaver = devices[3]!;
    const termAt = performance.now();
    leaver.proc.kill("SIGTERM");
    await Promise.all(
      observers.map(async (d) => {
        await next(d, (e) => e.host.host === leaver.name && e.type === "leave", 1000, "leave of the stopped device");
        assert.ok(performance.now() - termAt < 1000);
      }),
    );
    assert.equal(await leaver.proc.exited, 0);

    // Restarts: each comes back as one join (a failed or departed host), never a second row.
    devices[3] = start({ name: leaver.name, host: leaver.host }, 3);
    devices[4] = start({ name: victim.name, host: victim.host }, 4);
    await Promise.all(
      observers.map(async (d) => {
        const back = new Set<string>();
        while (back.size < 2) {
          const e = await next(d, (e) => e.host.host === leaver.name || e.host.host === victim.name, 4000, "the restarted devices");
          assert.equal(e.type, "join", `${d.name}: ${e.type} ${e.host.host}`);
          assert.ok(!back.has(e.host.host), `${d.name}: two joins for ${e.host.host}`);
          back.add(e.host.host);
        }
      }),
    );
    // A fresh one-shot listener on dev0 (a second socket on port 9000: SO_REUSEADDR) sees one row per host.
    const once = devices[0]!.host.exec([disco, "hosts", "--json", "--delay", "1", "--timeout", "1.6"]);
    assert.equal(once.exitCode, 0, once.stderr);
    const rows = (JSON.parse(once.stdout) as { hosts: { host: string; state: string }[] }).hosts.map((h) => h.host);
    assert.deepEqual(rows, all, "exactly one row per host");
    for (const d of devices) assert.equal(d.proc.exitCode, null, `${d.name} is still running`);
  });
});
