/**
 * The MQTT builder: `[mqtt]` -> the bridge (Home Assistant discovery, availability, GPIO, metrics, the
 * fleet inventory) over a fleet view fed from the daemon's context. Prepare reads the secrets and never
 * touches the network: a broker that is down must not refuse a reload or block a start.
 */
import { join } from "node:path";
import type { MqttConfig } from "../config/index.ts";
import { memoryInFile, prepareMqttService } from "../mqtt/index.ts";
import { fleetSourcesOf, fleetViewSlice, readSecretLine, selfOf, type FleetViewSlice } from "./build-http.ts";
import type { Builder } from "./types.ts";

/** What the MQTT task depends on. */
export interface MqttSlice extends FleetViewSlice {
  readonly mqtt: MqttConfig;
  readonly stateDirectory: string;
}

/** `[mqtt]`: the bridge. */
export const mqttBuilder: Builder<MqttSlice> = {
  name: "mqtt",
  slice: ({ config, host }) => (config.mqtt.enabled ? { ...fleetViewSlice(config, host), mqtt: config.mqtt, stateDirectory: config.daemon.stateDirectory } : undefined),
  // One client id per host: the successor connects after the old one said goodbye.
  conflicts: () => true,
  async prepare(slice, ctx) {
    const m = slice.mqtt;
    const password = m.passwordFile !== undefined ? await readSecretLine(m.passwordFile, "mqtt.password_file") : undefined;
    const ca = m.caFile !== undefined ? await Bun.file(m.caFile).text().catch((err: unknown) => Promise.reject(new Error(`mqtt.ca_file: cannot read ${m.caFile}: ${String(err)}`))) : undefined;
    const service = prepareMqttService({
      self: selfOf(slice),
      sources: fleetSourcesOf(slice, ctx),
      url: m.url,
      ...(m.username !== undefined && { username: m.username }),
      ...(password !== undefined && { password }),
      ...(m.clientId !== undefined && { clientId: m.clientId }),
      ...(ca !== undefined && { ca }),
      prefix: m.prefix,
      discoveryPrefix: m.discoveryPrefix,
      discovery: m.discovery,
      fleetAvailability: m.fleet,
      keepaliveMs: m.keepaliveMs,
      reconnectMaxMs: m.reconnectMaxMs,
      memory: memoryInFile(join(slice.stateDirectory, "mqtt-discovery.json")),
      log: (line) => ctx.log.info(line, { task: "mqtt" }),
    });
    ctx.log.info(`mqtt: bridging to ${m.url}`, { task: "mqtt" });
    return service;
  },
};
