/**
 * Flood, in network namespaces (root only): 10 s of datagrams at 100,000/s (half garbage, half forged
 * sealed queries with a valid key id and a bad tag) at the discovery port of a `disco run` daemon (compiled
 * binary, discovery and sealed beacons on), while legitimate clients keep asking. Prints the share of
 * legitimate queries answered (target >= 99%), the daemon's RSS growth (target <= 20 MB) and its CPU time
 * per flood datagram. Bounded: the flood stops after 10 s whatever happens. Never fails on the figures.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, ROOT } from "../tests/_bin.ts";
import { LineReader } from "../tests/_lines.ts";
import { createLan, netnsUnavailable, type LanHost } from "../tests/net/_netns.ts";
import { memoryFigures, procStat } from "./_proc-memory.ts";
import { unitEnvironment } from "./_unit.ts";

const FLOOD_SECONDS = 10;
const FLOOD_PER_SEC = 100_000;
const CLIENTS = 4;

// The flooder: pre-built datagrams, sent in slices every 10 ms to keep the rate (one sendMany per slice on
// the native socket: node:dgram's per-send work held one sender near 90k/s); stops after the duration.
// Prints what it sent.
const FLOODER = `
import { createKeyring, decodeKey } from "${ROOT}/lib/crypto/index.ts";
import { deriveChannelId } from "${ROOT}/lib/crypto/index.ts";
import { encodeQuery, sealFrame } from "${ROOT}/lib/discovery/index.ts";
const [keyText, target, port, perSec, seconds] = process.argv.slice(2);
const ring = await createKeyring([decodeKey(keyText)], "discovery");
const chan = await deriveChannelId("flood");
const frames = [];
for (let i = 0; i < 512; i++) {
  // Garbage: random bytes, sometimes starting with the marker so the decoder reads further.
  const g = crypto.getRandomValues(new Uint8Array(20 + (i % 200)));
  if (i % 2) { g[0] = 0xd1; g[1] = 0x5c; g[2] = 1; }
  frames.push(g);
  // Forged: a real sealed query with its tag broken: valid channel and key id, so it costs a decrypt.
  const q = sealFrame("query", chan, encodeQuery({ id: crypto.getRandomValues(new Uint8Array(16)), timeMs: Date.now() }), { key: ring.keys[0] });
  q[q.length - 1] ^= 0xff;
  frames.push(q);
}
const s = await Bun.udpSocket({ hostname: "0.0.0.0", port: 0 });
// Every frame twice over as sendMany's flat [data, port, address, ...] list, so any slice of 1024 is contiguous.
const packets = [];
for (let i = 0; i < 2048; i++) packets.push(frames[i & 1023], Number(port), target);
let sent = 0, k = 0;
const perTick = Number(perSec) / 100;
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

// A legitimate client: asks 5 times a second (within the default reply limit of 10/s), each time waiting
// for the answer or 1 s, until the duration is over.
const CLIENT = `
import { createKeyring, decodeKey, deriveChannelId } from "${ROOT}/lib/crypto/index.ts";
import { discover } from "${ROOT}/lib/discovery/index.ts";
import { openUdp } from "${ROOT}/lib/net/index.ts";
const [keyText, target, port, seconds] = process.argv.slice(2);
const ring = await createKeyring([decodeKey(keyText)], "discovery");
const chan = await deriveChannelId("flood");
await using socket = await openUdp({ port: 0 });
const end = performance.now() + Number(seconds) * 1000;
let asked = 0, answered = 0;
while (performance.now() < end) {
  asked++;
  const ac = new AbortController();
  // Stop collecting as soon as the one server answered (discover() otherwise waits out its timeout).
  const r = await discover(socket, { targets: [{ address: target, port: Number(port) }], channelId: chan, keyring: ring, timeoutMs: 1000, signal: ac.signal,
    onEvent: (e) => { if (e.type === "answer") ac.abort(); } });
  if (r.hosts.length) answered++;
  await new Promise((resolve) => setTimeout(resolve, 200)); // pacing the client, not synchronisation
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

async function main(): Promise<void> {
  const why = netnsUnavailable();
  if (why) {
    console.log(`flood in namespaces: skipped (${why})`);
    return;
  }
  const disco = ensureBuilt();
  const tmp = mkdtempSync(join(tmpdir(), "disco-bench-flood-"));
  try {
    const keyText = Bun.spawnSync([disco, "keygen"]).stdout.toString().trim();
    writeFileSync(join(tmp, "key"), keyText + "\n");
    writeFileSync(join(tmp, "flooder.ts"), FLOODER);
    writeFileSync(join(tmp, "client.ts"), CLIENT);
    await using lan = await createLan(2 + CLIENTS);
    const [server, attacker, ...clients] = lan.hosts;
    const cfg = join(tmp, "daemon.toml");
    writeFileSync(
      cfg,
      `[host]\nname = "flooded"\n[discovery]\nmagic = "flood"\nkey_file = "${join(tmp, "key")}"\nport = 40000\n` +
        `[beacon]\nenabled = true\nformat = "json"\nport = 9000\ninterval = "1s"\n[services]\nweb = "http://flooded/"\n`,
    );
    const floodAt = async (proc: ReturnType<LanHost["spawn"]>, withClients: boolean) => {
      const pid = proc.pid;
      // VmRSS, and RssAnon: the process's own memory (heap, malloc), what a leak grows; code pages are not in it.
      const { rss: rss0, anon: anon0 } = memoryFigures(pid);
      const cpu0 = cpuUs(pid);
      const t0 = performance.now();
      const flooder = attacker!.spawn([process.execPath, join(tmp, "flooder.ts"), keyText, server!.ip, "40000", String(FLOOD_PER_SEC), String(FLOOD_SECONDS)]);
      const asking = withClients ? clients.map((c) => c.spawn([process.execPath, join(tmp, "client.ts"), keyText, server!.ip, "40000", String(FLOOD_SECONDS)])) : [];
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
      let asked = 0;
      let answered = 0;
      for (const out of clientOuts) {
        const m = /asked (\d+) answered (\d+)/.exec(out);
        asked += Number(m?.[1] ?? 0);
        answered += Number(m?.[2] ?? 0);
      }
      return { sent: Number(/sent (\d+)/.exec(floodOut)?.[1] ?? NaN), seconds, cpu: cpuUs(pid) - cpu0, rss0, rssMax, rss1: memoryFigures(pid).rss, anon0, anonMax, asked, answered };
    };
    // As disco.service runs it: with the unit's Environment= settings.
    const daemon = server!.spawn([disco, "run", "-c", cfg], { env: unitEnvironment() });
    const daemonLog = new LineReader(daemon.stderr);
    await daemonLog.waitFor(/discovery: answering on/);
    // Measured from after the daemon gave back its start-up pages (lib/page-out.ts): from before, that drop
    // would hide what the flood adds. The code the flood runs is then mapped back, so the growth that
    // shows a leak is the anonymous part.
    await daemonLog.waitFor(/start-up pages/, { timeoutMs: 10_000 });
    const d = await floodAt(daemon, true);
    daemon.kill("SIGTERM");
    await daemon.exited;
    const floor = async (script: string) => {
      writeFileSync(join(tmp, "sink.js"), script);
      const sink = server!.spawn([process.execPath, join(tmp, "sink.js")]);
      await new LineReader(sink.stderr).waitFor(/sink listening/);
      const r = await floodAt(sink, false);
      sink.kill("SIGTERM");
      await sink.exited;
      return r;
    };
    const b = await floor(SINK);
    const n = await floor(SINK_NATIVE);
    const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
    console.log(`flood at the discovery port of 'disco run' (namespaces; ${FLOOD_SECONDS} s, half garbage, half forged sealed queries with a valid key id):`);
    console.log(`  flood sent:                  ${d.sent} datagrams (${(d.sent / FLOOD_SECONDS).toFixed(0)}/s; target ${FLOOD_PER_SEC}/s)`);
    console.log(`  legitimate queries answered: ${d.answered}/${d.asked} = ${((100 * d.answered) / Math.max(1, d.asked)).toFixed(1)}% (${CLIENTS} clients at 5 queries/s; target >= 99%)`);
    console.log(`  daemon RSS:                  ${mb(d.rss0)} MB before, ${mb(d.rssMax)} MB peak, ${mb(d.rss1)} MB after: growth ${mb(d.rssMax - d.rss0)} MB`);
    console.log(`    of it, its own memory (RssAnon: heap, malloc; what a leak grows): ${mb(d.anon0)} -> ${mb(d.anonMax)} MB peak: growth ${mb(d.anonMax - d.anon0)} MB (target <= 20 MB)`);
    console.log(`    the rest is code the flood runs, mapped back after the start-up page-out (bounded by the binary; lib/page-out.ts)`);
    console.log(`  daemon CPU:                  ${(d.cpu / 1000).toFixed(0)} ms over ${d.seconds.toFixed(1)} s (${((100 * d.cpu) / 1e6 / d.seconds).toFixed(0)}% of a core), ${(d.cpu / Math.max(1, d.sent)).toFixed(2)} µs per flood datagram`);
    const perDatagram = (r: typeof d) => r.cpu / Math.max(1, r.sent);
    for (const [label, f] of [["node:dgram", b], ["Bun.udpSocket", n]] as const) {
      console.log(`  floor, bare ${label.padEnd(14)}   ${f.sent} datagrams; RSS growth ${mb(f.rssMax - f.rss0)} MB (${mb(f.rss0)} -> ${mb(f.rssMax)} peak; anonymous ${mb(f.anonMax - f.anon0)} MB), ${perDatagram(f).toFixed(2)} µs CPU per datagram`);
      console.log(`  ratios to that floor:        CPU per datagram ${(perDatagram(d) / perDatagram(f)).toFixed(2)}x, anonymous growth ${((d.anonMax - d.anon0) / Math.max(1, f.anonMax - f.anon0)).toFixed(2)}x`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
