import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config/index.ts";
import { problems } from "./_problems.ts";

describe("readBeacon()", () => {
  it("gives disco.py's defaults for an empty config", () => {
    const b = parseConfig("").beacon;
    assert.deepEqual(b, {
      enabled: false,
      port: 9000,
      listen: "0.0.0.0",
      intervalMs: 15000,
      interfaces: [],
      broadcast: [],
      format: "disco.py",
      suspectAfter: 2,
      failedAfter: 3,
      forgetAfterMs: 600000,
      maxHosts: 4096,
      maxNamesPerAddress: 16,
      maxUnsealedIntervalMs: 300000,
      goodbye: true,
      vault: { enabled: false, group: "224.1.1.1", port: 5004, intervalMs: 10000 },
      hooks: [],
    });
  });

  it("reads every key, delay as a synonym of interval, and hooks", () => {
    const b = parseConfig(`
[beacon]
enabled = true
port = 9100
delay = 1
broadcast = ["127.255.255.255"]
interfaces = ["eth0"]
format = "json"
suspect_after = 3
failed_after = 5
forget_after = "1m"
max_hosts = 20000
max_names_per_address = 64
max_unsealed_interval = "90s"
goodbye = false
accept_unsealed = true
[beacon.vault]
enabled = true
group = "239.1.2.3"
port = 5005
interface = "127.0.0.1"
interval = "2s"
[[beacon.hooks]]
command = "logger joined $DISCO_HOST"
events = ["join", "leave"]
timeout = "3s"
[[beacon.hooks]]
command = ["/usr/local/bin/notify", "--quiet"]
`).beacon;
    assert.equal(b.intervalMs, 1000);
    assert.equal(b.format, "json");
    assert.equal(b.failedAfter, 5);
    assert.equal(b.forgetAfterMs, 60000);
    assert.deepEqual([b.maxHosts, b.maxNamesPerAddress, b.maxUnsealedIntervalMs], [20000, 64, 90000]);
    assert.equal(b.acceptUnsealed, true);
    assert.deepEqual(b.vault, { enabled: true, group: "239.1.2.3", port: 5005, interface: "127.0.0.1", intervalMs: 2000 });
    assert.deepEqual(b.hooks, [
      { command: "logger joined $DISCO_HOST", events: ["join", "leave"], timeoutMs: 3000 },
      { command: ["/usr/local/bin/notify", "--quiet"], events: [], timeoutMs: 10000 },
    ]);
  });

  it("reports every problem with its key and line", () => {
    assert.deepEqual(
      problems(`[beacon]
port = 0
format = "xml"
interval = 1
delay = 2
broadcast = ["everywhere"]
suspect_after = 4
failed_after = 3
colour = "red"
max_hosts = 0
max_names_per_address = "many"
max_unsealed_interval = "2d"
[beacon.vault]
group = "10.0.0.1"
[[beacon.hooks]]
events = ["boom"]
`),
      [
        "beacon.port@2",
        "beacon.format@3",
        "beacon.delay@5",
        "beacon.broadcast[0]@6",
        "beacon.failed_after@8",
        "beacon.colour@9",
        "beacon.max_hosts@10",
        "beacon.max_names_per_address@11",
        "beacon.max_unsealed_interval@12",
        "beacon.vault.group@14",
        "beacon.hooks[0].command@15",
        "beacon.hooks[0].events[0]@16",
      ],
    );
  });
});
