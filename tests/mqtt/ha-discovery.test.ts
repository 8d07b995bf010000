import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { buildDeviceConfig, deviceConfigTopic, encodeLineState, hostTopics, MqttCommandError, parseCommand, topicLevel } from "../../lib/mqtt/index.ts";
import type { GpioLineView } from "../../lib/http/index.ts";

const LINES: GpioLineView[] = [
  { name: "door", kind: "input", value: 1, remote: false },
  { name: "pump", kind: "output", value: 0, remote: true },
  { name: "siren", kind: "output", value: 0, remote: false },
  { name: "fan", kind: "pwm", value: 0.25, remote: true },
];

describe("buildDeviceConfig()", () => {
  it("one device config with device, origin, availability and a component per sensor and line (golden JSON)", () => {
    const cfg = buildDeviceConfig({ host: "shed", version: "0.1.0", lines: LINES, metrics: ["load1", "cpu_temperature", "water_level"], prefix: "disco" });
    assert.deepEqual(cfg.payload, {
      device: { identifiers: ["disco_shed"], name: "shed", manufacturer: "disco", model: "disco host", sw_version: "0.1.0" },
      origin: { name: "disco", sw_version: "0.1.0" },
      availability_topic: "disco/shed/availability",
      payload_available: "online",
      payload_not_available: "offline",
      qos: 1,
      components: {
        shed_metric_cpu_temperature: {
          p: "sensor",
          unique_id: "disco_shed_metric_cpu_temperature",
          name: "CPU temperature",
          state_topic: "disco/shed/metrics/cpu_temperature",
          unit_of_measurement: "°C",
          device_class: "temperature",
          state_class: "measurement",
        },
        shed_metric_load1: { p: "sensor", unique_id: "disco_shed_metric_load1", name: "Load (1 min)", state_topic: "disco/shed/metrics/load1", state_class: "measurement", icon: "mdi:gauge" },
        shed_metric_water_level: { p: "sensor", unique_id: "disco_shed_metric_water_level", name: "water_level", state_topic: "disco/shed/metrics/water_level" },
        shed_gpio_door: { p: "binary_sensor", unique_id: "disco_shed_gpio_door", name: "door", state_topic: "disco/shed/gpio/door/state", payload_on: "ON", payload_off: "OFF" },
        shed_gpio_fan: {
          p: "number",
          unique_id: "disco_shed_gpio_fan",
          name: "fan",
          state_topic: "disco/shed/gpio/fan/state",
          unit_of_measurement: "%",
          icon: "mdi:square-wave",
          command_topic: "disco/shed/gpio/fan/set",
          min: 0,
          max: 100,
          step: 1,
          mode: "slider",
        },
        shed_gpio_pump: {
          p: "switch",
          unique_id: "disco_shed_gpio_pump",
          name: "pump",
          state_topic: "disco/shed/gpio/pump/state",
          command_topic: "disco/shed/gpio/pump/set",
          payload_on: "ON",
          payload_off: "OFF",
          state_on: "ON",
          state_off: "OFF",
        },
        shed_gpio_siren: { p: "binary_sensor", unique_id: "disco_shed_gpio_siren", name: "siren", state_topic: "disco/shed/gpio/siren/state", payload_on: "ON", payload_off: "OFF" },
      },
    });
    assert.deepEqual(cfg.components, {
      shed_metric_cpu_temperature: "sensor",
      shed_metric_load1: "sensor",
      shed_metric_water_level: "sensor",
      shed_gpio_door: "binary_sensor",
      shed_gpio_fan: "number",
      shed_gpio_pump: "switch",
      shed_gpio_siren: "binary_sensor",
    });
    assert.equal(deviceConfigTopic("homeassistant", "shed"), "homeassistant/device/disco_shed/config");
  });

  it("sends a component that went away as { p } only, which removes it in Home Assistant", () => {
    const before = buildDeviceConfig({ host: "shed", version: "0.1.0", lines: LINES, metrics: [], prefix: "disco" });
    const after = buildDeviceConfig({ host: "shed", version: "0.1.0", lines: LINES.filter((l) => l.name !== "pump"), metrics: [], prefix: "disco" }, before.components);
    const cmps = after.payload["components"] as Record<string, Record<string, unknown>>;
    assert.deepEqual(cmps["shed_gpio_pump"], { p: "switch" });
    assert.equal(after.components["shed_gpio_pump"], undefined);
    assert.equal((cmps["shed_gpio_door"] as { p: string }).p, "binary_sensor");
  });

  it("hostile host names cannot add topic levels or wildcards", () => {
    const t = hostTopics("disco", "a/b+#c d");
    assert.equal(t.availability, "disco/a_b__c_d/availability");
    assert.equal(deviceConfigTopic("homeassistant", "x/../y"), "homeassistant/device/disco_x____y/config");
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (name) => {
        const level = topicLevel(name);
        assert.match(level, /^[A-Za-z0-9_.-]+$/);
      }),
    );
  });

  it("encodeLineState(): ON/OFF for lines, percent for PWM, nothing when unknown", () => {
    assert.equal(encodeLineState({ name: "a", kind: "input", value: 1, remote: false }), "ON");
    assert.equal(encodeLineState({ name: "a", kind: "output", value: 0, remote: true }), "OFF");
    assert.equal(encodeLineState({ name: "a", kind: "pwm", value: 0.255, remote: true }), "25.5");
    assert.equal(encodeLineState({ name: "a", kind: "input", remote: false }), undefined);
  });
});

describe("parseCommand()", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const pump = LINES[1]!;
  const fan = LINES[3]!;
  it("takes ON/OFF and 1/0 for an output, a percent for PWM", () => {
    assert.equal(parseCommand(pump, enc("ON")), 1);
    assert.equal(parseCommand(pump, enc("off")), 0);
    assert.equal(parseCommand(pump, enc("1")), 1);
    assert.equal(parseCommand(pump, enc(" 0\n")), 0);
    assert.equal(parseCommand(fan, enc("40")), 0.4);
    assert.equal(parseCommand(fan, enc("100")), 1);
  });
  it("refuses unknown lines, non-remote lines and bad values, each with its reason", () => {
    const reason = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        assert.ok(err instanceof MqttCommandError);
        return err.reason;
      }
      assert.fail("expected a refusal");
    };
    assert.equal(reason(() => parseCommand(undefined, enc("ON"))), "unknown-line");
    assert.equal(reason(() => parseCommand(LINES[2], enc("ON"))), "not-remote");
    assert.equal(reason(() => parseCommand(LINES[0], enc("ON"))), "not-remote");
    assert.equal(reason(() => parseCommand(pump, enc("2"))), "bad-value");
    assert.equal(reason(() => parseCommand(pump, enc("x".repeat(100)))), "bad-value");
    assert.equal(reason(() => parseCommand(fan, enc("101"))), "bad-value");
    assert.equal(reason(() => parseCommand(fan, enc("-1"))), "bad-value");
  });
});
