/** `disco broadcast --send --to ADDR[:PORT]`, as disco-client's --to: a target's own port beats --port. */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { splitTarget } from "../../lib/beacon/index.ts";
import { DISCO, ensureBuilt, freeUdpPort, spawn } from "../_bin.ts";

describe("splitTarget()", () => {
  it("takes ADDR:PORT's own port, and --port for a bare address", () => {
    assert.deepEqual(splitTarget("127.0.0.1:9001", 9000), { address: "127.0.0.1", port: 9001 });
    assert.deepEqual(splitTarget("127.255.255.255", 9000), { address: "127.255.255.255", port: 9000 });
  });
});

describe("disco broadcast --send --to ADDR:PORT (compiled binary, loopback)", () => {
  before(() => {
    ensureBuilt();
  });
  it("sends to the target's own port, not --port", { timeout: 20_000 }, async () => {
    const receiver = createSocket("udp4");
    await new Promise<void>((r) => receiver.bind(0, "127.0.0.1", () => r()));
    const port = receiver.address().port;
    const heard = new Promise<string>((r) => receiver.once("message", (m) => r(m.toString())));
    const other = await freeUdpPort();
    await using sender = spawn([DISCO, "broadcast", "--send", "--to", `127.0.0.1:${port}`, "--port", String(other), "--name", "to-test", "--delay", "0.2"]);
    try {
      assert.match(await heard, /^HOST to-test \d+$/);
    } finally {
      receiver.close();
    }
    void sender;
  });
  it("refuses a bad port in --to as a usage error", () => {
    const p = Bun.spawnSync([DISCO, "broadcast", "--send", "--to", "127.0.0.1:99999"], { stdout: "pipe", stderr: "pipe" });
    assert.equal(p.exitCode, 2);
    assert.match(p.stderr.toString(), /^disco broadcast: --to must be between 1 and 65535, got 99999/);
  });
});
