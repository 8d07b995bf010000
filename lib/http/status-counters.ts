/**
 * The daemon's status (`disco status`: tasks with their own counters, hosts by state, reloads) as
 * Prometheus samples: `disco_task_up{task}`, `disco_task_restarts_total{task}`, `disco_reloads_total`,
 * `disco_uptime_seconds`, and every number in a task's counters as `disco_<task>_<path>` — a counter
 * (`_total`) unless its name says it is a level (peers, clients, queued, connected, ...), in base units
 * (`_ms` becomes `_seconds`, `_kb` `_bytes`; rates are left to Prometheus). A table of numbers
 * under a key that names reasons (`drops`, `refused`, `errors`) becomes one family with a `reason` label.
 * Pure: plain JSON in, samples out; anything else in the status is ignored.
 */
import { sanitizeMetricName } from "./exposition.ts";
import type { CounterSample } from "./fleet.ts";

const REASONS = /drop|refus|reason|error|reject/i;
const LEVEL = /(^|_)(peers|clients|connections|connected|queued|queue|active|open|size|current|hosts|subscribers|subscriptions|inflight|alive|suspect|failed|up|state|generation|interval|ms|seconds|port|pid|per_sec|uptime|uptime_ms)$/;
const MAX_SAMPLES = 2000;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function snake(s: string): string {
  return sanitizeMetricName(s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase());
}

/**
 * Samples from a daemon status.
 * @param status `DaemonStatus` as JSON (unknown shapes give fewer samples, never an error)
 */
export function countersFromStatus(status: unknown): CounterSample[] {
  const out: CounterSample[] = [];
  if (!isRecord(status)) return out;
  const push = (s: CounterSample) => {
    if (out.length < MAX_SAMPLES) out.push(s);
  };
  if (typeof status["generation"] === "number") {
    push({ name: "reloads_total", help: "Successful reloads since the daemon started.", type: "counter", value: Math.max(0, status["generation"] - 1) });
  }
  if (typeof status["uptimeMs"] === "number") push({ name: "uptime_seconds", help: "Seconds since the daemon started.", type: "gauge", value: status["uptimeMs"] / 1000 });
  const tasks = Array.isArray(status["tasks"]) ? status["tasks"] : [];
  for (const t of tasks) {
    if (!isRecord(t) || typeof t["name"] !== "string") continue;
    const task = t["name"];
    push({ name: "task_up", help: "1 while the task runs, 0 while it starts, backs off or is stopped.", type: "gauge", labels: { task }, value: t["state"] === "running" ? 1 : 0 });
    if (typeof t["restarts"] === "number") push({ name: "task_restarts_total", help: "Restarts of the task after failures.", type: "counter", labels: { task }, value: t["restarts"] });
    if (isRecord(t["counters"])) walk(snake(task), t["counters"], push);
  }
  return out;
}

function walk(prefix: string, o: Record<string, unknown>, push: (s: CounterSample) => void, depth = 0): void {
  if (depth > 4) return;
  for (const [k, v] of Object.entries(o)) {
    const name = `${prefix}_${snake(k)}`;
    // Rates are Prometheus' to compute from the counters.
    if (/per_?sec/i.test(name)) continue;
    if (typeof v === "number" && Number.isFinite(v)) push(sample(name, v, undefined, k));
    else if (typeof v === "boolean") push({ name, help: `${prefix} ${k} (1 = true).`, type: "gauge", value: v ? 1 : 0 });
    else if (isRecord(v)) {
      const entries = Object.entries(v);
      if (REASONS.test(k) && entries.length > 0 && entries.every(([, x]) => typeof x === "number")) {
        for (const [reason, x] of entries) push(sample(name, x as number, { reason }, k));
      } else walk(name, v, push, depth + 1);
    }
  }
}

function sample(rawName: string, rawValue: number, labels: Record<string, string> | undefined, key: string): CounterSample {
  // Base units, as Prometheus names them: milliseconds -> seconds, kB -> bytes.
  let name = rawName;
  let value = rawValue;
  if (name.endsWith("_ms")) {
    name = `${name.slice(0, -3)}_seconds`;
    value = rawValue / 1000;
  } else if (name.endsWith("_kb")) {
    name = `${name.slice(0, -3)}_bytes`;
    value = rawValue * 1024;
  }
  const level = LEVEL.test(name);
  return {
    name: level || name.endsWith("_total") ? name : `${name}_total`,
    help: `disco task counter ${key}.`,
    type: level ? "gauge" : "counter",
    ...(labels && { labels }),
    value,
  };
}
