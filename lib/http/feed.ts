/**
 * Feeds a {@link FleetState} from the daemon's sources: the membership table, the metrics published on
 * this host and its input events (in process: no socket to its own proxy), the GPIO lines it holds (for
 * writes), and optionally the metrics every fleet host publishes (a SUB socket on each host's proxy
 * backend, following membership).
 */
import type { HostRecord, MembershipEvent } from "../beacon/index.ts";
import type { GpioConfig } from "../config/index.ts";
import type { GpioLines, InputChange } from "../gpio/index.ts";
import { MetricsReceiver, type Metric } from "../metrics/index.ts";
import { FleetState, type FleetHost, type GpioLineView } from "./fleet.ts";
import { followedHttpEndpoint } from "./sd.ts";

/** Where a fleet view's facts come from. */
export interface FleetSources {
  /** The membership table (beacons). */
  readonly membership?: {
    get(host: string): HostRecord | undefined;
    subscribe(options: { signal?: AbortSignal; includeCurrent?: boolean }): AsyncIterable<MembershipEvent>;
  };
  /**
   * Metrics published on this host (the daemon's, and those other publishers send through its proxy, e.g.
   * `disco metrics --publish`) and input changes, from now on.
   */
  readonly events?: (signal: AbortSignal) => AsyncIterable<{ readonly type: "metric"; readonly metric: Metric } | { readonly type: "input"; readonly change: InputChange }>;
  /** This host's latest metric, for a start that comes after it. */
  readonly latestMetric?: () => Metric | undefined;
  /** The GPIO lines held now (undefined while the gpio task is not running). */
  readonly lines?: () => GpioLines | undefined;
  /** The declared lines. */
  readonly gpio?: GpioConfig;
  /** Also receive every fleet host's metrics (port of a backend whose beacon names none). */
  readonly fleetMetrics?: { readonly port: number };
}

/**
 * Converts a membership record to the fleet's host shape. The HTTP endpoint is the one to follow
 * ({@link followedHttpEndpoint}): an unsealed beacon's goes to the address it came from.
 */
export function fleetHostOf(r: HostRecord): FleetHost {
  const httpEndpoint = followedHttpEndpoint(r);
  return {
    host: r.host,
    state: r.state,
    lastSeenUnixMs: r.lastSeenUnixMs,
    addresses: r.addresses,
    ...(r.version !== undefined && { version: r.version }),
    ...(r.services !== undefined && { services: r.services }),
    ...(r.gpio !== undefined && { gpio: r.gpio }),
    ...(r.metricsEndpoint !== undefined && { metricsEndpoint: r.metricsEndpoint }),
    ...(httpEndpoint !== undefined && { httpEndpoint }),
  };
}

/** The line views of a GPIO config, at their configured values (inputs unknown until read). */
export function gpioViewsOf(g: GpioConfig): GpioLineView[] {
  return [
    ...g.inputs.map((i): GpioLineView => ({ name: i.name, kind: "input", remote: false })),
    ...g.outputs.map((o): GpioLineView => ({ name: o.name, kind: "output", value: o.initial, remote: o.remote })),
    ...g.pwms.map((p): GpioLineView => ({ name: p.name, kind: "pwm", value: p.duty, remote: p.remote })),
  ];
}

/**
 * Declares the lines of `sources.gpio` in `fleet` and installs the writer (outputs and PWM through the held
 * lines; the view follows each successful write).
 */
export function attachGpio(fleet: FleetState, sources: FleetSources): void {
  if (!sources.gpio) return;
  for (const v of gpioViewsOf(sources.gpio)) fleet.applyGpio(v);
  if (!sources.gpio.outputs.some((o) => o.remote) && !sources.gpio.pwms.some((p) => p.remote)) return;
  fleet.writeGpio = async (name, value) => {
    const lines = sources.lines?.();
    const view = fleet.gpio().find((l) => l.name === name);
    if (!lines || !view) throw new Error(`${name} is not held (the gpio task is not running)`);
    if (view.kind === "pwm") {
      const pwm = lines.pwms.get(name);
      if (!pwm) throw new Error(`${name} could not be opened`);
      await pwm.setDuty(value);
    } else {
      const out = lines.outputs.get(name);
      if (!out) throw new Error(`${name} could not be opened`);
      await out.write(value ? 1 : 0);
    }
    fleet.applyGpio({ ...view, value });
  };
}

/**
 * Runs the feeds until the signal.
 * @returns when the signal aborts
 */
export async function feedFleet(fleet: FleetState, sources: FleetSources, signal: AbortSignal): Promise<void> {
  const jobs: Promise<void>[] = [];
  const latest = sources.latestMetric?.();
  if (latest && latest.host === fleet.host) fleet.applyMetric(latest.host, latest.values);
  if (sources.events) {
    const events = sources.events(signal);
    jobs.push(
      (async () => {
        for await (const e of events) {
          if (e.type === "metric") {
            // Hosts the table does not know (yet) are not listed from metrics alone.
            if (fleet.knows(e.metric.host)) fleet.applyMetric(e.metric.host, e.metric.values);
          } else {
            const view = fleet.gpio().find((l) => l.name === e.change.name);
            if (view) fleet.applyGpio({ ...view, value: e.change.value });
          }
        }
      })(),
    );
  }
  const fleetMetrics = sources.membership !== undefined && sources.fleetMetrics !== undefined;
  const receiver = fleetMetrics ? new MetricsReceiver(sources.fleetMetrics ? { port: sources.fleetMetrics.port } : {}) : undefined;
  if (sources.membership) {
    const events = sources.membership.subscribe({ signal, includeCurrent: true });
    jobs.push(
      (async () => {
        for await (const e of events) {
          if (e.host.host === fleet.host) continue;
          fleet.applyMembership(e.type, fleetHostOf(e.host));
          // Only hosts that serve metrics: a rich beacon names its backend; disco.py's beacon sender runs one.
          const serves = e.host.metricsEndpoint !== undefined || e.host.source === "disco.py";
          if (fleetMetrics && receiver && (serves || receiver.hosts.has(e.host.host))) receiver.apply(e);
        }
      })(),
    );
  }
  if (receiver) {
    const r = receiver;
    jobs.push(
      (async () => {
        for (;;) {
          const m = await r.receive(signal);
          if (!m) return;
          // Hosts the table does not know (yet) are not listed from metrics alone.
          if (fleet.knows(m.host)) fleet.applyMetric(m.host, m.values);
        }
      })(),
    );
  }
  // Steady beacons raise no event: when each host was last heard is read from the table when asked.
  const membership = sources.membership;
  if (membership) fleet.setProviders({ lastSeen: (host) => membership.get(host)?.lastSeenUnixMs });
  if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
  if (membership) fleet.setProviders({ lastSeen: () => undefined });
  await receiver?.close();
  await Promise.allSettled(jobs);
}
