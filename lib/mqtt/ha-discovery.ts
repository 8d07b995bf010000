/**
 * Home Assistant MQTT discovery, device-based: one retained config per host at
 * `<discovery_prefix>/device/disco_<host>/config` with `device` and `origin` blocks and one component per
 * sensor, input, output and PWM, each with a unique id. A component a config change took away is sent as
 * `{ "p": <platform> }` only, which is how Home Assistant removes one component of a device. Pure.
 */
import type { GpioLineView } from "../http/index.ts";
import { haId, hostTopics } from "./topics.ts";

/** Home Assistant platforms the bridge uses. */
export type HaPlatform = "sensor" | "binary_sensor" | "switch" | "number";

/** What the sensor of a known metric looks like in Home Assistant. */
interface SensorSpec {
  readonly name: string;
  readonly unit?: string;
  readonly deviceClass?: string;
  readonly stateClass: "measurement" | "total_increasing";
  readonly icon?: string;
}

/** The host collectors' metrics (lib/metrics names), with their units. */
export const KNOWN_SENSORS: Readonly<Record<string, SensorSpec>> = {
  load1: { name: "Load (1 min)", stateClass: "measurement", icon: "mdi:gauge" },
  load5: { name: "Load (5 min)", stateClass: "measurement", icon: "mdi:gauge" },
  load15: { name: "Load (15 min)", stateClass: "measurement", icon: "mdi:gauge" },
  mem_used_percent: { name: "Memory used", unit: "%", stateClass: "measurement", icon: "mdi:memory" },
  mem_available_kb: { name: "Memory available", unit: "kB", deviceClass: "data_size", stateClass: "measurement" },
  mem_total_kb: { name: "Memory total", unit: "kB", deviceClass: "data_size", stateClass: "measurement" },
  cpu_temperature: { name: "CPU temperature", unit: "°C", deviceClass: "temperature", stateClass: "measurement" },
  uptime_s: { name: "Uptime", unit: "s", deviceClass: "duration", stateClass: "total_increasing" },
  disk_used_percent: { name: "Disk used", unit: "%", stateClass: "measurement", icon: "mdi:harddisk" },
  disk_free_kb: { name: "Disk free", unit: "kB", deviceClass: "data_size", stateClass: "measurement" },
  net_rx_bytes: { name: "Network received", unit: "B", deviceClass: "data_size", stateClass: "total_increasing" },
  net_tx_bytes: { name: "Network sent", unit: "B", deviceClass: "data_size", stateClass: "total_increasing" },
};

/** What a host's device config is built from. */
export interface DeviceDescription {
  readonly host: string;
  readonly version: string;
  /** This host's lines. */
  readonly lines: readonly GpioLineView[];
  /** Metric names this host publishes (known collectors and anything published), excluding `gpio.*`. */
  readonly metrics: readonly string[];
  readonly prefix: string;
}

/** A device config and the components it holds (id -> platform), to remember for the next one. */
export interface DeviceConfig {
  readonly payload: Record<string, unknown>;
  readonly components: Readonly<Record<string, HaPlatform>>;
}

/**
 * Builds a host's device config.
 * @param previous the components of the config published before (id -> platform): those no longer
 *   present are sent as removals
 * @returns the payload (serialise with JSON.stringify) and its components
 */
export function buildDeviceConfig(d: DeviceDescription, previous: Readonly<Record<string, string>> = {}): DeviceConfig {
  const t = hostTopics(d.prefix, d.host);
  const id = haId(d.host);
  const cmps: Record<string, Record<string, unknown>> = {};
  const components: Record<string, HaPlatform> = {};
  const add = (key: string, platform: HaPlatform, config: Record<string, unknown>) => {
    const cid = `${id}_${haId(key)}`;
    cmps[cid] = { p: platform, unique_id: `disco_${cid}`, ...config };
    components[cid] = platform;
  };
  for (const name of [...d.metrics].sort()) {
    const known = KNOWN_SENSORS[name];
    add(`metric_${name}`, "sensor", {
      name: known?.name ?? name,
      state_topic: t.metric(name),
      ...(known?.unit !== undefined && { unit_of_measurement: known.unit }),
      ...(known?.deviceClass !== undefined && { device_class: known.deviceClass }),
      ...(known ? { state_class: known.stateClass } : {}),
      ...(known?.icon !== undefined && { icon: known.icon }),
    });
  }
  for (const l of [...d.lines].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const state = t.gpioState(l.name);
    if (l.kind === "pwm") {
      const base = { name: l.name, state_topic: state, unit_of_measurement: "%", icon: "mdi:square-wave" };
      if (l.remote) add(`gpio_${l.name}`, "number", { ...base, command_topic: t.gpioSet(l.name), min: 0, max: 100, step: 1, mode: "slider" });
      else add(`gpio_${l.name}`, "sensor", { ...base, state_class: "measurement" });
    } else if (l.kind === "output" && l.remote) {
      add(`gpio_${l.name}`, "switch", { name: l.name, state_topic: state, command_topic: t.gpioSet(l.name), payload_on: "ON", payload_off: "OFF", state_on: "ON", state_off: "OFF" });
    } else {
      add(`gpio_${l.name}`, "binary_sensor", { name: l.name, state_topic: state, payload_on: "ON", payload_off: "OFF" });
    }
  }
  for (const [cid, platform] of Object.entries(previous)) {
    if (!(cid in cmps)) cmps[cid] = { p: platform };
  }
  const payload = {
    device: { identifiers: [`disco_${id}`], name: d.host, manufacturer: "disco", model: "disco host", sw_version: d.version },
    origin: { name: "disco", sw_version: d.version },
    availability_topic: t.availability,
    payload_available: "online",
    payload_not_available: "offline",
    qos: 1,
    components: cmps,
  };
  return { payload, components };
}

/** The state payload of a line: ON/OFF for lines, the duty in percent for PWM. */
export function encodeLineState(line: GpioLineView): string | undefined {
  if (line.value === undefined) return undefined;
  if (line.kind === "pwm") return String(Math.round(line.value * 1000) / 10);
  return line.value ? "ON" : "OFF";
}
