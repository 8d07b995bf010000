import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config/index.ts";
import { problems } from "./_problems.ts";

describe("readMetrics()", () => {
  it("gives disco.py's defaults for an empty config", () => {
    assert.deepEqual(parseConfig("").metrics, {
      enabled: false,
      proxy: true,
      frontend: "ipc:///var/tmp/disco",
      backend: "tcp://*:9000",
      connect: [],
      port: 9000,
      maxMessageBytes: 1048576,
      highWaterMark: 1000,
      collectors: ["load", "memory", "temperature", "uptime", "disk", "network"],
      intervalMs: 60000,
      root: "/",
    });
  });

  it("reads every key", () => {
    const m = parseConfig(`
[metrics]
enabled = true
proxy = false
frontend = "tcp://127.0.0.1:5555"
backend = "tcp://[::]:9100"
connect = ["tcp://10.0.0.5:9000", "ipc:///tmp/x"]
port = 9100
max_message_bytes = 4096
high_water_mark = 50
collectors = ["load", "temperature"]
interval = "15s"
root = "/srv/fake"
`).metrics;
    assert.deepEqual(m, {
      enabled: true,
      proxy: false,
      frontend: "tcp://127.0.0.1:5555",
      backend: "tcp://[::]:9100",
      connect: ["tcp://10.0.0.5:9000", "ipc:///tmp/x"],
      port: 9100,
      maxMessageBytes: 4096,
      highWaterMark: 50,
      collectors: ["load", "temperature"],
      intervalMs: 15000,
      root: "/srv/fake",
    });
  });

  it("refuses endpoints the sockets would refuse (one grammar: lib/zmtp parseEndpoint)", () => {
    assert.deepEqual(problems(`[metrics]\nbackend = "tcp://h:70000"\nfrontend = "ipc:///${"x".repeat(120)}"\nconnect = ["tcp://a b:1"]\n`), [
      "metrics.backend@2",
      "metrics.frontend@3",
      "metrics.connect[0]@4",
    ]);
  });

  it("reports every bad key with its line", () => {
    assert.deepEqual(
      problems(`[metrics]
frontend = "udp://x:1"
connect = ["tcp://*:9000"]
max_message_bytes = 1
high_water_mark = 0
collectors = ["load", "fan"]
interval = "10ms"
root = "relative"
colour = "blue"
`),
      [
        "metrics.frontend@2",
        "metrics.connect[0]@3",
        "metrics.max_message_bytes@4",
        "metrics.high_water_mark@5",
        "metrics.collectors[1]@6",
        "metrics.interval@7",
        "metrics.root@8",
        "metrics.colour@9",
      ],
    );
  });
});
