/** The config of a fleet daemon for the namespace tests of the page and of Prometheus (and the http RSS bench). */
import { join } from "node:path";

/** `[host]`, discovery off, and `[daemon]` with its state and control socket under `dir/<name>`. */
export function daemonConfigHead(name: string, dir: string): string {
  return `[host]
name = "${name}"

[discovery]
enabled = false

[daemon]
state_directory = "${join(dir, name)}"
control_socket = "${join(dir, name, "disco.sock")}"
`;
}

/**
 * A daemon with fast json beacons (no discovery), its state and control socket under `dir/<name>`, and
 * `extra` TOML appended (an `[http]` table, `[services]`).
 */
export function fleetDaemonConfig(name: string, dir: string, beacon: { intervalMs: number; failedAfter?: number }, extra = ""): string {
  return `${daemonConfigHead(name, dir)}
[beacon]
enabled = true
interval = "${beacon.intervalMs}ms"
failed_after = ${beacon.failedAfter ?? 3}
format = "json"
${extra}`;
}
