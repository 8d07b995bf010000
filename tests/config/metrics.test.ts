import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseConfig } from "../../lib/config/index.ts";
import { METRICS_COLLECTORS, isEndpointText, type MetricsCollectorName } from "../../lib/config/metrics.ts";
import { COLLECTOR_NAMES, type CollectorName } from "../../lib/metrics/index.ts";

// Compile-time: config's copy of lib/metrics' collector names is the same type both ways (tsc fails otherwise).
const sameCollectors: [MetricsCollectorName[], CollectorName[]] = [[] as CollectorName[], [] as MetricsCollectorName[]];
void sameCollectors;
import { parseEndpoint } from "../../lib/zmtp/index.ts";
import { problems } from "./_problems.ts";

/** Whether the sockets take `text` as one word (what config promises to check without loading lib/zmtp). */
function socketsAccept(text: string): boolean {
  if (/\s/.test(text)) return false;
  try {
    parseEndpoint(text);
    return true;
  } catch {
    return false;
  }
}

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
      limits: {
        maxConnections: 256,
        maxConnectionsPerAddress: 16,
        handshakeTimeoutMs: 10000,
        heartbeatMs: 10000,
        idleTimeoutMs: 30000,
        maxTopicBytes: 256,
        maxTopicsPerPeer: 100,
        maxTopics: 10000,
      },
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
max_connections = 64
max_connections_per_address = 4
handshake_timeout = "2s"
heartbeat_interval = "5s"
idle_timeout = "20s"
max_topic_bytes = 32
max_topics_per_peer = 8
max_topics = 500
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
      limits: {
        maxConnections: 64,
        maxConnectionsPerAddress: 4,
        handshakeTimeoutMs: 2000,
        heartbeatMs: 5000,
        idleTimeoutMs: 20000,
        maxTopicBytes: 32,
        maxTopicsPerPeer: 8,
        maxTopics: 500,
      },
    });
  });

  it("refuses endpoints the sockets would refuse (one grammar: lib/zmtp parseEndpoint)", () => {
    assert.deepEqual(problems(`[metrics]\nbackend = "tcp://h:70000"\nfrontend = "ipc:///${"x".repeat(120)}"\nconnect = ["tcp://a b:1"]\n`), [
      "metrics.backend@2",
      "metrics.frontend@3",
      "metrics.connect[0]@4",
    ]);
  });

  it("isEndpointText() agrees with lib/zmtp parseEndpoint on a table of endpoints", () => {
    const table = [
      "tcp://*:9000", "tcp://127.0.0.1:0", "tcp://[::1]:5555", "tcp://[::]:*", "tcp://host.lan:65535", "tcp://h:65536",
      "tcp://h:70000", "tcp://h:", "tcp://:1", "tcp://a:b:1", "tcp://[zz]:1", "tcp://h:123456", "udp://h:1", "ipc://",
      "ipc:///var/tmp/disco", `ipc:///${"x".repeat(106)}`, `ipc:///${"x".repeat(107)}`, `ipc:///${"é".repeat(53)}`, `ipc:///${"é".repeat(54)}`,
      "tcp://a b:1", "ipc:///a b", "TCP://h:1", "tcp//h:1", "",
    ];
    for (const t of table) assert.equal(isEndpointText(t), socketsAccept(t), t);
  });

  it("isEndpointText() agrees with lib/zmtp parseEndpoint on arbitrary endpoint-like text", () => {
    const piece = fc.constantFrom("tcp://", "ipc://", "udp://", "*", ":", "[", "]", "::1", "h", "10.0.0.5", "9000", "70000", "0", " ", "/", "é", "x".repeat(50));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
        const t = parts.join("");
        assert.equal(isEndpointText(t), socketsAccept(t), t);
      }),
      { numRuns: 5000 },
    );
  });

  it("knows every collector lib/metrics has, and no other", () => {
    assert.deepEqual([...METRICS_COLLECTORS], [...COLLECTOR_NAMES]);
  });

  it("refuses limits that make no sense (an idle timeout not longer than the heartbeat)", () => {
    assert.deepEqual(problems(`[metrics]\nheartbeat_interval = "10s"\nidle_timeout = "5s"\nmax_connections = 0\nmax_topic_bytes = -1\n`), [
      "metrics.idle_timeout@3",
      "metrics.max_connections@4",
      "metrics.max_topic_bytes@5",
    ]);
    assert.equal(parseConfig(`[metrics]\nheartbeat_interval = "1m"\n`).metrics.limits.idleTimeoutMs, 180_000);
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
