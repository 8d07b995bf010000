/**
 * RSS of the compiled daemon with `[http]` and `[mqtt]` on, next to the same daemon without them
 * (discovery off, beacons + metrics proxy + collectors on, loopback only). Each daemon runs 10 s, then
 * VmRSS is read from /proc (after each daemon gave back its start-up pages, 2 s after it started: the
 * difference is the memory and code [http] and [mqtt] really use); a real mosquitto on loopback is the
 * broker. Figures only.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, freeTcpPort } from "../tests/_bin.ts";
import { daemonConfigHead } from "../tests/http/_daemon.ts";
import { LineReader } from "../tests/_lines.ts";
import { mosquittoUnavailable, startMosquitto, watch } from "../tests/mqtt/_mosquitto.ts";

const skip = mosquittoUnavailable();
if (skip) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}
const disco = ensureBuilt();
const dir = mkdtempSync(join(tmpdir(), "disco-rss-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
await using broker = await startMosquitto();

function base(name: string, metricsPort: number, beaconPort: number): string {
  return `${daemonConfigHead(name, dir)}[beacon]
enabled = true
port = ${beaconPort}
broadcast = ["127.255.255.255"]
format = "json"
[metrics]
enabled = true
frontend = "ipc://${join(dir, `${name}.ipc`)}"
backend = "tcp://127.0.0.1:${metricsPort}"
interval = "5s"
`;
}

async function rssAfter(name: string, extra: string): Promise<number> {
  const file = join(dir, `${name}.toml`);
  writeFileSync(file, base(name, await freeTcpPort(), await freeTcpPort()) + extra);
  const p = Bun.spawn([disco, "run", "-c", file], { stdout: "ignore", stderr: "pipe" });
  const err = new LineReader(p.stderr);
  await err.waitFor(/running /, { timeoutMs: 20_000 });
  if (extra.includes("[mqtt]")) {
    await using w = await watch(broker.url, [`disco/${name}/availability`]);
    await w.until(() => w.last.get(`disco/${name}/availability`)?.payload === "online", "online");
  }
  if (extra.includes("[http]")) {
    const port = /listen = "127.0.0.1:(\d+)"/.exec(extra)![1];
    await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    await (await fetch(`http://127.0.0.1:${port}/`)).text();
  }
  await Bun.sleep(10_000); // a bench lets the daemon settle; tests never do this
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p.pid}/status`, "utf8"))![1]);
  p.kill("SIGTERM");
  await p.exited;
  return kb / 1024;
}

const off = await rssAfter("rss-off", "");
const httpPort = await freeTcpPort();
const on = await rssAfter("rss-on", `[http]\nlisten = "127.0.0.1:${httpPort}"\n[mqtt]\nurl = "${broker.url}"\n`);
const httpOnly = await rssAfter("rss-http", `[http]\nlisten = "127.0.0.1:${await freeTcpPort()}"\n`);
console.log(`daemon RSS after 10 s: without [http]/[mqtt] ${off.toFixed(1)} MB; with [http] ${httpOnly.toFixed(1)} MB (+${(httpOnly - off).toFixed(1)}); with [http] and [mqtt] ${on.toFixed(1)} MB (+${(on - off).toFixed(1)} MB, ${(on / off).toFixed(2)}x)`);
