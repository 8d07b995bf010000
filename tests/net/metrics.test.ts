/**
 * The whole metrics path on a LAN of two namespaces with the compiled binary: device A runs
 * `metrics --proxy` and `broadcast --send`; device B runs `metrics --receive`, which hears A's beacon,
 * connects to tcp://10.77.0.1:9000, prints A's published metric, and disconnects when A says goodbye.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt } from "../_bin.ts";
import { ProcLines } from "../metrics/_proc.ts";
import { createLan, netnsUnavailable } from "./_netns.ts";

const skip = netnsUnavailable();

describe("metrics across namespaces (compiled binary)", { skip }, () => {
  it("a metric published on A reaches B's receiver, which found A by its beacon", async () => {
    const disco = ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), "disco-netmetrics-"));
    const config = join(dir, "empty.toml");
    writeFileSync(config, "");
    try {
      await using lan = await createLan(2);
      const [a, b] = lan.hosts as [(typeof lan.hosts)[0], (typeof lan.hosts)[0]];
      const frontend = `ipc://${dir}/front`;
      await using proxy = new ProcLines(a.spawn([disco, "metrics", "--proxy", "-c", config, "--frontend", frontend, "--backend", "tcp://*:9000", "--debug"]));
      await proxy.waitFor("err", /^proxy: frontend .* backend tcp:\/\/0\.0\.0\.0:9000$/);
      await using receiver = new ProcLines(b.spawn([disco, "metrics", "--receive", "-c", config, "--port", "9000", "--debug"]));
      await receiver.waitFor("err", /listening for beacons on UDP 9000/);
      await using beacon = new ProcLines(a.spawn([disco, "broadcast", "--send", "-c", config, "--name", "dev-a", "--to", lan.broadcast, "--delay", "1"]));

      await receiver.waitFor("err", /^dev-a: connect tcp:\/\/10\.77\.0\.1:9000$/);
      await proxy.waitFor("err", /^backend: SUB peer 10\.77\.0\.2/);
      const pub = a.exec([disco, "metrics", "--publish", "temperature", "73", "-c", config, "--frontend", frontend, "--name", "dev-a", "--debug"]);
      assert.equal(pub.exitCode, 0, pub.stderr);
      assert.doesNotMatch(pub.stderr, /no receiver/);
      await receiver.waitFor("out", /^Connecting new metrics host: 10\.77\.0\.1$/);
      const line = await receiver.waitFor("out", /^Metric\(/);
      assert.match(line, /^Metric\(host=dev-a values=\{"temperature": "73", "_time": \d+\.\d+\}\)$/);

      // A clean stop of the beacon sends a goodbye: B leaves A and drops the connection.
      assert.equal(await beacon.stop(), 0);
      await receiver.waitFor("err", /^dev-a: disconnect tcp:\/\/10\.77\.0\.1:9000$/);
      await proxy.waitFor("err", /^backend: 10\.77\.0\.2\S* left/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
