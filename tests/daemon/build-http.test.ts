import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseConfig } from "../../lib/config/index.ts";
import { beaconsBuilder, httpBuilder, mqttBuilder, planReload, sameSlice, type DaemonInput } from "../../lib/daemon/index.ts";
import { Subscribers } from "../../lib/async/index.ts";
import type { DaemonContext, DaemonEvent, DaemonLogger } from "../../lib/daemon/index.ts";
import { fakeContext, memoryLogger } from "./_fakes.ts";

/** The fake context, with an event fan-out and a status (the http task reads both). */
function context(log: DaemonLogger = memoryLogger()): DaemonContext {
  const events = new Subscribers<DaemonEvent>();
  return { ...fakeContext(log), subscribe: (o) => events.subscribe(o), status: () => ({ version: "0", pid: 1, host: "shed", startedUnixMs: 0, uptimeMs: 0, generation: 1, tasks: [], hosts: { alive: 0, suspect: 0, failed: 0 } }) };
}

const input = (text: string): DaemonInput => ({ config: parseConfig(text), host: "shed", secrets: { rawKeys: [] } });

describe("httpBuilder and mqttBuilder", () => {
  it("are off without their tables, on with them", () => {
    assert.equal(httpBuilder.slice(input("")), undefined);
    assert.equal(mqttBuilder.slice(input("")), undefined);
    assert.notEqual(httpBuilder.slice(input("[http]\n")), undefined);
    assert.notEqual(mqttBuilder.slice(input('[mqtt]\nurl = "mqtt://127.0.0.1:1"\n')), undefined);
  });

  it("a changed listen restarts the server; the same listen conflicts (the old one stops first)", () => {
    const a = httpBuilder.slice(input('[http]\nlisten = "127.0.0.1:9180"\n'))!;
    const b = httpBuilder.slice(input('[http]\nlisten = "127.0.0.1:9181"\n'))!;
    const c = httpBuilder.slice(input('[http]\nlisten = "127.0.0.1:9180"\nmax_clients = 3\n'))!;
    assert.equal(httpBuilder.conflicts!(a, b), false);
    assert.equal(httpBuilder.conflicts!(a, c), true);
    const steps = planReload([httpBuilder], new Map([["http", a]]), new Map([["http", c]]));
    assert.equal(steps[0]!.action, "change");
  });

  it("an [http] key that does not change the announced URL leaves the MQTT and beacon slices as they are", () => {
    const mqtt = '[mqtt]\nurl = "mqtt://127.0.0.1:1"\n[beacon]\nenabled = true\n';
    const a = input(`${mqtt}[http]\nlisten = "0.0.0.0:9180"\ntoken_file = "/t"\n`);
    const b = input(`${mqtt}[http]\nlisten = "0.0.0.0:9180"\ntoken_file = "/t"\nmax_clients = 3\n`);
    const moved = input(`${mqtt}[http]\nlisten = "0.0.0.0:9181"\ntoken_file = "/t"\n`);
    assert.equal(sameSlice(httpBuilder.slice(a), httpBuilder.slice(b)), false);
    assert.equal(sameSlice(mqttBuilder.slice(a), mqttBuilder.slice(b)), true);
    assert.equal(sameSlice(beaconsBuilder.slice(a), beaconsBuilder.slice(b)), true);
    // A new port is a new announced URL: the bridge's and the beacons' self-description change.
    assert.equal(sameSlice(mqttBuilder.slice(a), mqttBuilder.slice(moved)), false);
    assert.equal(sameSlice(beaconsBuilder.slice(a), beaconsBuilder.slice(moved)), false);
  });

  it("prepare binds (a taken port fails before anything stops), serves /api/hosts, and updates services in place", async () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-build-http-"));
    try {
      const log = memoryLogger();
      const ctx = context(log);
      const slice = httpBuilder.slice(input('[http]\nlisten = "127.0.0.1:0"\n[services]\nweb = "a"\n'))!;
      const prepared = await httpBuilder.prepare(slice, ctx);
      const url = /http: serving (\S+)/.exec(log.lines.join("\n"))![1]!;
      const stop = new AbortController();
      const running = prepared.run({ signal: stop.signal });
      const hosts = (await (await fetch(`${url}/api/hosts`)).json()) as { host: string; services?: Record<string, unknown> }[];
      assert.deepEqual(hosts.map((h) => [h.host, h.services]), [["shed", { web: "a" }]]);
      const next = httpBuilder.slice(input('[http]\nlisten = "127.0.0.1:0"\n[services]\nweb = "b"\n'))!;
      const commit = await prepared.update!(next);
      assert.ok(commit, "a services change is applied in place");
      commit();
      const after = (await (await fetch(`${url}/api/hosts`)).json()) as { services?: Record<string, unknown> }[];
      assert.deepEqual(after[0]!.services, { web: "b" });
      assert.equal(await prepared.update!(httpBuilder.slice(input('[http]\nlisten = "127.0.0.1:0"\nmax_clients = 2\n'))!), undefined);
      // The same port again: prepare fails, naming it.
      const port = new URL(url).port;
      await assert.rejects(httpBuilder.prepare(httpBuilder.slice(input(`[http]\nlisten = "127.0.0.1:${port}"\n`))!, ctx), new RegExp(`127\\.0\\.0\\.1:${port}`));
      // A missing token file is refused with its key.
      writeFileSync(join(dir, "empty"), "\n");
      await assert.rejects(httpBuilder.prepare(httpBuilder.slice(input(`[http]\nlisten = "127.0.0.1:0"\ntoken_file = "${join(dir, "nope")}"\n`))!, ctx), /http\.token_file: cannot read/);
      await assert.rejects(httpBuilder.prepare(httpBuilder.slice(input(`[http]\nlisten = "127.0.0.1:0"\ntoken_file = "${join(dir, "empty")}"\n`))!, ctx), /http\.token_file: .* is empty/);
      stop.abort("shutdown");
      await running;
      await prepared.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("mqtt prepare touches no network: a broker that is not there does not refuse it", async () => {
    const ctx = context();
    const prepared = await mqttBuilder.prepare(mqttBuilder.slice(input('[mqtt]\nurl = "mqtt://127.0.0.1:1"\n[daemon]\nstate_directory = "/nonexistent/disco"\n'))!, ctx);
    assert.equal((prepared.counters!() as { connected: boolean }).connected, false);
    await prepared.close();
  });
});
