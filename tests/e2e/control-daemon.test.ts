/**
 * `disco run` serves remote control: the compiled daemon over a sysfs tree on loopback, driven by the
 * compiled client (`disco gpio --host`, `disco query`), its input changes followed by `gpio --host watch`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, freeTcpPort, freeUdpPort, spawn } from "../_bin.ts";
import { LineReader } from "../_lines.ts";
import { createSysfsTree } from "../gpio/_sysfs-tree.ts";

const DISCO = ensureBuilt();

describe("disco run serves remote control (compiled binary)", () => {
  it("remote set and get on the daemon's own lines, a query, and remote watch of its input changes", async () => {
    using tree = createSysfsTree();
    const dir = mkdtempSync(join(tmpdir(), "disco-run-ctl-"));
    const key = join(dir, "key");
    writeFileSync(key, Bun.spawnSync([DISCO, "keygen"]).stdout.toString());
    const controlPort = await freeUdpPort();
    const backendPort = await freeTcpPort();
    const cfg = join(dir, "disco.toml");
    writeFileSync(
      cfg,
      `[host]\nname = "daemon-1"\n[daemon]\nstate_directory = "${dir}/state"\ncontrol_socket = "${dir}/disco.sock"\n` +
        `[discovery]\nmagic = "run-ctl"\nkey_file = "${key}"\nport = ${await freeUdpPort()}\nlisten = "127.0.0.1"\n` +
        `[beacon]\nenabled = false\n[metrics]\nenabled = true\nfrontend = "ipc://${dir}/front"\nbackend = "tcp://127.0.0.1:${backendPort}"\ncollectors = []\n` +
        `[control]\nport = ${controlPort}\n` +
        `[gpio]\ndriver = "sysfs"\nsysfs_root = "${tree.root}"\n[[gpio.output]]\nname = "pump"\nline = 1\nremote = true\n` +
        `[[gpio.input]]\nname = "door"\nline = 4\nscan_interval = "20ms"\n` +
        `[[query]]\nname = "hi"\ncommand = 'echo "hi from $DISCO_HOST"'\n`,
    );
    await using daemon = spawn([DISCO, "run", "-c", cfg]);
    const log = new LineReader(daemon.proc.stderr);
    await log.waitFor(/control: serving on 127\.0\.0\.1:\d+ \(gpio, 1 queries\)/);
    await log.waitFor(/gpio: 1 inputs, 1 outputs/);
    const client = ["-c", cfg, "--host", `127.0.0.1:${controlPort}`];

    const set = Bun.spawnSync([DISCO, "gpio", ...client, "set", "pump", "1"], { stderr: "pipe" });
    assert.equal(set.exitCode, 0, set.stderr.toString());
    assert.equal(readFileSync(join(tree.lineDir(1), "value"), "utf8").trim(), "1");
    await log.waitFor(/control: remote write pump = 1 .*source=127\.0\.0\.1:\d+ key=[0-9a-f]{8}/);
    const get = Bun.spawnSync([DISCO, "gpio", ...client, "get", "pump"], { stdout: "pipe", stderr: "pipe" });
    assert.equal(get.stdout.toString(), "1\n", get.stderr.toString());

    const q = Bun.spawnSync([DISCO, "query", ...client, "hi", "--json"], { stdout: "pipe", stderr: "pipe" });
    assert.equal(q.exitCode, 0, q.stderr.toString());
    assert.equal((JSON.parse(q.stdout.toString()) as { answers: { output: string }[] }).answers[0]!.output, "hi from daemon-1\n");

    await using watcher = spawn([DISCO, "gpio", ...client, "watch", "door", "--json", "--count", "1", "-v"]);
    const out = new LineReader(watcher.proc.stdout);
    await new LineReader(watcher.proc.stderr).waitFor(/watching .* through its metrics stream/);
    // The watcher's subscription cannot be observed from here: flip the input until a change reaches it.
    const seen = out.waitFor(/"name":"door"/, { timeoutMs: 15_000 });
    let done = false;
    void seen.then(() => (done = true), () => (done = true));
    for (let v = 1; !done && v < 300; v++) {
      writeFileSync(join(tree.lineDir(4), "value"), `${v % 2}\n`);
      await Promise.race([seen.catch(() => undefined), log.waitFor(new RegExp(`gpio: door = ${v % 2}`), { from: log.lines.length, timeoutMs: 2000 }).catch(() => undefined)]);
    }
    const change = JSON.parse((await seen).line) as { host: string; name: string; value: number };
    assert.deepEqual([change.host, change.name], ["daemon-1", "door"]);
    assert.equal(await watcher.proc.exited, 0);
  });
});
