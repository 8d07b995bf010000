/**
 * The MQTT bridge: this host's availability (retained, with a last will of `offline`), its GPIO states and
 * commands, its metrics, the fleet inventory, Home Assistant device discovery, and the availability of fleet
 * hosts this host sees fail. The bridge is state-based: while the broker is away nothing queues; on every
 * (re)connect it publishes the whole current state again. Reconnects back off from 1 s, doubling, to a cap;
 * a broker that is down only makes this task wait, never the others.
 */
// MQTT.js is loaded when a bridge runs: a daemon without [mqtt] does not pay for it.
import type { IClientOptions, MqttClient } from "mqtt";
import type { FleetEvent, FleetHost, FleetView, GpioLineView } from "../http/index.ts";
import type { JsonValue } from "../python/index.ts";
import { parseCommand } from "./commands.ts";
import { MqttCommandError } from "./errors.ts";
import { buildDeviceConfig, encodeLineState } from "./ha-discovery.ts";
import { memoryInProcess, type DiscoveryMemory } from "./memory.ts";
import { deviceConfigTopic, haStatusTopic, hostTopics, inventoryTopic, topicLevel } from "./topics.ts";

/** Options of {@link MqttBridge}. */
export interface MqttBridgeOptions {
  readonly fleet: FleetView;
  /** `mqtt://host:port` or `mqtts://host:port`. */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** @default "disco-<host>" */
  readonly clientId?: string;
  /** PEM CA bundle for mqtts://. */
  readonly ca?: string;
  /** @default "disco" */
  readonly prefix?: string;
  /** @default "homeassistant" */
  readonly discoveryPrefix?: string;
  /** Publish Home Assistant device configs. @default true */
  readonly discovery?: boolean;
  /** Publish the fleet inventory and mark hosts seen failed as offline. @default true */
  readonly fleetAvailability?: boolean;
  /** @default 30000 */
  readonly keepaliveMs?: number;
  /** First reconnect wait. @default 1000 */
  readonly reconnectMinMs?: number;
  /** Longest reconnect wait. @default 60000 */
  readonly reconnectMaxMs?: number;
  /** What was published before (the daemon's state directory). @default in-process only */
  readonly memory?: DiscoveryMemory;
  /** Wait before re-announcing after Home Assistant's birth message. @default random 0-5 s */
  readonly rediscoverDelayMs?: () => number;
  /** Most metric sensors announced for one host. @default 64 */
  readonly maxMetricSensors?: number;
  /** One line per notable event (connected, lost, refused commands). */
  readonly log?: (line: string) => void;
}

/** The bridge's state for `disco status`. */
export interface MqttBridgeStatus {
  readonly connected: boolean;
  readonly url: string;
  readonly connects: number;
  readonly lastError?: string;
  readonly published: number;
  /** Publishes left out while disconnected (the next connect publishes the state again). */
  readonly skipped: number;
  readonly commands: number;
  readonly commandsRefused: Readonly<Record<string, number>>;
  readonly announcements: number;
}

const isMetricName = (k: string) => k !== "_time" && !k.startsWith("gpio.");

function metricText(v: JsonValue): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** The MQTT bridge of one host. */
export class MqttBridge {
  readonly #o: MqttBridgeOptions;
  readonly #prefix: string;
  readonly #dp: string;
  readonly #topics;
  readonly #memory: DiscoveryMemory;
  #client: MqttClient | undefined;
  #connected = false;
  #connects = 0;
  #lastError: string | undefined;
  #published = 0;
  #skipped = 0;
  #commands = 0;
  readonly #refused: Record<string, number> = {};
  #announcements = 0;
  #announcedMetrics = new Set<string>();
  #previous: Record<string, string> = {};
  /** Fleet hosts this bridge marked offline. */
  readonly #markedOffline = new Set<string>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();

  constructor(options: MqttBridgeOptions) {
    this.#o = options;
    this.#prefix = options.prefix ?? "disco";
    this.#dp = options.discoveryPrefix ?? "homeassistant";
    this.#topics = hostTopics(this.#prefix, options.fleet.host);
    this.#memory = options.memory ?? memoryInProcess();
  }

