/**
 * `[mqtt]`: the bridge to an MQTT broker (Home Assistant discovery, availability, GPIO states and commands,
 * metrics, the fleet inventory). Off unless the table is present; `url` is then required.
 */
import type { Section } from "./_schema.ts";

const TOPIC_PART = /^[^#+\s\u0000]+$/;
const TOPIC_TEXT = "a topic without '#', '+', spaces or a leading/trailing '/'";

/** `[mqtt]` */
export interface MqttConfig {
  /** Run the bridge under `disco run`: true when `[mqtt]` is present, unless `enabled = false`. */
  readonly enabled: boolean;
  /** Broker URL: `mqtt://host:1883` or `mqtts://host:8883` (TLS). */
  readonly url: string;
  readonly username?: string;
  /** File whose first line is the password (read by the CLI). */
  readonly passwordFile?: string;
  /** MQTT client id. Default: "disco-<host>". */
  readonly clientId?: string;
  /** Topic prefix: `<prefix>/<host>/...`. @default "disco" */
  readonly prefix: string;
  /** Home Assistant discovery prefix. @default "homeassistant" */
  readonly discoveryPrefix: string;
  /** Publish Home Assistant discovery configs. @default true */
  readonly discovery: boolean;
  /** MQTT keepalive in ms. @default 30000 */
  readonly keepaliveMs: number;
  /** Longest wait between reconnect attempts, in ms (the wait starts at 1 s and doubles). @default 60000 */
  readonly reconnectMaxMs: number;
  /** A CA bundle (PEM) to verify an mqtts:// broker with, instead of the system's (read by the CLI). */
  readonly caFile?: string;
  /** Mark fleet hosts this host sees failed as offline, and publish the fleet inventory. @default true */
  readonly fleet: boolean;
}

/** Reads and validates `[mqtt]`; `present` says whether the table was in the file. */
export function readMqtt(s: Section, present: boolean): MqttConfig {
  const enabled = s.bool("enabled", { default: present });
  const url = s.string("url", {
    ...(present && enabled ? { required: true } : { default: "" }),
    pattern: /^mqtts?:\/\/[^\s/]+\/?$/,
    patternText: 'a broker URL such as "mqtt://broker.lan:1883" or "mqtts://broker.lan:8883"',
  });
  const username = s.string("username", { nonEmpty: true });
  const passwordFile = s.string("password_file", { nonEmpty: true });
  const clientId = s.string("client_id", { pattern: /^[\x21-\x7e]{1,128}$/, patternText: "1-128 printable characters without spaces" });
  const topic = (key: string, def: string) => {
    const v = s.string(key, { default: def });
    if (!TOPIC_PART.test(v) || v.startsWith("/") || v.endsWith("/")) {
      s.problem(key, `expected ${TOPIC_TEXT}, got ${JSON.stringify(v)}`);
      return def;
    }
    return v;
  };
  const prefix = topic("prefix", "disco");
  const discoveryPrefix = topic("discovery_prefix", "homeassistant");
  const discovery = s.bool("discovery", { default: true });
  const keepaliveMs = s.durationMs("keepalive", { default: 30_000, minMs: 1000, maxMs: 65_535_000 });
  const reconnectMaxMs = s.durationMs("reconnect_max", { default: 60_000, minMs: 1000, maxMs: 3_600_000 });
  const caFile = s.string("ca_file", { nonEmpty: true });
  const fleet = s.bool("fleet", { default: true });
  s.done();
  return {
    enabled,
    url: url ?? "",
    ...(username !== undefined && { username }),
    ...(passwordFile !== undefined && { passwordFile }),
    ...(clientId !== undefined && { clientId }),
    prefix,
    discoveryPrefix,
    discovery,
    keepaliveMs,
    reconnectMaxMs,
    ...(caFile !== undefined && { caFile }),
    fleet,
  };
}
