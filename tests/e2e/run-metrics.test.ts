/**
 * `disco run` with the metrics proxy, a GPIO input (a sysfs temp tree) and the web page (compiled binary,
 * loopback): the input's changes and the collectors reach a receiver on the backend without the daemon
 * connecting to its own frontend, and what an outside publisher (`disco metrics --publish`, disco.py) sends
 * through the frontend reaches both that receiver and the page without the daemon connecting to its own
 * backend (a connected socket would wake an idle daemon every second).
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MetricsReceiver, type Metric } from "../../lib/metrics/index.ts";
import { LineReader } from "../_lines.ts";
import { ensureBuilt, freeTcpPort, freeUdpPort, spawn } from "../_bin.ts";
import { createSysfsTree } from "../gpio/_sysfs-tree.ts";
import { within } from "../zmtp/_peer.ts";
import { readEvents } from "../http/_fleet.ts";

let disco = "";
const dir = mkdtempSync(join(tmpdir(), "disco-run-metrics-"));
const tree = createSysfsTree();

/** Unix sockets in /proc/net/unix bound to `path` (the listener, plus one per accepted connection). */
const socketsAt = (path: string) => readFileSync("/proc/net/unix", "utf8").split("\n").filter((l) => l.endsWith(` ${path}`));

/** Established TCP connections (client side) to 127.0.0.1:`port`, from /proc/net/tcp. */
const connectionsTo = (port: number) =>
  readFileSync("/proc/net/tcp", "utf8")
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f[2] === `0100007F:${port.toString(16).toUpperCase().padStart(4, "0")}` && f[3] === "01").length;

/** The next metric from `receiver` that satisfies `ok`. */
async function metricWhere(receiver: MetricsReceiver, ok: (m: Metric) => boolean): Promise<Metric> {
  for (;;) {
    const m = await receiver.receive();
    if (!m) throw new Error("the receiver closed");
    if (ok(m)) return m;
  }
}

describe("disco run with [metrics] and [gpio] (compiled binary)", () => {
  before(() => {
    disco = ensureBuilt();
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    tree[Symbol.dispose]();
  });

  it("publishes input changes and collectors into its own proxy, and shows what others publish, with no connection to itself", async () => {
    const frontend = join(dir, "front.ipc");
    const backendPort = await freeTcpPort();
    const httpPort = await freeTcpPort();
    const cfg = join(dir, "disco.toml");
    writeFileSync(
      cfg,
      `[host]
name = "m-1"
[daemon]
control_socket = "${dir}/disco.sock"
state_directory = "${dir}/state"
[discovery]
port = ${await freeUdpPort()}
listen = "127.0.0.1"
[metrics]
enabled = true
frontend = "ipc://${frontend}"
backend = "tcp://127.0.0.1:${backendPort}"
collectors = ["load"]
interval = "1s"
[gpio]
driver = "sysfs"
sysfs_root = "${tree.root}"
[[gpio.input]]
name = "door"
line = 3
scan_interval = "10ms"
[http]
listen = "127.0.0.1:${httpPort}"
`,
    );
    await using daemon = spawn([disco, "run", "-c", cfg]);
    const log = new LineReader(daemon.proc.stderr);
    await log.waitFor(/running .*metrics.*gpio/, { timeoutMs: 15_000 });
    await using receiver = new MetricsReceiver();
    receiver.connect(`tcp://127.0.0.1:${backendPort}`);
    const collected = await within(metricWhere(receiver, (m) => m.host === "m-1" && "load1" in m.values), 10_000, "a collected metric");
    assert.equal(collected.host, "m-1");
    writeFileSync(join(tree.lineDir(3), "value"), "1\n");
    const door = await within(metricWhere(receiver, (m) => m.values["gpio.door"] === "1"), 10_000, "the input change as a metric");
    assert.equal(door.host, "m-1");
    assert.equal(socketsAt(frontend).length, 1, `only the listener at the frontend:\n${socketsAt(frontend).join("\n")}`);
    // An outside publisher still gets through the frontend to the same receiver.
    const pub = Bun.spawnSync([disco, "metrics", "--publish", "temp", "21", "--frontend", `ipc://${frontend}`, "--name", "outside"], { stdout: "pipe", stderr: "pipe" });
    assert.equal(pub.exitCode, 0, pub.stderr.toString());
    const outside = await within(metricWhere(receiver, (m) => m.host === "outside"), 10_000, "the outside publisher's metric");
    assert.equal(outside.values["temp"], "21");
    // A script on this host publishing under its name shows on the page, taken from the proxy in process.
    const page = await fetch(`http://127.0.0.1:${httpPort}/events`);
    await readEvents(page, (e) => e.some((x) => x.event === "snapshot"));
    const mine = Bun.spawnSync([disco, "metrics", "--publish", "custom", "7", "--frontend", `ipc://${frontend}`, "--name", "m-1"], { stdout: "pipe", stderr: "pipe" });
    assert.equal(mine.exitCode, 0, mine.stderr.toString());
    const shownOnPage = (e: { event: string; data: string }) => {
      if (e.event !== "metric") return false;
      const m = JSON.parse(e.data) as { host: string; metrics: { values: Record<string, unknown> } };
      return m.host === "m-1" && m.metrics.values["custom"] === "7";
    };
    const events = await readEvents(page, (e) => e.some(shownOnPage), 10_000);
    await page.body?.cancel();
    assert.ok(events.some(shownOnPage), "the page shows the script's metric");
    const metrics = (await (await fetch(`http://127.0.0.1:${httpPort}/api/metrics`)).json()) as Record<string, { values: Record<string, unknown> }>;
    assert.equal(metrics["m-1"]?.values["custom"], "7", "and so does its API");
    assert.equal(connectionsTo(backendPort), 1, "only this test's receiver is connected to the backend");
  });
});
