/**
 * The compiled daemon against a real mosquitto: Home Assistant configs retained, availability with its
 * last will (kill -9 -> offline), a switch command driving an output of a sysfs tree, an input change
 * published, a line removed by a reload deleted from the device config, and the birth message answered.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, spawn } from "../_bin.ts";
import { createSysfsTree } from "../gpio/_sysfs-tree.ts";
import { mosquittoUnavailable, startMosquitto, watch } from "./_mosquitto.ts";

const skip = mosquittoUnavailable();
const CONFIG = "homeassistant/device/disco_mqtt-e2e/config";

function config(url: string, sysfsRoot: string, stateDir: string, withPump: boolean): string {
  return `[host]
name = "mqtt-e2e"

[discovery]
enabled = false

[daemon]
state_directory = "${stateDir}"
control_socket = "${join(stateDir, "disco.sock")}"

[mqtt]
url = "${url}"
keepalive = "2s"

[gpio]
driver = "sysfs"
sysfs_root = "${sysfsRoot}"
${
  withPump
    ? `
[[gpio.output]]
name = "pump"
line = 1
remote = true
`
    : ""
}
[[gpio.output]]
name = "siren"
line = 2

[[gpio.input]]
name = "door"
line = 3
scan_interval = "20ms"
`;
}

type Components = Record<string, { p: string; command_topic?: string }>;

describe("disco run with [mqtt] against a real mosquitto (compiled binary)", { skip }, () => {
  let disco = "";
  before(() => {
    disco = ensureBuilt();
  });

  it("configs retained, commands drive a sysfs output, inputs published, removed lines deleted, birth re-announces, kill -9 -> offline", async () => {
    await using broker = await startMosquitto();
    using tree = createSysfsTree({ lines: 8 });
    const dir = mkdtempSync(join(tmpdir(), "disco-mqtt-e2e-"));
    try {
      const file = join(dir, "disco.toml");
      writeFileSync(file, config(broker.url, tree.root, dir, true));
      await using w = await watch(broker.url, ["disco/#", "homeassistant/#"]);
      await using daemon = spawn([disco, "run", "-c", file]);
      const components = () => (JSON.parse(w.last.get(CONFIG)?.payload ?? "{}") as { components?: Components }).components ?? {};

      await w.until(() => w.last.get("disco/mqtt-e2e/availability")?.payload === "online", "availability online");
      await w.until(() => components()["mqtt-e2e_gpio_pump"]?.p === "switch" && components()["mqtt-e2e_gpio_door"]?.p === "binary_sensor", "device config with the switch and the input");
      assert.equal(components()["mqtt-e2e_gpio_siren"]?.p, "binary_sensor", "an output without remote = true is shown, not switchable");
      {
        await using late = await watch(broker.url, [CONFIG, "disco/mqtt-e2e/availability"]);
        await late.until(() => late.last.get(CONFIG)?.retain === true && late.last.get("disco/mqtt-e2e/availability")?.retain === true, "retained config and availability");
      }

      // A switch command drives the output in the sysfs tree.
      const pumpValue = () => readFileSync(join(tree.lineDir(1), "value"), "utf8").trim();
      assert.equal(pumpValue(), "0");
      await w.client.publishAsync("disco/mqtt-e2e/gpio/pump/set", "ON");
      await w.until(() => w.last.get("disco/mqtt-e2e/gpio/pump/state")?.payload === "ON", "pump state ON");
      assert.equal(pumpValue(), "1");
      // A line without remote = true is not driven.
      await w.client.publishAsync("disco/mqtt-e2e/gpio/siren/set", "ON");
      await w.client.publishAsync("disco/mqtt-e2e/gpio/pump/set", "0");
      await w.until(() => w.last.get("disco/mqtt-e2e/gpio/pump/state")?.payload === "OFF", "pump state OFF");
      assert.equal(pumpValue(), "0");
      assert.equal(readFileSync(join(tree.lineDir(2), "value"), "utf8").trim(), "0");

      // The outside world pulls the input: its change is published.
      writeFileSync(join(tree.lineDir(3), "value"), "1\n");
      await w.until(() => w.last.get("disco/mqtt-e2e/gpio/door/state")?.payload === "ON", "door ON");

      // Home Assistant's birth message: the config is published again.
      const configsBefore = w.log.filter((m) => m.topic === CONFIG).length;
      await w.client.publishAsync("homeassistant/status", "online");
      await w.until(() => w.log.filter((m) => m.topic === CONFIG).length > configsBefore, "a re-announce after the birth message");

      // A reload without the pump line: its component is deleted from the device config.
      writeFileSync(file, config(broker.url, tree.root, dir, false));
      daemon.proc.kill("SIGHUP");
      await w.until(() => JSON.stringify(components()["mqtt-e2e_gpio_pump"]) === '{"p":"switch"}', "the pump component removed");
      assert.equal(components()["mqtt-e2e_gpio_door"]?.p, "binary_sensor");
      assert.match(readFileSync(join(dir, "mqtt-discovery.json"), "utf8"), /mqtt-e2e_gpio_pump/, "what was published is remembered in the state directory");

      // kill -9: no goodbye; the broker publishes the last will.
      daemon.proc.kill("SIGKILL");
      await w.until(() => w.last.get("disco/mqtt-e2e/availability")?.payload === "offline", "the last will: offline", 15_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
