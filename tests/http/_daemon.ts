/** The config of a fleet daemon for the namespace tests of the page and of Prometheus. */
import { join } from "node:path";

/**
 * A daemon with fast json beacons (no discovery), its state and control socket under `dir/<name>`, and
 * `extra` TOML appended (an `[http]` table, `[services]`).
 */
export function fleetDaemonConfig(name: string, dir: string, beacon: { intervalMs: number; failedAfter?: number }, extra = ""): string {
  return `[host]
name = "${name}"

[discovery]
enabled = false

[daemon]
state_directory = "${join(dir, name)}"
control_socket = "${join(dir, name, "disco.sock")}"

[beacon]
enabled = true
interval = "${beacon.intervalMs}ms"
failed_after = ${beacon.failedAfter ?? 3}
format = "json"
${extra}`;
}
