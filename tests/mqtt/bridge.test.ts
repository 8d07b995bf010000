import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MqttBridge, memoryInFile } from "../../lib/mqtt/index.ts";
import { testFleet } from "../http/_fleet.ts";
import { freeTcpPort } from "../_bin.ts";
import { mosquittoUnavailable, startMosquitto, watch } from "./_mosquitto.ts";
import { within } from "../zmtp/_peer.ts";

const skip = mosquittoUnavailable();
const LINES = [
  { name: "door", kind: "input" as const, value: 0, remote: false },
  { name: "pump", kind: "output" as const, value: 0, remote: true },
  { name: "siren", kind: "output" as const, value: 0, remote: false },
  { name: "fan", kind: "pwm" as const, value: 0, remote: true },
];
const CONFIG = "homeassistant/device/disco_shed/config";
const components = (w: { last: Map<string, { payload: string }> }) =>
  (JSON.parse(w.last.get(CONFIG)?.payload ?? "{}") as { components?: Record<string, { p: string; command_topic?: string }> }).components ?? {};

describe("MqttBridge against a real mosquitto", { skip }, () => {
  it("publishes retained availability, device config, states, metrics and inventory; takes commands; re-announces on birth; offline on stop", async () => {
    await using broker = await startMosquitto();
    const dir = mkdtempSync(join(tmpdir(), "disco-mqtt-state-"));
    try {
      const { fleet, writes } = testFleet(LINES);
      fleet.applyMetric("shed", { load1: "0.5", cpu_temperature: "41.2", "gpio.door": "0" });
      fleet.applyMembership("join", { host: "barn", state: "alive", lastSeenUnixMs: 1_700_000_000_000, addresses: ["10.0.0.3"] });
      const stop = new AbortController();
      const logs: string[] = [];
      const bridge = new MqttBridge({ fleet, url: broker.url, memory: memoryInFile(join(dir, "mqtt.json")), rediscoverDelayMs: () => 5, log: (l) => logs.push(l) });
      const running = bridge.run(stop.signal);
      await using w = await watch(broker.url, ["disco/#", "homeassistant/#"]);
      await w.until(() => w.last.get("disco/shed/availability")?.payload === "online", "availability online");
      await w.until(() => w.last.has(CONFIG) && w.last.has("disco/bridge/hosts"), "device config and inventory");
      assert.equal(components(w)["shed_gpio_pump"]?.p, "switch");
      assert.equal(components(w)["shed_gpio_fan"]?.p, "number");
      assert.equal(components(w)["shed_gpio_door"]?.p, "binary_sensor");
      assert.equal(components(w)["shed_metric_load1"]?.p, "sensor");
      await w.until(() => w.last.get("disco/shed/metrics/cpu_temperature")?.payload === "41.2", "metric");
      assert.equal(w.last.get("disco/shed/gpio/pump/state")?.payload, "OFF");
      const inventory = JSON.parse(w.last.get("disco/bridge/hosts")!.payload) as { host: string }[];
      assert.deepEqual(inventory.map((h) => h.host), ["shed", "barn"]);

      // A fresh subscriber gets everything retained.
      {
        await using late = await watch(broker.url, ["disco/shed/#", CONFIG]);
        await late.until(() => late.last.get("disco/shed/availability")?.retain === true && late.last.get(CONFIG)?.retain === true, "retained availability and config");
      }

      // Commands: remote lines only, ON/OFF and 1/0; retained commands refused.
      await w.client.publishAsync("disco/shed/gpio/pump/set", "ON");
      await w.until(() => w.last.get("disco/shed/gpio/pump/state")?.payload === "ON", "pump ON state");
      await w.client.publishAsync("disco/shed/gpio/pump/set", "0");
      await w.until(() => w.last.get("disco/shed/gpio/pump/state")?.payload === "OFF", "pump OFF state");
      await w.client.publishAsync("disco/shed/gpio/fan/set", "40");
      await w.until(() => w.last.get("disco/shed/gpio/fan/state")?.payload === "40", "fan duty");
      await w.client.publishAsync("disco/shed/gpio/siren/set", "ON");
      await w.client.publishAsync("disco/shed/gpio/door/set", "ON");
      await w.client.publishAsync("disco/shed/gpio/pump/set", "maybe");
      // The bridge handles commands in order: once a later, valid command has shown its state, the
      // refusals before it are counted (the counters themselves publish nothing to wait on).
      await w.client.publishAsync("disco/shed/gpio/fan/set", "50");
      await w.until(() => w.last.get("disco/shed/gpio/fan/state")?.payload === "50", "fan duty after the refused commands");
      assert.equal(bridge.status().commandsRefused["not-remote"], 2);
      assert.equal(bridge.status().commandsRefused["bad-value"], 1);
      assert.deepEqual(writes, [["pump", 1], ["pump", 0], ["fan", 0.4], ["fan", 0.5]]);

      // An input change is published.
      fleet.applyGpio({ name: "door", kind: "input", value: 1, remote: false });
      await w.until(() => w.last.get("disco/shed/gpio/door/state")?.payload === "ON", "door ON");

      // A host the membership sees failed is marked offline by this bridge.
      fleet.applyMembership("failed", { host: "barn", state: "failed", lastSeenUnixMs: 1_700_000_000_000, addresses: ["10.0.0.3"] });
      await w.until(() => w.last.get("disco/barn/availability")?.payload === "offline", "barn offline");
      fleet.applyMembership("join", { host: "barn", state: "alive", lastSeenUnixMs: 1_700_000_100_000, addresses: ["10.0.0.3"] });
      await w.until(() => w.last.get("disco/barn/availability")?.payload === "online", "barn back online");

      // Home Assistant's birth message: the config is announced again.
      const before = bridge.status().announcements;
      await w.client.publishAsync("homeassistant/status", "online");
      await w.until(() => bridge.status().announcements > before, "re-announce after birth");

      stop.abort();
      await running;
      await w.until(() => w.last.get("disco/shed/availability")?.payload === "offline", "offline on a clean stop");
      const remembered = JSON.parse(readFileSync(join(dir, "mqtt.json"), "utf8")) as Record<string, string>;
      assert.equal(remembered["shed_gpio_pump"], "switch");

      // Restart with the pump line gone: its component is removed from the device config.
      const next = testFleet(LINES.filter((l) => l.name !== "pump"));
      const stop2 = new AbortController();
      const bridge2 = new MqttBridge({ fleet: next.fleet, url: broker.url, memory: memoryInFile(join(dir, "mqtt.json")) });
      const running2 = bridge2.run(stop2.signal);
      await w.until(() => JSON.stringify(components(w)["shed_gpio_pump"]) === '{"p":"switch"}', "pump removed from the device config");
      assert.equal(components(w)["shed_gpio_door"]?.p, "binary_sensor");
      stop2.abort();
      await running2;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a broker that is down does not block: the bridge backs off and connects when it comes up", async () => {
    const { fleet } = testFleet(LINES);
    const port = await freeTcpPort();
    const stop = new AbortController();
    let failed!: (line: string) => void;
    const failure = new Promise<string>((r) => (failed = r));
    const log = (line: string) => void (/cannot connect/.test(line) && failed(line));
    const bridge = new MqttBridge({ fleet, url: `mqtt://127.0.0.1:${port}`, reconnectMinMs: 20, reconnectMaxMs: 100, log });
    const running = bridge.run(stop.signal);
    // Other work goes on while the broker is away: fleet changes are taken, nothing queues.
    fleet.applyGpio({ name: "door", kind: "input", value: 1, remote: false });
    // The failed attempt is said, with the reason and when it is tried again.
    assert.match(await within(failure, 10_000, "a logged connect failure"), /^mqtt: cannot connect to mqtt:\/\/127\.0\.0\.1:\d+ \(.*(ECONNREFUSED|connect).*\); retrying in \d+ ms$/i);
    assert.match(bridge.status().lastError ?? "", /ECONNREFUSED|connect/i);
    assert.equal(bridge.status().connected, false);
    await using broker = await startMosquitto(port);
    await using w = await watch(broker.url, ["disco/shed/#"]);
    await w.until(() => w.last.get("disco/shed/gpio/door/state")?.payload === "ON", "the state as it is now, after the connect");
    assert.equal(bridge.status().connects, 1);
    stop.abort();
    await running;
  });
});
