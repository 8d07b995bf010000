/**
 * Flood, in network namespaces (root only): 10 s of datagrams at 100,000/s (half garbage, half forged
 * sealed frames with a valid key id and a bad tag) at each UDP port of an all-on `disco run` daemon in turn
 * (compiled binary: discovery, sealed beacons, control, the metrics proxy, GPIO), while legitimate peers of
 * that port keep asking (discovery queries, control requests) or beaconing. Prints per port the share of
 * legitimate requests answered or beacons applied (target >= 99%), the daemon's RSS growth (target <= 20 MB)
 * and its CPU time per flood datagram against bare receivers under the same flood. Bounded: each flood stops
 * after 10 s whatever happens. Never fails on the figures. (The py-vault-multicast listener, off unless
 * [beacon.vault] enables it, hears a multicast group the flooder would have to route to: not flooded here.)
 * Usage: bun bench/flood.bench.ts [discovery] [beacon] [control]   (default: all three, in that order)
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, ROOT } from "../tests/_bin.ts";
import { createSysfsTree } from "../tests/gpio/_sysfs-tree.ts";
import { LineReader } from "../tests/_lines.ts";
import { createLan, netnsUnavailable, type LanHost } from "../tests/net/_netns.ts";
import { memoryFigures, procStat } from "./_proc-memory.ts";
import { unitEnvironment } from "./_unit.ts";

const FLOOD_SECONDS = 10;
const FLOOD_PER_SEC = 100_000;
const CLIENTS = 4;

// The flooder: pre-built datagrams for one port (kind), sent in slices every 10 ms to keep the rate (one
// sendMany per slice on the native socket: node:dgram's per-send work held one sender near 90k/s); stops
// after the duration. Half garbage (random bytes, every other one starting like a real frame of that port so
// the decoder reads further), half forged: a real sealed frame of that port with its tag broken, so its
// channel and key id are valid and it costs an AES-GCM open. Prints what it sent.
const FLOODER = `
import { createBeaconBuilder } from "${ROOT}/lib/beacon/index.ts";
import { createKeyring, decodeKey, deriveChannelId, sealingKey } from "${ROOT}/lib/crypto/index.ts";
import { encodeRequest, sealControlFrame } from "${ROOT}/lib/control/index.ts";
import { encodeQuery, sealFrame } from "${ROOT}/lib/discovery/index.ts";
const [kind, keyText, target, port, perSec, seconds] = process.argv.slice(2);
const key = decodeKey(keyText);
const chan = await deriveChannelId("flood");
const beacons = kind === "beacon" ? await createBeaconBuilder({ format: "json", self: { host: "forger", addresses: [] }, intervalMs: 1000, channelId: chan, keyring: await createKeyring([key], "beacon") }) : undefined;
const controlKey = sealingKey(await createKeyring([key], "control"));
const discoveryRing = await createKeyring([key], "discovery");
const sealed = async () => {
  const id = crypto.getRandomValues(new Uint8Array(16));
  if (kind === "discovery") return sealFrame("query", chan, encodeQuery({ id, timeMs: Date.now() }), { key: discoveryRing.keys[0] });
  if (kind === "control") return sealControlFrame("request", chan, controlKey, encodeRequest({ op: "gpio-info", id, args: new Uint8Array(0) }));
  return await beacons.build();
};
const frames = [];
for (let i = 0; i < 512; i++) {
  const real = await sealed();
  const g = crypto.getRandomValues(new Uint8Array(20 + (i % 200)));
  if (i % 2) g.set(real.subarray(0, Math.min(12, g.length)));
  frames.push(g);
  const forged = real.slice();
  forged[forged.length - 1] ^= 0xff;
  frames.push(forged);
}
const s = await Bun.udpSocket({ hostname: "0.0.0.0", port: 0 });
// Every frame twice over as sendMany's flat [data, port, address, ...] list, so any slice of 1024 is contiguous.
const packets = [];
for (let i = 0; i < 2048; i++) packets.push(frames[i & 1023], Number(port), target);
let sent = 0, k = 0;
const t0 = performance.now();
const end = t0 + Number(seconds) * 1000;
await new Promise((resolve) => {
  const tick = () => {
    const now = performance.now();
    if (now >= end) return resolve();
    const due = Math.floor(((now - t0) / 1000) * Number(perSec));
    while (sent < due) {
      const n = Math.min(due - sent, 1024);
      // What the kernel did not take (a full send buffer) is counted as not sent.
      const took = s.sendMany(packets.slice(k * 3, (k + n) * 3));
      sent += took;
      k = (k + took) & 1023;
      if (took < n) break;
    }
    setTimeout(tick, 10);
  };
  tick();
});
s.close();
console.log("sent " + sent + " in " + ((performance.now() - t0) / 1000).toFixed(1) + " s");
`;

// A legitimate peer of one port (kind), until the duration is over. discovery and control: asks 5 times a
// second (within the default reply limit of 10/s), each time waiting for the answer or 1 s; prints what it
// asked and what was answered. beacon: sends a sealed beacon every 50 ms (a fresh sequence number each);
// prints what it sent (what the daemon applied is read from its counters).
const CLIENT = `
import { createBeaconBuilder } from "${ROOT}/lib/beacon/index.ts";
import { createKeyring, decodeKey, deriveChannelId } from "${ROOT}/lib/crypto/index.ts";
import { runControl } from "${ROOT}/lib/control/index.ts";
import { discover } from "${ROOT}/lib/discovery/index.ts";
import { openUdp } from "${ROOT}/lib/net/index.ts";
const [kind, keyText, target, port, seconds, name] = process.argv.slice(2);
const key = decodeKey(keyText);
const chan = await deriveChannelId("flood");
const end = performance.now() + Number(seconds) * 1000;
const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms)); // pacing the peer, not synchronisation
let asked = 0, answered = 0;
if (kind === "beacon") {
  const b = await createBeaconBuilder({ format: "json", self: { host: name, addresses: [] }, intervalMs: 1000, channelId: chan, keyring: await createKeyring([key], "beacon") });
  await using socket = await openUdp({ port: 0 });
  while (performance.now() < end) {
    await socket.send(await b.build(), Number(port), target);
    asked++;
    await pause(50);
  }
} else if (kind === "control") {
  const ring = await createKeyring([key], "control");
  while (performance.now() < end) {
    asked++;
    // A control client's socket is for one call.
    await using socket = await openUdp({ port: 0 });
    const r = await runControl(socket, "gpio-info", new Uint8Array(0), { targets: [{ address: target, port: Number(port) }], channelId: chan, keyring: ring, timeoutMs: 1000, first: true });
    if (r.answers.length) answered++;
    await pause(200);
  }
} else {
  const ring = await createKeyring([key], "discovery");
  await using socket = await openUdp({ port: 0 });
  while (performance.now() < end) {
    asked++;
    const ac = new AbortController();
    // Stop collecting as soon as the one server answered (discover() otherwise waits out its timeout).
    const r = await discover(socket, { targets: [{ address: target, port: Number(port) }], channelId: chan, keyring: ring, timeoutMs: 1000, signal: ac.signal,
      onEvent: (e) => { if (e.type === "answer") ac.abort(); } });
    if (r.hosts.length) answered++;
    await pause(200);
  }
}
console.log("asked " + asked + " answered " + answered);
`;

// The floors: bare Bun UDP receivers that read and drop, under the same flood (what the runtime itself
// costs): on node:dgram (issue 9's floor), and on the native Bun.udpSocket disco's socket layer uses.
const SINK = `
const s = require("node:dgram").createSocket("udp4");
let n = 0;
s.on("message", () => n++);
s.bind(40000, () => console.error("sink listening"));
`;
const SINK_NATIVE = `
let n = 0;
Bun.udpSocket({ hostname: "0.0.0.0", port: 40000, socket: { data: () => n++ } }).then(() => console.error("sink listening"));
`;

/** CPU time in µs. */
const cpuUs = (pid: number) => procStat(pid).cpuMs * 1000;

