/**
 * The config: TOML text -> one validated, typed, readonly {@link DiscoConfig}. Only this folder parses
 * TOML; it never reads files (the CLI does and passes the text in).
 */
import { parse, TomlError } from "smol-toml";
import { ConfigError } from "./errors.ts";
import { locateKeys } from "./_locate.ts";
import { createCtx, isTable, report, Section } from "./_schema.ts";
import { readDiscovery, type DiscoveryConfig } from "./discovery.ts";
import { readBeacon, type BeaconConfig } from "./beacon.ts";
import { readMetrics, type MetricsConfig } from "./metrics.ts";
import { readGpio, type GpioConfig } from "./gpio.ts";
import { readDaemon, type DaemonConfig } from "./daemon.ts";
import { readControl, type ControlConfig, type QueryConfig } from "./query.ts";
import { parseIniServices } from "./ini.ts";
import { readHttp, type HttpConfig } from "./http.ts";
import { readMqtt, type MqttConfig } from "./mqtt.ts";
import { HOST_NAME_PATTERN, HOST_NAME_RULE } from "../text/index.ts";

export { ConfigError, formatProblem, type ConfigProblem } from "./errors.ts";
export { NAME_PATTERN, NAME_RULE } from "./_schema.ts";
export { parseDuration } from "./duration.ts";
export { parseIniServices } from "./ini.ts";
export type { DiscoveryConfig, BeaconConfig, MetricsConfig, GpioConfig, ControlConfig, QueryConfig, DaemonConfig };
export type { BackendLimitsConfig } from "./metrics.ts";
export { DEFAULT_CONTROL_SOCKET, peekControlSocket } from "./daemon.ts";
export { lineOf, locateKeys } from "./_locate.ts";
export { GPIO_DRIVERS } from "./gpio.ts";
export { DISCO_DEFAULTS, PYDISCOVER_DEFAULTS, type LegacyDefaultKey } from "./discovery.ts";
export { DEFAULT_HTTP_LISTEN, advertisedHttpEndpoint, isLoopbackAddress, splitListen, type AdvertisedHttp, type HttpConfig } from "./http.ts";
export type { MqttConfig } from "./mqtt.ts";

// The host name rule is defined once, in lib/text (the wire decoders use the same one).
export { HOST_NAME_PATTERN, HOST_NAME_RULE } from "../text/index.ts";

/** `[host]`: how this device names itself. */
export interface HostConfig {
  /** Host name in answers, beacons and metrics. Default: the system host name (chosen by the CLI). */
  readonly name?: string;
}

/** The whole validated config. */
export interface DiscoConfig {
  readonly host: HostConfig;
  readonly discovery: DiscoveryConfig;
  /** `[services]`, verbatim: sent as-is in discovery answers and rich beacons. */
  readonly services: Readonly<Record<string, unknown>>;
  readonly beacon: BeaconConfig;
  readonly metrics: MetricsConfig;
  readonly gpio: GpioConfig;
  /** `[control]` and `[[query]]`: remote GPIO and fleet queries. */
  readonly control: ControlConfig;
  /** `[http]`: the web page, JSON API, events, /metrics and /sd. */
  readonly http: HttpConfig;
  /** `[mqtt]`: the MQTT bridge and Home Assistant discovery. */
  readonly mqtt: MqttConfig;
  /** `[daemon]`: the control socket, the state directory, the log format. */
  readonly daemon: DaemonConfig;
}

/** Where the config text came from, for error messages. */
export interface ParseConfigOptions {
  /** File name shown in problems. */
  file?: string;
  /**
   * The names of this host's IPv4 interfaces (the caller lists them; this folder does no I/O). When given,
   * `[discovery] interfaces` and `[beacon] interfaces` must name some of them.
   */
  interfaces?: readonly string[];
}

/** What the parser's message leaves to guess, for the mistakes people make most (a table header's `]`). */
function tomlHint(text: string, line: number): string {
  const l = (text.split(/\r?\n/)[line - 1] ?? "").trim();
  if (/^\[\[?[^\]]*$/.test(l)) return `: a table header needs its closing '${l.startsWith("[[") ? "]]" : "]"}'`;
  return "";
}

/**
 * Parses and validates a config.
 * @param text TOML text (empty text gives every default)
 * @returns the validated config
 * @throws {ConfigError} listing every problem with its key and line
 * @example parseConfig('[discovery]\nmagic = "shed"\n').discovery.port // 40000
 */
export function parseConfig(text: string, options: ParseConfigOptions = {}): DiscoConfig {
  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      throw new ConfigError([{ key: "", line: err.line, message: `invalid TOML: ${first} (column ${err.column})${tomlHint(text, err.line)}` }], options.file, { cause: err });
    }
    throw err;
  }
  const ctx = createCtx(locateKeys(text));
  const root = new Section(ctx, "", raw);
  const hostSection = root.table("host");
  const name = hostSection.string("name", { pattern: HOST_NAME_PATTERN, patternText: `a host name (${HOST_NAME_RULE})` });
  hostSection.done();
  const discovery = readDiscovery(root.table("discovery"));
  const servicesRaw = root.accept("services");
  let services: Record<string, unknown> = {};
  if (servicesRaw !== undefined) {
    if (isTable(servicesRaw)) services = toPlain(servicesRaw) as Record<string, unknown>;
    else root.problem("services", "expected a table of service entries ([services])");
  }
  const beacon = readBeacon(root.table("beacon"));
  const metrics = readMetrics(root.table("metrics"));
  const gpio = readGpio(root.table("gpio"));
  const control = readControl(root.table("control"), root.tables("query"));
  const http = readHttp(root.table("http"), raw["http"] !== undefined);
  const mqtt = readMqtt(root.table("mqtt"), raw["mqtt"] !== undefined);
  const daemon = readDaemon(root.table("daemon"));
  root.done();
  const known = options.interfaces;
  if (known) {
    for (const [section, names] of [["discovery", discovery.interfaces], ["beacon", beacon.interfaces]] as const) {
      names.forEach((n, i) => {
        if (!known.includes(n)) report(ctx, `${section}.interfaces[${i}]`, `interface '${n}' does not exist here or has no IPv4 address (known: ${known.join(", ") || "none"})`);
      });
    }
  }
  if (ctx.problems.length) {
    const sorted = [...ctx.problems].sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
    throw new ConfigError(sorted, options.file);
  }
  return { host: name !== undefined ? { name } : {}, discovery, services, beacon, metrics, gpio, control, http, mqtt, daemon };
}

/**
 * Reads a services file given with `-d`: a TOML file (its `[services]` table, or its top-level keys when it
 * has none) or a PyDiscover `.cfg` (INI `[DEFAULT]`).
 * @param text the file's text
 * @param file the file name; a `.cfg`/`.ini` ending selects INI
 * @returns the services
 * @throws {ConfigError} when the file cannot be parsed
 */
export function parseServicesFile(text: string, file: string): Record<string, unknown> {
  if (/\.(cfg|ini|conf)$/i.test(file) || /^\s*\[DEFAULT\]/m.test(text)) return parseIniServices(text, file);
  let raw: Record<string, unknown>;
  try {
    raw = parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      throw new ConfigError([{ key: "", line: err.line, message: `invalid TOML: ${first}` }], file, { cause: err });
    }
    throw err;
  }
  const services = raw["services"];
  return toPlain(isTable(services) ? services : raw) as Record<string, unknown>;
}

// smol-toml builds null-prototype objects; consumers get ordinary ones.
function toPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toPlain);
  if (isTable(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toPlain(x)]));
  return v;
}
