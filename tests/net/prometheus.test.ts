/**
 * A real Prometheus (Debian's package) in a namespace LAN: it finds two disco daemons through one host's
 * `/sd` and scrapes their `/metrics` (bearer token from a credentials file); `promtool check metrics` on a
 * daemon's `/metrics`. Prometheus listens on its own namespace's loopback, with its own storage directory
 * and a 1 s scrape interval; the test waits on its targets API, never on time.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt } from "../_bin.ts";
import { LineReader } from "../_lines.ts";
import { fleetDaemonConfig } from "../http/_daemon.ts";
import { checkMetrics, promtoolUnavailable } from "../http/_promtool.ts";
import { createLan, netnsUnavailable, type LanHost } from "./_netns.ts";

const PROMETHEUS = "/usr/bin/prometheus";
const skip = netnsUnavailable() || promtoolUnavailable() || (existsSync(PROMETHEUS) ? false : "prometheus missing (apt-get install prometheus)");
const TOKEN = "prometheus-test-token-0123456789";

/** GET inside a namespace (the test process lives outside it). */
function fetchIn(host: LanHost, url: string, token?: string): { status: number; body: string } {
  const script = `const r = await fetch(${JSON.stringify(url)}, { headers: ${JSON.stringify(token ? { authorization: `Bearer ${token}` } : {})} }); console.log(r.status); console.log(await r.text());`;
  const r = host.exec([process.execPath, "-e", script]);
  if (r.exitCode !== 0) throw new Error(`fetch ${url} in ${host.ns} failed: ${r.stderr}`);
  const nl = r.stdout.indexOf("\n");
  return { status: Number(r.stdout.slice(0, nl)), body: r.stdout.slice(nl + 1) };
}

describe("Prometheus scrapes the fleet found through /sd (namespaces, compiled binary)", { skip }, () => {
  let disco = "";
  before(() => {
    disco = ensureBuilt();
  });

  it("both daemons become 'up' targets with host labels; /metrics passes promtool", async () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-prom-"));
    try {
      writeFileSync(join(dir, "token"), `${TOKEN}\n`, { mode: 0o600 });
      await using lan = await createLan(3);
      const [a, b, prom] = lan.hosts as [LanHost, LanHost, LanHost];
      const logs: LineReader[] = [];
      for (const [h, name] of [[a, "prom-a"], [b, "prom-b"]] as const) {
        writeFileSync(join(dir, `${name}.toml`), fleetDaemonConfig(name, dir, { intervalMs: 500 }, `\n[http]\nlisten = "0.0.0.0:9180"\ntoken_file = "${join(dir, "token")}"\n`));
        logs.push(new LineReader(h.spawn([disco, "run", "-c", join(dir, `${name}.toml`)]).stderr));
      }
      // /sd of host a lists both daemons once a has heard b's beacon: wait for that event, then read /sd
      // (the fleet view follows the membership event a moment later, hence the short bounded retry).
      await logs[0]!.waitFor(/beacons: join prom-b/, { timeoutMs: 20_000 });
      const deadline = Date.now() + 5_000;
      let sd: { targets: string[]; labels: Record<string, string> }[] = [];
      while (Date.now() < deadline) {
        try {
          const r = fetchIn(a, "http://10.77.0.1:9180/sd", TOKEN);
          if (r.status === 200) sd = JSON.parse(r.body) as typeof sd;
        } catch {
          // not listening yet
        }
        if (sd.length === 2) break;
      }
      assert.deepEqual(
        sd.map((g) => [g.targets[0], g.labels["host"], g.labels["state"]]),
        [
          ["10.77.0.1:9180", "prom-a", "alive"],
          ["10.77.0.2:9180", "prom-b", "alive"],
        ],
      );
      assert.equal(fetchIn(a, "http://10.77.0.1:9180/sd").status, 401, "without the token: refused");

      // Host a has heard both (its /sd listed them).
      const metrics = fetchIn(a, "http://10.77.0.1:9180/metrics", TOKEN);
      assert.equal(metrics.status, 200);
      const checked = await checkMetrics(metrics.body);
      assert.deepEqual(checked.problems, [], "promtool check metrics");
      assert.ok(/^node_load1 /m.test(metrics.body), "node_load1 in /metrics");
      assert.ok(/^disco_hosts\{state="alive"\} 2$/m.test(metrics.body), 'disco_hosts{state="alive"} 2 in /metrics');

      const promDir = join(dir, "prometheus");
      writeFileSync(join(dir, "prom-token"), TOKEN);
      writeFileSync(
        join(dir, "prometheus.yml"),
        `global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: disco
    authorization:
      type: Bearer
      credentials_file: ${join(dir, "prom-token")}
    http_sd_configs:
      - url: http://10.77.0.1:9180/sd
        refresh_interval: 1s
        # Prometheus 2.42 (Debian 12) sends the bare token to http_sd unless the type is given.
        authorization:
          type: Bearer
          credentials_file: ${join(dir, "prom-token")}
`,
      );
      const promProc = prom.spawn([PROMETHEUS, `--config.file=${join(dir, "prometheus.yml")}`, `--storage.tsdb.path=${promDir}`, "--web.listen-address=127.0.0.1:9090", "--log.level=warn"]);
      interface Target {
        labels: Record<string, string>;
        health: string;
        lastError: string;
      }
      let targets: Target[] = [];
      const until = Date.now() + 30_000;
      while (Date.now() < until) {
        try {
          const r = fetchIn(prom, "http://127.0.0.1:9090/api/v1/targets?state=active");
          if (r.status === 200) targets = (JSON.parse(r.body) as { data: { activeTargets: Target[] } }).data.activeTargets;
        } catch {
          // Prometheus still starting
        }
        if (targets.length === 2 && targets.every((t) => t.health === "up")) break;
        // Prometheus publishes no event to wait on: pace the poll instead of starting a process per turn.
        await new Promise((r) => setTimeout(r, 200));
      }
      if (!(targets.length === 2 && targets.every((t) => t.health === "up"))) {
        promProc.kill("SIGKILL");
        assert.fail(`Prometheus targets: ${JSON.stringify(targets)}; its log: ${(await new Response(promProc.stderr).text()).slice(-3000)}`);
      }
      assert.deepEqual(
        targets.map((t) => [t.labels["host"], t.labels["instance"], t.health, t.lastError]).sort(),
        [
          ["prom-a", "10.77.0.1:9180", "up", ""],
          ["prom-b", "10.77.0.2:9180", "up", ""],
        ],
      );
      // And the scraped samples carry the labels from /sd.
      const q = fetchIn(prom, `http://127.0.0.1:9090/api/v1/query?query=${encodeURIComponent('disco_build_info{job="disco"}')}`);
      const result = (JSON.parse(q.body) as { data: { result: { metric: Record<string, string> }[] } }).data.result;
      assert.deepEqual(result.map((r) => r.metric["host"]).sort(), ["prom-a", "prom-b"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
