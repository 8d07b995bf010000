/**
 * The MQTT task as the daemon runs it: a fleet view fed from the daemon's sources and the bridge over it.
 * Preparing never touches the network (a broker that is down must not refuse a reload); `run` connects and
 * keeps reconnecting until the signal.
 */
import { attachGpio, feedFleet, FleetState, type FleetSources, type FleetStateOptions } from "../http/index.ts";
import { MqttBridge, type MqttBridgeOptions } from "./bridge.ts";

/** Options of {@link prepareMqttService}. */
export interface MqttServiceOptions extends Omit<MqttBridgeOptions, "fleet"> {
  readonly self: FleetStateOptions["self"];
  readonly sources: FleetSources;
}

/** A prepared MQTT task. */
export interface PreparedMqttService {
  readonly bridge: MqttBridge;
  readonly fleet: FleetState;
  run(options: { signal: AbortSignal }): Promise<void>;
  counters(): Readonly<Record<string, unknown>>;
  close(): Promise<void>;
}

/** Builds the bridge and its fleet view (no I/O yet). */
export function prepareMqttService(o: MqttServiceOptions): PreparedMqttService {
  const fleet = new FleetState({ self: o.self });
  attachGpio(fleet, o.sources);
  const { self: _self, sources: _sources, ...bridgeOptions } = o;
  const bridge = new MqttBridge({ ...bridgeOptions, fleet });
  return {
    bridge,
    fleet,
    run: async ({ signal }) => {
      await Promise.all([feedFleet(fleet, o.sources, signal), bridge.run(signal)]);
    },
    counters: () => ({ ...bridge.status() }),
    close: async () => {
      fleet.close();
    },
  };
}
