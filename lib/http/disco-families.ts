/**
 * disco's own metrics for `/metrics`: what the daemon counts (`disco_*_total`), the fleet as this host sees
 * it (hosts by state, last seen per host) and the build. Pure: fleet facts in, families out.
 */
import { sanitizeMetricName, type MetricFamily, type Sample } from "./exposition.ts";
import type { CounterSample, FleetHost } from "./fleet.ts";

const STATES = ["alive", "suspect", "failed"] as const;

/**
 * The families of the fleet view and the daemon's counters.
 * @param hosts every host, this one included
 * @param counters the daemon's counters (names without `disco_`)
 * @param build this host's name and version
 * @param reserved family names the caller writes itself: counters with those names are left out
 */
export function discoFamilies(hosts: readonly FleetHost[], counters: readonly CounterSample[], build: { host: string; version: string }, reserved: ReadonlySet<string> = new Set()): MetricFamily[] {
  const byState = new Map<string, number>(STATES.map((s) => [s, 0]));
  const lastSeen: Sample[] = [];
  for (const h of hosts) {
    byState.set(h.state, (byState.get(h.state) ?? 0) + 1);
    if (!h.self) lastSeen.push({ labels: { host: h.host, state: h.state }, value: h.lastSeenUnixMs / 1000 });
  }
  const families: MetricFamily[] = [
    { name: "disco_build_info", help: "This disco host: its name and version (value 1).", type: "gauge", samples: [{ labels: { host: build.host, version: build.version }, value: 1 }] },
    { name: "disco_hosts", help: "Fleet hosts by membership state, this host included.", type: "gauge", samples: [...byState].map(([state, value]) => ({ labels: { state }, value })) },
    { name: "disco_host_last_seen_seconds", help: "When each fleet host was last heard, in unix seconds.", type: "gauge", samples: lastSeen },
  ];
  const grouped = new Map<string, { help: string; type: "counter" | "gauge"; samples: Sample[] }>();
  for (const c of counters) {
    const base = `disco_${sanitizeMetricName(c.name)}`;
    const name = c.type === "counter" && !base.endsWith("_total") ? `${base}_total` : base;
    let g = grouped.get(name);
    if (!g) grouped.set(name, (g = { help: c.help, type: c.type, samples: [] }));
    g.samples.push(c.labels ? { labels: c.labels, value: c.value } : { value: c.value });
  }
  for (const [name, g] of grouped) {
    if (reserved.has(name) || families.some((f) => f.name === name)) continue;
    families.push({ name, help: g.help, type: g.type, samples: g.samples });
  }
  return families;
}
