/**
 * Control benchmarks (print figures, never fail on them):
 *  1. remote `set` round trip on loopback against a compiled disco-server over a sysfs tree: in-process
 *     client (request → challenge → command → result, the line written before the result), next to a
 *     one-round-trip read (`get`) as the baseline; and the compiled client from process start to exit;
 *  2. the compiled client's `set` across network namespaces (root only);
 *  3. query fan-out to 20 hosts in namespaces: time until the last answer (root only).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CONTROL_PURPOSE, encodeGetArgs, encodeSetArgs, runControl } from "../lib/control/index.ts";
import { createKeyring, decodeKey, deriveChannelId } from "../lib/crypto/index.ts";
import { openUdp } from "../lib/net/index.ts";
import { ensureBuilt, freeUdpPort, spawn } from "../tests/_bin.ts";
import { LineReader } from "../tests/_lines.ts";
import { createSysfsTree } from "../tests/gpio/_sysfs-tree.ts";
import { createLan, netnsUnavailable } from "../tests/net/_netns.ts";

const disco = ensureBuilt();
const tmp = mkdtempSync(join(tmpdir(), "disco-bench-ctl-"));
const keyFile = join(tmp, "key");
writeFileSync(keyFile, Bun.spawnSync([disco, "keygen"]).stdout.toString());

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const fmt = (xs: number[]) => `p50 ${pct(xs, 50).toFixed(2)} ms, p99 ${pct(xs, 99).toFixed(2)} ms (n=${xs.length})`;

function config(name: string, port: number, sysfsRoot: string, extra = ""): string {
  const p = join(tmp, `${name}.toml`);
  writeFileSync(
    p,
    `[host]\nname = "${name}"\n[discovery]\nmagic = "bench"\nkey_file = "${keyFile}"\nport = ${port + 1}\n[control]\nport = ${port}\n` +
      `[gpio]\ndriver = "sysfs"\nsysfs_root = "${sysfsRoot}"\n[[gpio.output]]\nname = "pump"\nline = 1\nremote = true\n${extra}`,
  );
  return p;
}

// 1. Loopback.
{
  using tree = createSysfsTree();
  const port = await freeUdpPort();
  await using server = spawn([disco, "server", "-c", config("loop", port, tree.root), "-l", "127.0.0.1"]);
  await new LineReader(server.proc.stderr).waitFor(/control: listening/);
  const ring = await createKeyring([decodeKey(readFileSync(keyFile, "utf8"))], CONTROL_PURPOSE);
  const channelId = await deriveChannelId("bench");
  const value = () => readFileSync(join(tree.lineDir(1), "value"), "utf8").trim();
  // One socket per operation: runControl may leave a read pending on it.
  const once = async (op: "gpio-set" | "gpio-get", args: Uint8Array) => {
    await using socket = await openUdp({ address: "127.0.0.1", port: 0 });
    const t0 = performance.now();
    const r = await runControl(socket, op, args, { targets: [{ address: "127.0.0.1", port }], channelId, keyring: ring, timeoutMs: 2000, first: true });
    if (r.answers[0]?.status !== "ok") throw new Error(`no ok answer: ${JSON.stringify(r)}`);
    return performance.now() - t0;
  };
  const sets: number[] = [];
  const gets: number[] = [];
  for (let i = 0; i < 10; i++) await once("gpio-get", encodeGetArgs("pump")); // warm-up
  // 150 x 3 datagrams stay inside one source's decrypt budget (500/s).
  for (let i = 0; i < 150; i++) {
    await using s = await openUdp({ address: "127.0.0.1", port: 0 });
    const v = i % 2;
    const t0 = performance.now();
    const r = await runControl(s, "gpio-set", encodeSetArgs("pump", v), { targets: [{ address: "127.0.0.1", port }], channelId, keyring: ring, timeoutMs: 2000, first: true });
    sets.push(performance.now() - t0);
    if (r.answers[0]?.status !== "ok" || value() !== String(v)) throw new Error(`set ${v} did not reach the line: ${JSON.stringify(r.answers)} value ${value()}`);
    await using g = await openUdp({ address: "127.0.0.1", port: 0 });
    const t1 = performance.now();
    await runControl(g, "gpio-get", encodeGetArgs("pump"), { targets: [{ address: "127.0.0.1", port }], channelId, keyring: ring, timeoutMs: 2000, first: true });
    gets.push(performance.now() - t1);
  }
  console.log(`loopback, in-process client: set (2 round trips) ${fmt(sets)}`);
  console.log(`loopback, in-process client: get (1 round trip)  ${fmt(gets)}  -> set/get ${(pct(sets, 50) / pct(gets, 50)).toFixed(2)}x at p50`);
  const bin: number[] = [];
  for (let i = 0; i < 30; i++) {
    const v = i % 2;
    const t0 = performance.now();
    const p = Bun.spawnSync([disco, "gpio", "-m", "bench", "--key-file", keyFile, "--host", `127.0.0.1:${port}`, "set", "pump", String(v)]);
    bin.push(performance.now() - t0);
    if (p.exitCode !== 0 || value() !== String(v)) throw new Error(`disco gpio set failed: ${p.stderr.toString()}`);
  }
  const version: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    Bun.spawnSync([disco, "--version"]);
    version.push(performance.now() - t0);
  }
  console.log(`loopback, compiled client start -> exit (line changed): ${fmt(bin)}; 'disco --version' start -> exit ${fmt(version)} (process floor)`);
}

const skip = netnsUnavailable();
if (skip) console.log(`namespaces: skipped (${skip})`);
else {
  // 2. Across namespaces.
  {
    using tree = createSysfsTree();
    await using lan = await createLan(2);
    const [target, client] = lan.hosts;
    const p = target!.spawn([disco, "server", "-c", config("ns", 40001, tree.root)]);
    await new LineReader(p.stderr).waitFor(/control: listening/);
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      const v = i % 2;
      const t0 = performance.now();
      const r = client!.exec([disco, "gpio", "-m", "bench", "--key-file", keyFile, "--host", target!.ip, "set", "pump", String(v)]);
      times.push(performance.now() - t0);
      if (r.exitCode !== 0 || readFileSync(join(tree.lineDir(1), "value"), "utf8").trim() !== String(v)) throw new Error(`set failed: ${r.stderr}`);
    }
    console.log(`namespaces, compiled client start -> exit (line changed), via 'ip netns exec': ${fmt(times)}`);
    const r = client!.exec([process.execPath, join(import.meta.dir, "_control-rtt.ts"), target!.ip, "40001", keyFile, "150"]);
    if (r.exitCode !== 0) throw new Error(r.stderr);
    const rtt = JSON.parse(r.stdout) as number[];
    console.log(`namespaces, in-process client: set (2 round trips over veth + bridge) ${fmt(rtt)}; last value ${readFileSync(join(tree.lineDir(1), "value"), "utf8").trim()}`);
  }
  // 3. Fan-out.
  {
    await using lan = await createLan(21);
    const [client, ...targets] = lan.hosts;
    const ready = targets.map((t, i) => {
      const p = join(tmp, `fan${i}.toml`);
      writeFileSync(p, `[host]\nname = "fan-${i}"\n[discovery]\nmagic = "bench"\nkey_file = "${keyFile}"\n[control]\nport = 40001\n[[query]]\nname = "up"\ncommand = ["cat", "/proc/uptime"]\n`);
      return new LineReader(t.spawn([disco, "server", "-c", p]).stderr).waitFor(/control: listening/, { timeoutMs: 60_000 });
    });
    await Promise.all(ready);
    const last: number[] = [];
    const wall: number[] = [];
    let complete = 0;
    const runs = 5;
    for (let run = 0; run < runs; run++) {
      const t0 = performance.now();
      const r = client!.exec([disco, "query", "up", "-m", "bench", "--key-file", keyFile, "-i", "eth0", "-t", "3", "--json"]);
      wall.push(performance.now() - t0);
      const doc = JSON.parse(r.stdout) as { answers: { ms: number; status: string }[] };
      const ok = doc.answers.filter((a) => a.status === "ok");
      if (ok.length === 20) complete++;
      last.push(Math.max(...ok.map((a) => a.ms)));
    }
    console.log(`query fan-out to 20 hosts in namespaces: time to the last answer ${fmt(last)}; all 20 answered in ${complete}/${runs} runs; client wall time (waits its -t 3 s) ${fmt(wall)}`);
  }
}
