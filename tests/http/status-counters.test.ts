import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { countersFromStatus, discoFamilies, renderExposition } from "../../lib/http/index.ts";
import { checkMetrics, promtoolUnavailable } from "./_promtool.ts";

const STATUS = {
  version: "0.1.0",
  host: "shed",
  uptimeMs: 12_500,
  generation: 3,
  hosts: { alive: 2, suspect: 0, failed: 1 },
  tasks: [
    { name: "beacons", state: "running", restarts: 0, counters: { packetsReceived: 40, drops: { malformed: 2, replayed: 1 }, hosts: 3, uptimeMs: 1500, packetsPerSec: 3.5 } },
    { name: "metrics", state: "backoff", restarts: 2, lastError: "EADDRINUSE", counters: { proxy: { peers: 4, messages: 100 } } },
    { name: "mqtt", state: "running", restarts: 0, counters: { connected: true, published: 9, commandsRefused: { "not-remote": 1 } } },
  ],
};

describe("countersFromStatus()", () => {
  it("names task counters disco_<task>_<path>, counters with _total, levels as gauges, reasons as labels", () => {
    const text = renderExposition(discoFamilies([], countersFromStatus(STATUS), { host: "shed", version: "0.1.0" }));
    for (const line of [
      "disco_reloads_total 2",
      "disco_uptime_seconds 12.5",
      'disco_task_up{task="beacons"} 1',
      'disco_task_up{task="metrics"} 0',
      'disco_task_restarts_total{task="metrics"} 2',
      "disco_beacons_packets_received_total 40",
      'disco_beacons_drops_total{reason="malformed"} 2',
      'disco_beacons_drops_total{reason="replayed"} 1',
      "disco_beacons_hosts 3",
      "disco_beacons_uptime_seconds 1.5",
      "disco_metrics_proxy_peers 4",
      "disco_metrics_proxy_messages_total 100",
      "disco_mqtt_connected 1",
      "disco_mqtt_published_total 9",
      'disco_mqtt_commands_refused_total{reason="not-remote"} 1',
    ]) {
      assert.ok(text.split("\n").includes(line), `${line}\n--- in ---\n${text}`);
    }
    assert.match(text, /^# TYPE disco_metrics_proxy_peers gauge$/m);
    assert.doesNotMatch(text, /per_sec/, "rates are left to Prometheus");
    assert.match(text, /^# TYPE disco_beacons_drops_total counter$/m);
  });

  it("ignores shapes it does not know", () => {
    assert.deepEqual(countersFromStatus(null), []);
    assert.deepEqual(countersFromStatus({ tasks: [1, { name: 2 }, { name: "x", counters: "no" }] }), [{ name: "task_up", help: "1 while the task runs, 0 while it starts, backs off or is stopped.", type: "gauge", labels: { task: "x" }, value: 0 }]);
  });

  it("the result passes promtool", { skip: promtoolUnavailable() }, async () => {
    const { problems } = await checkMetrics(renderExposition(discoFamilies([], countersFromStatus(STATUS), { host: "shed", version: "0.1.0" })));
    assert.deepEqual(problems, []);
  });
});
