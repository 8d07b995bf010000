/**
 * The daemon's capabilities as tasks, built from a validated config and the secrets the CLI resolved:
 * the discovery responder, beacons with membership, the metrics proxy with the host collectors, and the
 * declared GPIO lines whose input changes become metrics.
 */
import type { DiscoConfig } from "../config/index.ts";
import type { Keyring } from "../crypto/index.ts";
import { runBeaconService, type BeaconServiceOptions, type MembershipEvent } from "../beacon/index.ts";
import { serveDiscovery, type LegacyKey, type SelfDescription } from "../discovery/index.ts";
import { findMissingChips, inputChangeMetric, openLines, selectDriver } from "../gpio/index.ts";
import { MetricsPublisher, runMetricsService } from "../metrics/index.ts";
import type { Task } from "./supervisor.ts";

/** Everything the daemon runs, already resolved (files read, keys derived) by the caller. */
export interface DaemonPlan {
  readonly config: DiscoConfig;
  /** This host's name in answers, beacons and metrics. */
  readonly host: string;
  /** The discovery responder, when `[discovery] enabled`. */
  readonly discovery?: {
    readonly keyring?: Keyring;
    readonly legacyKey?: LegacyKey;
    readonly describe: () => SelfDescription;
  };
  /** Beacons, when `[beacon] enabled`: the service's options without the signal. */
  readonly beacon?: Omit<BeaconServiceOptions, "signal">;
  /** One line per notable event (bound sockets, membership changes, GPIO failures). */
  readonly log: (line: string) => void;
}

/**
 * The tasks a plan asks for.
 * @returns the tasks, in start order; empty when the config enables nothing
 */
export function planTasks(plan: DaemonPlan): Task[] {
  const { config, log } = plan;
  const tasks: Task[] = [];
  const discovery = plan.discovery;
  if (discovery) {
    tasks.push({
      name: "discovery",
      run: async ({ signal }) => {
        await serveDiscovery({
          signal,
          config: config.discovery,
          ...(discovery.keyring && { keyring: discovery.keyring }),
          ...(discovery.legacyKey && { legacyKey: discovery.legacyKey }),
          describe: discovery.describe,
          onListening: (address, port) => log(`discovery: answering on ${address}:${port} (${discovery.keyring ? "sealed" : "unsealed"})`),
        });
      },
    });
  }
  const beacon = plan.beacon;
  if (beacon) {
    tasks.push({
      name: "beacons",
      run: async ({ signal }) => {
        const events = beacon.table?.subscribe({ signal });
        const logging = events ? logMembership(events, log) : Promise.resolve();
        await runBeaconService({ ...beacon, signal, onReady: ({ port }) => log(`beacons: ${beacon.send === false ? "listening" : "sending and listening"} on port ${port}`) });
        await logging;
      },
    });
  }
  const m = config.metrics;
  if (m.enabled) {
    tasks.push({
      name: "metrics",
      run: async ({ signal }) => {
        await runMetricsService({
          signal,
          host: plan.host,
          proxy: m.proxy,
          frontend: m.frontend,
          backend: m.backend,
          collectors: m.collectors,
          intervalMs: m.intervalMs,
          root: m.root,
          socket: { highWaterMark: m.highWaterMark, maxMessageBytes: m.maxMessageBytes },
          onReady: ({ frontend, backend }) => log(`metrics: ${backend ? `proxy ${frontend} -> ${backend}` : `publishing to ${frontend}`}`),
        });
      },
    });
  }
  const g = config.gpio;
  if (g.enabled) {
    tasks.push({
      name: "gpio",
      run: async ({ signal }) => {
        await using driver = await selectDriver(g.driver, { sysfsRoot: g.sysfsRoot });
        for (const missing of await findMissingChips(driver, g)) {
          log(`gpio: ${missing.name}: chip ${missing.chip} does not exist (chips here: ${missing.available.join(", ") || "none"})`);
        }
        await using lines = await openLines(driver, g, { sysfsRoot: g.sysfsRoot });
        for (const f of lines.failures) log(`gpio: ${f.name}: ${f.error.message}`);
        log(`gpio: ${lines.inputs.size} inputs, ${lines.outputs.size} outputs, ${lines.pwms.size} pwm through ${driver.kind}`);
        const publisher = m.enabled ? new MetricsPublisher(plan.host, { frontend: m.frontend }) : undefined;
        try {
          for await (const change of lines.changes(signal)) {
            if (change.cause !== "initial") log(`gpio: ${change.name} = ${change.value} (${change.cause})`);
            publisher?.publish(inputChangeMetric(change));
          }
        } finally {
          await publisher?.close();
        }
      },
    });
  }
  return tasks;
}

async function logMembership(events: AsyncIterable<MembershipEvent>, log: (line: string) => void): Promise<void> {
  for await (const e of events) log(`beacons: ${e.type} ${e.host.host} (${e.host.addresses.join(", ") || "-"})`);
}