  /** Counters and connection state. */
  status(): MqttBridgeStatus {
    return {
      connected: this.#connected,
      url: this.#o.url,
      connects: this.#connects,
      ...(this.#lastError !== undefined && { lastError: this.#lastError }),
      published: this.#published,
      skipped: this.#skipped,
      commands: this.#commands,
      commandsRefused: { ...this.#refused },
      announcements: this.#announcements,
    };
  }

  /**
   * Runs until the signal: connects (and reconnects), publishes, takes commands. On the signal it publishes
   * `offline` (a clean disconnect sends no last will) and disconnects — except when the signal's reason is
   * "replaced" (a reload starts a successor that says `online` at once).
   * @returns when the signal aborts; never rejects for broker trouble (that is logged and retried)
   */
  async run(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    this.#previous = await this.#memory.load();
    const o = this.#o;
    const fleet = o.fleet;
    const clientOptions: IClientOptions = {
      clientId: o.clientId ?? `disco-${topicLevel(fleet.host)}`,
      keepalive: Math.round((o.keepaliveMs ?? 30_000) / 1000),
      clean: true,
      reconnectPeriod: 0, // reconnects are ours, with backoff
      connectTimeout: 10_000,
      queueQoSZero: false,
      will: { topic: this.#topics.availability, payload: Buffer.from("offline"), qos: 1, retain: true },
      ...(o.username !== undefined && { username: o.username }),
      ...(o.password !== undefined && { password: o.password }),
      ...(o.ca !== undefined && { ca: o.ca }),
    };
    const { connect } = await import("mqtt");
    // The URL is split here (WHATWG URL): given a string, MQTT.js calls Node's deprecated url.parse(), which
    // prints a warning into the daemon's log.
    const u = new URL(o.url);
    const secure = u.protocol === "mqtts:";
    const client = connect({ ...clientOptions, protocol: secure ? "mqtts" : "mqtt", hostname: u.hostname.replace(/^\[|\]$/g, ""), port: u.port ? Number(u.port) : secure ? 8883 : 1883 });
    this.#client = client;
    let backoffMs = o.reconnectMinMs ?? 1000;
    const maxMs = o.reconnectMaxMs ?? 60_000;
    client.on("connect", () => {
      this.#connected = true;
      this.#connects++;
      backoffMs = o.reconnectMinMs ?? 1000;
      o.log?.(`mqtt: connected to ${o.url}`);
      client.subscribe([this.#topics.gpioSetFilter, haStatusTopic(this.#dp)], { qos: 1 }, (err) => {
        if (err) this.#lastError = err.message;
      });
      void this.#publishAll();
    });
    client.on("error", (err) => {
      this.#lastError = err.message;
    });
    client.on("close", () => {
      const was = this.#connected;
      this.#connected = false;
      if (signal.aborted) return;
      const wait = backoffMs;
      if (was) o.log?.(`mqtt: connection to ${o.url} lost${this.#lastError ? ` (${this.#lastError})` : ""}; reconnecting`);
      else o.log?.(`mqtt: cannot connect to ${o.url}${this.#lastError ? ` (${this.#lastError})` : ""}; retrying in ${wait < 1000 ? `${wait} ms` : `${Math.round(wait / 1000)} s`}`);
      backoffMs = Math.min(backoffMs * 2, maxMs);
      this.#later(wait, () => {
        if (!signal.aborted && !client.connected) client.reconnect();
      });
    });
    client.on("message", (topic, payload, packet) => this.#onMessage(topic, payload, packet.retain));

    const events = fleet.subscribe({ signal, capacity: 4096 });
    try {
      for await (const e of events) this.#onFleetEvent(e);
    } finally {
      for (const t of this.#timers) clearTimeout(t);
      this.#timers.clear();
      // A bridge replaced by a reload hands over to its successor (same client id) without an offline blip.
      if (client.connected && signal.reason !== "replaced") {
        await client.publishAsync(this.#topics.availability, "offline", { qos: 1, retain: true }).catch(() => undefined);
      }
      await client.endAsync().catch(() => undefined);
      this.#connected = false;
    }
  }

  #later(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    this.#timers.add(t);
  }

  #publish(topic: string, payload: string, retain: boolean, qos: 0 | 1 = retain ? 1 : 0): void {
    const c = this.#client;
    if (!c || !this.#connected) {
      this.#skipped++;
      return;
    }
    this.#published++;
    c.publish(topic, payload, { qos, retain }, (err) => {
      if (err) this.#lastError = err.message;
    });
  }

  #selfMetricNames(): string[] {
    const values = this.#o.fleet.metrics().get(this.#o.fleet.host)?.values ?? {};
    return Object.keys(values).filter(isMetricName).slice(0, this.#o.maxMetricSensors ?? 64);
  }

  /** The device config, and remembering its components (removed ones stay as removals). */
  async #announce(): Promise<void> {
    if (this.#o.discovery === false) return;
    const fleet = this.#o.fleet;
    const metrics = this.#selfMetricNames();
    this.#announcedMetrics = new Set(metrics);
    const cfg = buildDeviceConfig({ host: fleet.host, version: String(fleet.hosts()[0]?.version ?? ""), lines: fleet.gpio(), metrics, prefix: this.#prefix }, this.#previous);
    this.#publish(deviceConfigTopic(this.#dp, fleet.host), JSON.stringify(cfg.payload), true);
    this.#announcements++;
    const remembered = { ...this.#previous, ...cfg.components };
    // Bounded: the oldest removed components are forgotten first.
    const ids = Object.keys(remembered);
    for (const id of ids.slice(0, Math.max(0, ids.length - 512))) if (!(id in cfg.components)) delete remembered[id];
    this.#previous = remembered;
    await this.#memory.save(remembered).catch((err: unknown) => this.#o.log?.(`mqtt: cannot remember the published components: ${err instanceof Error ? err.message : String(err)}`));
  }

  async #publishAll(): Promise<void> {
    const fleet = this.#o.fleet;
    this.#publish(this.#topics.availability, "online", true);
    await this.#announce();
    for (const l of fleet.gpio()) this.#publishLine(l);
    const values = fleet.metrics().get(fleet.host)?.values ?? {};
    for (const [k, v] of Object.entries(values)) if (isMetricName(k)) this.#publish(this.#topics.metric(k), metricText(v), true);
    if (this.#o.fleetAvailability !== false) {
      for (const h of fleet.hosts()) if (!h.self && h.state === "failed") this.#markOffline(h);
      this.#publishInventory();
    }
  }

  #publishLine(l: GpioLineView): void {
    const s = encodeLineState(l);
    if (s !== undefined) this.#publish(this.#topics.gpioState(l.name), s, true);
  }

  #inventoryDue = false;
  #publishInventory(): void {
    const hosts = this.#o.fleet.hosts().map((h: FleetHost) => ({
      host: h.host,
      state: h.state,
      last_seen: Math.round(h.lastSeenUnixMs / 1000),
      addresses: h.addresses,
      ...(h.version !== undefined && { version: h.version }),
      ...(h.httpEndpoint !== undefined && { http: h.httpEndpoint }),
      ...(h.gpio !== undefined && { gpio: h.gpio }),
      availability_topic: hostTopics(this.#prefix, h.host).availability,
    }));
    this.#publish(inventoryTopic(this.#prefix), JSON.stringify(hosts), true);
  }

  /** Coalesces a burst of membership events into one inventory. */
  #scheduleInventory(): void {
    if (this.#inventoryDue) return;
    this.#inventoryDue = true;
    this.#later(200, () => {
      this.#inventoryDue = false;
      this.#publishInventory();
    });
  }

  #markOffline(h: FleetHost): void {
    this.#markedOffline.add(h.host);
    this.#publish(hostTopics(this.#prefix, h.host).availability, "offline", true);
  }

  #onFleetEvent(e: FleetEvent): void {
    const fleet = this.#o.fleet;
    switch (e.type) {
      case "gpio":
        this.#publishLine(e.line);
        return;
      case "metric": {
        if (e.host !== fleet.host) return;
        let fresh = false;
        for (const [k, v] of Object.entries(e.metrics.values)) {
          if (!isMetricName(k)) continue;
          this.#publish(this.#topics.metric(k), metricText(v), true);
          if (!this.#announcedMetrics.has(k) && this.#announcedMetrics.size < (this.#o.maxMetricSensors ?? 64)) fresh = true;
        }
        if (fresh && this.#connected) void this.#announce();
        return;
      }
      default: {
        if (e.host.self) {
          // A reload changed this host's lines or services: announce again.
          if (this.#connected) void this.#announce();
          return;
        }
        if (this.#o.fleetAvailability === false) return;
        if (e.type === "failed") this.#markOffline(e.host);
        else if ((e.type === "join" || e.type === "update") && e.host.state === "alive" && this.#markedOffline.delete(e.host.host)) {
          this.#publish(hostTopics(this.#prefix, e.host.host).availability, "online", true);
        }
        this.#scheduleInventory();
      }
    }
  }

  #onMessage(topic: string, payload: Buffer, retained: boolean): void {
    if (topic === haStatusTopic(this.#dp)) {
      if (payload.toString().trim() !== "online") return;
      // Many devices answer the same birth message: a random delay spreads them out.
      const delay = this.#o.rediscoverDelayMs?.() ?? Math.random() * 5000;
      this.#later(delay, () => void this.#publishAll());
      return;
    }
    const fleet = this.#o.fleet;
    const lines = fleet.gpio();
    const line = lines.find((l) => this.#topics.gpioSet(l.name) === topic);
    try {
      // A retained command would fire again at every reconnect: refused.
      if (retained) throw new MqttCommandError("retained", "retained commands are ignored");
      const value = parseCommand(line, payload);
      if (!fleet.writeGpio) throw new MqttCommandError("not-remote", "this host takes no writes");
      this.#commands++;
      fleet.writeGpio(line!.name, value).catch((err: unknown) => {
        this.#lastError = err instanceof Error ? err.message : String(err);
        this.#o.log?.(`mqtt: writing ${line!.name} failed: ${this.#lastError}`);
      });
    } catch (err) {
      const reason = err instanceof MqttCommandError ? err.reason : "bad-value";
      this.#refused[reason] = (this.#refused[reason] ?? 0) + 1;
      this.#o.log?.(`mqtt: command on ${topic} refused: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