/** The daemon's UDP ports, each flooded in turn. */
const PORTS = { discovery: 40000, beacon: 9000, control: 40001 } as const;
type Kind = keyof typeof PORTS;
const LEGIT: Record<Kind, string> = {
  discovery: `sealed queries answered (${CLIENTS} clients at 5/s)`,
  beacon: "sealed beacons applied (one peer at 20/s; the daemon's counters)",
  control: `gpio-info requests answered (${CLIENTS} clients at 5/s)`,
};

async function main(): Promise<void> {
  // `bun bench/flood.bench.ts discovery control` floods only those ports.
  const named = process.argv.slice(2);
  const unknown = named.filter((a) => !(a in PORTS));
  if (unknown.length) throw new Error(`unknown port name ${unknown.join(", ")}: use ${Object.keys(PORTS).join(", ")}`);
  const kinds = (Object.keys(PORTS) as Kind[]).filter((k) => named.length === 0 || named.includes(k));
  const why = netnsUnavailable();
  if (why) {
    console.log(`flood in namespaces: skipped (${why})`);
    return;
  }
  const disco = ensureBuilt();
  const tmp = mkdtempSync(join(tmpdir(), "disco-bench-flood-"));
  using tree = createSysfsTree();
  try {
    const keyText = Bun.spawnSync([disco, "keygen"]).stdout.toString().trim();
    writeFileSync(join(tmp, "key"), keyText + "\n");
    writeFileSync(join(tmp, "flooder.ts"), FLOODER);
    writeFileSync(join(tmp, "client.ts"), CLIENT);
    await using lan = await createLan(2 + CLIENTS);
    const [server, attacker, ...clients] = lan.hosts;
    const cfg = join(tmp, "daemon.toml");
    // Every capability with a UDP port, and the rest of an all-on daemon (metrics proxy, GPIO over a sysfs
    // tree). Its own beacons go to the attacker's address, so the beacon counters count only what it hears.
    writeFileSync(
      cfg,
      `[host]\nname = "flooded"\n[daemon]\ncontrol_socket = "${join(tmp, "d.sock")}"\nstate_directory = "${join(tmp, "state")}"\n` +
        `[discovery]\nmagic = "flood"\nkey_file = "${join(tmp, "key")}"\nport = ${PORTS.discovery}\n[control]\nport = ${PORTS.control}\n` +
        `[beacon]\nenabled = true\nformat = "json"\nport = ${PORTS.beacon}\ninterval = "1s"\nbroadcast = ["${attacker!.ip}"]\n` +
        `[metrics]\nenabled = true\nfrontend = "ipc://${join(tmp, "m.ipc")}"\nbackend = "tcp://0.0.0.0:9100"\ninterval = "60s"\n` +
        `[gpio]\ndriver = "sysfs"\nsysfs_root = "${tree.root}"\n[[gpio.output]]\nname = "pump"\nline = 2\n` +
        `[services]\nweb = "http://flooded/"\n`,
    );
    /** What the daemon's beacon receiver applied so far: received minus dropped. */
    const beaconsApplied = (): number => {
      const st = JSON.parse(Bun.spawnSync([disco, "status", "--json", "-c", cfg]).stdout.toString()) as { tasks: { name: string; counters?: { packetsReceived?: number; dropped?: number } }[] };
      const c = st.tasks.find((t) => t.name === "beacons")?.counters;
      return (c?.packetsReceived ?? NaN) - (c?.dropped ?? NaN);
    };
    const floodAt = async (proc: ReturnType<LanHost["spawn"]>, kind: Kind, withClients: boolean) => {
      const pid = proc.pid;
      const port = String(PORTS[kind]);
      // VmRSS, and RssAnon: the process's own memory (heap, malloc), what a leak grows; code pages are not in it.
      const { rss: rss0, anon: anon0 } = memoryFigures(pid);
      const applied0 = withClients && kind === "beacon" ? beaconsApplied() : 0;
      const cpu0 = cpuUs(pid);
      const t0 = performance.now();
      const flooder = attacker!.spawn([process.execPath, join(tmp, "flooder.ts"), kind, keyText, server!.ip, port, String(FLOOD_PER_SEC), String(FLOOD_SECONDS)]);
      const peers = !withClients ? [] : kind === "beacon" ? clients.slice(0, 1) : clients;
      const asking = peers.map((c, i) => c.spawn([process.execPath, join(tmp, "client.ts"), kind, keyText, server!.ip, port, String(FLOOD_SECONDS), `peer${i}`]));
      let rssMax = rss0;
      let anonMax = anon0;
      const sampler = setInterval(() => {
        const m = memoryFigures(pid);
        rssMax = Math.max(rssMax, m.rss);
        anonMax = Math.max(anonMax, m.anon);
      }, 250);
      const [floodOut, ...clientOuts] = await Promise.all([new Response(flooder.stdout).text(), ...asking.map((p) => new Response(p.stdout).text())]);
      clearInterval(sampler);
      const seconds = (performance.now() - t0) / 1000;
      const cpu = cpuUs(pid) - cpu0;
      let asked = 0;
      let answered = 0;
      for (const out of clientOuts) {
        const m = /asked (\d+) answered (\d+)/.exec(out);
        asked += Number(m?.[1] ?? 0);
        answered += Number(m?.[2] ?? 0);
      }
      if (withClients && kind === "beacon") answered = beaconsApplied() - applied0;
      return { kind, sent: Number(/sent (\d+)/.exec(floodOut)?.[1] ?? NaN), seconds, cpu, rss0, rssMax, rss1: memoryFigures(pid).rss, anon0, anonMax, asked, answered };
    };
    // As disco.service runs it: with the unit's Environment= settings.
    const daemon = server!.spawn([disco, "run", "-c", cfg], { env: unitEnvironment() });
    const daemonLog = new LineReader(daemon.stderr);
    await daemonLog.waitFor(/discovery: answering on/);
    // Measured from after the daemon gave back its start-up pages (lib/page-out.ts): from before, that drop
    // would hide what the flood adds. The code the flood runs is then mapped back, so the growth that
    // shows a leak is the anonymous part.
    await daemonLog.waitFor(/start-up pages/, { timeoutMs: 10_000 });
    const anonStart = memoryFigures(daemon.pid).anon;
    const runs = [];
    for (const kind of kinds) runs.push(await floodAt(daemon, kind, true));
    const alive = daemon.exitCode === null;
    daemon.kill("SIGTERM");
    await daemon.exited;
    const floor = async (script: string) => {
      writeFileSync(join(tmp, "sink.js"), script);
      // Under the unit's environment too (its heap sizing and allocator settings), like the daemon.
      const sink = server!.spawn([process.execPath, join(tmp, "sink.js")], { env: unitEnvironment() });
      await new LineReader(sink.stderr).waitFor(/sink listening/);
      const r = await floodAt(sink, "discovery", false);
      sink.kill("SIGTERM");
      await sink.exited;
      return r;
    };
    const b = await floor(SINK);
    const n = await floor(SINK_NATIVE);
    const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
    const perDatagram = (r: { cpu: number; sent: number }) => r.cpu / Math.max(1, r.sent);
    console.log(`flood at each UDP port of an all-on 'disco run' in turn (namespaces; ${FLOOD_SECONDS} s each at ${FLOOD_PER_SEC}/s, half garbage, half forged sealed frames with a valid key id; discovery, sealed beacons, control, metrics proxy, GPIO):`);
    for (const d of runs) {
      console.log(`  ${d.kind} port ${PORTS[d.kind]}: ${d.sent} flood datagrams sent (${(d.sent / FLOOD_SECONDS).toFixed(0)}/s)`);
      console.log(`    legitimate ${LEGIT[d.kind]}: ${d.answered}/${d.asked} = ${((100 * d.answered) / Math.max(1, d.asked)).toFixed(1)}% (target >= 99%)`);
      console.log(`    daemon RSS ${mb(d.rss0)} MB before, ${mb(d.rssMax)} MB peak; its own memory (RssAnon: heap, malloc; what a leak grows) ${mb(d.anon0)} -> ${mb(d.anonMax)} MB peak: growth ${mb(d.anonMax - d.anon0)} MB (target <= 20 MB; ${((d.anonMax - d.anon0) / Math.max(1, n.anonMax - n.anon0)).toFixed(2)}x the Bun.udpSocket floor's)`);
      console.log(`    daemon CPU ${(d.cpu / 1000).toFixed(0)} ms over ${d.seconds.toFixed(1)} s (${((100 * d.cpu) / 1e6 / d.seconds).toFixed(0)}% of a core): ${perDatagram(d).toFixed(2)} µs per flood datagram, ${(perDatagram(d) / perDatagram(b)).toFixed(2)}x the node:dgram floor, ${(perDatagram(d) / perDatagram(n)).toFixed(2)}x the Bun.udpSocket floor`);
    }
    const anonPeak = Math.max(...runs.map((d) => d.anonMax));
    console.log(`  over all ${runs.length} floods: its own memory ${mb(anonStart)} -> ${mb(anonPeak)} MB peak (growth ${mb(anonPeak - anonStart)} MB), ${mb(runs.at(-1)!.rss1)} MB RSS after; ${alive ? "the daemon was still running" : "THE DAEMON HAD EXITED"}`);
    console.log(`  (the rest of the RSS growth is code the floods run, mapped back after the start-up page-out: bounded by the binary; lib/page-out.ts)`);
    for (const [label, f] of [["node:dgram", b], ["Bun.udpSocket", n]] as const) {
      console.log(`  floor, a bare ${label.padEnd(14)} receiver under the discovery flood (the unit's environment): ${f.sent} datagrams; RSS growth ${mb(f.rssMax - f.rss0)} MB (anonymous ${mb(f.anonMax - f.anon0)} MB), ${perDatagram(f).toFixed(2)} µs CPU per datagram`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
