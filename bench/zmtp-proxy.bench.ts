/**
 * The metrics proxy under load, disco's ZMTP against libzmq's own:
 *  1. throughput, 100-byte messages, 1 libzmq publisher → proxy → 1 libzmq subscriber on loopback tcp,
 *     disco's proxy (the compiled binary) next to `zmq.proxy` (pyzmq), same endpoints, as a ratio;
 *  2. publish → receive latency through each proxy at 1,000 messages/s, p50 and p99;
 *  3. RSS of disco's proxy while 1,000,000 messages pass with one stalled subscriber;
 *  4. throughput again with 1,000 idle connections and 10,000 junk subscriptions present on the backend
 *     (issue 9): libzmq, disco with its limits raised to hold them all (same load), and the compiled
 *     binary with its default limits (16 per address held, the rest refused);
 * Prints figures; never fails on time. ZMTP_BENCH_SECTIONS=1,4 runs some sections only. Needs /usr/bin/python3 with zmq (python3-zmq).
 */
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { ensureBuilt } from "../tests/_bin.ts";
import { ProcLines } from "../tests/metrics/_proc.ts";
import { PYTHON, PyPeer, pyzmqUnavailable } from "../tests/zmtp/_peer.ts";
import { connect, type Socket } from "node:net";
import { encodeCommand, encodeFrame, encodeGreeting, parseEndpoint, PubSocket, SubSocket } from "../lib/zmtp/index.ts";

const BENCH_PY = join(import.meta.dir, "..", "tests", "zmtp", "peers", "bench.py");
const THROUGHPUT_COUNT = Number(process.env.ZMTP_BENCH_COUNT ?? 300_000);
const LATENCY_COUNT = 3000;
const RSS_COUNT = 1_000_000;
/** Which sections to run, e.g. ZMTP_BENCH_SECTIONS=1,4 (default all). */
const SECTIONS = new Set((process.env.ZMTP_BENCH_SECTIONS ?? "1,2,3,4").split(",").map((x) => Number(x.trim())));

interface Proxy extends AsyncDisposable {
  readonly name: string;
  readonly frontend: string;
  readonly backend: string;
  readonly pid: number;
  readonly lines?: ProcLines;
}

async function discoProxy(disco: string): Promise<Proxy> {
  const lines = new ProcLines(Bun.spawn([disco, "metrics", "--proxy", "--frontend", "tcp://127.0.0.1:0", "--backend", "tcp://127.0.0.1:0", "--debug"], { stdout: "pipe", stderr: "pipe", stdin: "ignore" }));
  const [, frontend, backend] = /^proxy: frontend (\S+) backend (\S+)$/.exec(await lines.waitFor("err", /^proxy: frontend/))!;
  return { name: "disco", frontend: frontend!, backend: backend!, pid: lines.proc.pid, lines, [Symbol.asyncDispose]: () => lines[Symbol.asyncDispose]() };
}

async function libzmqProxy(): Promise<Proxy> {
  const peer = new PyPeer(["proxy", "tcp://127.0.0.1:*", "tcp://127.0.0.1:*"]);
  const [frontend, backend] = await peer.ready();
  return { name: "libzmq", frontend: frontend!, backend: backend!, pid: peer.proc.pid, [Symbol.asyncDispose]: () => peer.close() };
}

/** Spawns tests/zmtp/peers/bench.py and waits for its "ready" line; the caller disposes of it. */
async function py(args: string[]): Promise<ProcLines> {
  const p = new ProcLines(Bun.spawn([PYTHON, BENCH_PY, ...args], { stdout: "pipe", stderr: "pipe", stdin: "pipe" }));
  try {
    await p.waitFor("out", /^ready/);
    return p;
  } catch (err) {
    await p[Symbol.asyncDispose]();
    throw err;
  }
}

/** Tells bench.py's publisher `pub` (its warm-up seen) to send its counted messages. */
function go(pub: ProcLines): void {
  const stdin = pub.proc.stdin as import("bun").FileSink;
  stdin.write("go\n");
  stdin.flush();
}

/** CPU seconds (user + system, every thread) the process has used so far. */
function cpuSeconds(pid: number): number {
  // /proc/PID/stat: fields 14 and 15 (utime, stime) in clock ticks, counted after the ")" of the name.
  const after = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(after[11]) + Number(after[12])) / 100;
}

/**
 * Messages per second through `proxy`, and the proxy's CPU per message: on a shared machine the rate moves
 * with the neighbours' load, the CPU per message much less.
 */
async function throughput(proxy: Proxy): Promise<{ rate: number; received: number; cpuUsPerMessage: number }> {
  await using sub = await py(["sub", proxy.backend]);
  await using pub = await py(["pub", proxy.frontend, String(THROUGHPUT_COUNT), "100"]);
  await sub.waitFor("out", /^warm/, 20_000);
  const cpu0 = cpuSeconds(proxy.pid);
  go(pub);
  const [, n, secs] = /^done (\d+) ([\d.]+)/.exec(await sub.waitFor("out", /^done/, 120_000))!;
  const cpu = cpuSeconds(proxy.pid) - cpu0;
  return { rate: Number(n) / Number(secs), received: Number(n), cpuUsPerMessage: (cpu * 1e6) / THROUGHPUT_COUNT };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function latency(proxy: Proxy): Promise<{ p50: number; p99: number; received: number }> {
  await using pub = new PubSocket();
  await using sub = new SubSocket({ receiveHighWaterMark: 100_000 });
  sub.subscribe("");
  pub.connect(proxy.frontend);
  sub.connect(proxy.backend);
  await pub.waitForSubscriber(AbortSignal.timeout(10_000));
  // Warm up until the path delivers.
  for (;;) {
    pub.send("warm");
    const m = await sub.receive(AbortSignal.timeout(200));
    if (m) break;
  }
  while (await sub.receive(AbortSignal.timeout(50))) {
    // drain the warm-ups
  }
  const samples: number[] = [];
  const done = (async () => {
    while (samples.length < LATENCY_COUNT) {
      const m = await sub.receive(AbortSignal.timeout(5000));
      if (!m) return;
      const view = new DataView(m[0]!.buffer, m[0]!.byteOffset, m[0]!.byteLength);
      samples.push(performance.now() - view.getFloat64(0));
    }
  })();
  const t0 = performance.now();
  for (let i = 0; i < LATENCY_COUNT; i++) {
    const due = t0 + i; // 1,000 messages per second
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const body = new Uint8Array(100);
    new DataView(body.buffer).setFloat64(0, performance.now());
    pub.send(body);
  }
  await done;
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), received: samples.length };
}

function memory(pid: number): { rssKb: number; peakKb: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, "m").exec(s)?.[1] ?? NaN);
  return { rssKb: kb("VmRSS"), peakKb: kb("VmHWM") };
}

async function stalledRss(disco: string): Promise<void> {
  await using proxy = await discoProxy(disco);
  const before = memory(proxy.pid);
  await using stalled = await py(["stall", proxy.backend]);
  await proxy.lines!.waitFor("err", /^backend: SUB peer/);
  await using live = await py(["sub", proxy.backend]);
  await using pub = await py(["pub", proxy.frontend, String(RSS_COUNT), "100"]);
  await live.waitFor("out", /^warm/, 20_000);
  // Sample the proxy's RSS every 100 ms while the million messages pass: bounded means flat, not growing.
  const samples: number[] = [];
  const sampler = setInterval(() => samples.push(memory(proxy.pid).rssKb), 100);
  go(pub);
  const [, n] = /^done (\d+)/.exec(await live.waitFor("out", /^done/, 300_000))!;
  clearInterval(sampler);
  const after = memory(proxy.pid);
  const mib = (kb: number) => `${(kb / 1024).toFixed(1)}`;
  const q = (f: number) => mib(samples[Math.min(samples.length - 1, Math.floor(f * samples.length))] ?? NaN);
  await proxy.lines!.stop();
  const summary = await proxy.lines!.waitFor("err", /^forwarded/, 5000).catch(() => "");
  console.log(`  ${RSS_COUNT.toLocaleString("en")} messages of 100 bytes published; live subscriber got ${Number(n).toLocaleString("en")}; one subscriber stalled`);
  console.log(`  disco proxy RSS: ${(before.rssKb / 1024).toFixed(1)} MiB at start, ${(after.rssKb / 1024).toFixed(1)} MiB after, peak ${(after.peakKb / 1024).toFixed(1)} MiB`);
  console.log(`  RSS during the run (MiB) at 25/50/75/100% of it: ${q(0.25)} / ${q(0.5)} / ${q(0.75)} / ${q(0.999)} (${samples.length} samples, max ${mib(Math.max(...samples))})`);
  console.log(`  proxy counters: ${summary}`);
}

const IDLE_CONNECTIONS = 1000;
const JUNK_PEERS = 100;
const JUNK_TOPICS_PER_PEER = 100;

/** A disco proxy in its own bun process (bench/_zmtp-proxy-server.ts) with the given backend limits. */
async function discoProxyWithLimits(limits: Record<string, number>): Promise<Proxy> {
  const script = join(import.meta.dir, "_zmtp-proxy-server.ts");
  const lines = new ProcLines(Bun.spawn([process.execPath, script, JSON.stringify(limits)], { stdout: "pipe", stderr: "pipe", stdin: "ignore" }));
  const [, frontend, backend] = /^ready (\S+) (\S+)$/.exec(await lines.waitFor("out", /^ready/))!;
  return { name: "disco (limits raised)", frontend: frontend!, backend: backend!, pid: lines.proc.pid, lines, [Symbol.asyncDispose]: () => lines[Symbol.asyncDispose]() };
}

/**
 * Opens `IDLE_CONNECTIONS` raw ZMTP SUB connections to `backend` (from 127.0.0.2): each sends its greeting and
 * READY; the first `JUNK_PEERS` also subscribe to `JUNK_TOPICS_PER_PEER` distinct junk topics each, then a
 * PING; resolves once every connection was answered (a PONG, or closed by a limit).
 */
async function idleLoad(backend: string): Promise<{ sockets: Socket[]; held: number; closed: number }> {
  const ep = parseEndpoint(backend);
  if (ep.transport !== "tcp") throw new Error("tcp only");
  const te = new TextEncoder();
  const cmd = (c: Parameters<typeof encodeCommand>[0]) => encodeFrame(encodeCommand(c), { command: true });
  const greeting = encodeGreeting();
  const ready = cmd({ type: "READY", metadata: [["Socket-Type", te.encode("SUB")]] });
  const ping = cmd({ type: "PING", ttlDs: 0, context: te.encode("x") });
  const sockets: Socket[] = [];
  let closed = 0;
  const settled = await Promise.all(
    Array.from({ length: IDLE_CONNECTIONS }, (_, i) =>
      new Promise<void>((resolve) => {
        // READY and the rest once the peer's greeting arrived, as disco's sessions do (libzmq 4.3.4 here closed
        // raw peers that sent greeting, READY and subscriptions in one write, after its 10-byte signature).
        const frames = [ready];
        if (i < JUNK_PEERS) for (let t = 0; t < JUNK_TOPICS_PER_PEER; t++) frames.push(cmd({ type: "SUBSCRIBE", topic: te.encode(`junk-${i}-${t}`) }));
        frames.push(ping);
        const s = connect({ host: ep.host, port: ep.port, localAddress: "127.0.0.2" }, () => s.write(greeting));
        sockets.push(s);
        let got = 0;
        let sent = false;
        // The reply holds greeting (64), READY and a PONG (its name in clear).
        s.on("data", (d: Buffer) => {
          got += d.length;
          if (!sent && got >= 64) {
            sent = true;
            s.write(Buffer.concat(frames));
          }
          if (d.includes(Buffer.from("PONG"))) resolve();
        });
        s.on("close", () => {
          closed++;
          resolve();
        });
        s.on("error", () => {});
      }),
    ),
  );
  void settled;
  return { sockets, held: sockets.length - closed, closed };
}

const reason = pyzmqUnavailable();
if (reason) {
  console.log(`skipped: ${reason}`);
  process.exit(0);
}
// Always a fresh build: a dist/disco left from an older checkout would measure old code.
const built = Bun.spawnSync([process.execPath, join(import.meta.dir, "..", "scripts", "build.ts")], { stdout: "ignore", stderr: "inherit" });
if (built.exitCode !== 0) throw new Error("building dist/disco failed");
const disco = ensureBuilt();

const results: Record<string, { rate: number; received: number; cpuUsPerMessage: number }> = {};
const proxies = [libzmqProxy, () => discoProxy(disco)];
if (SECTIONS.has(1)) {
  console.log(`1. proxy throughput, ${THROUGHPUT_COUNT.toLocaleString("en")} x 100-byte messages, pyzmq PUB → proxy → pyzmq SUB, loopback tcp`);
  for (const make of proxies) {
    await using proxy = await make();
    results[proxy.name] = await throughput(proxy);
    const r = results[proxy.name]!;
    console.log(`  ${proxy.name.padEnd(7)} ${Math.round(r.rate).toLocaleString("en")} msg/s (${r.received.toLocaleString("en")} received, ${(((THROUGHPUT_COUNT - r.received) / THROUGHPUT_COUNT) * 100).toFixed(1)}% dropped at a high-water mark), proxy CPU ${r.cpuUsPerMessage.toFixed(2)} µs/message`);
  }
  console.log(`  ratio disco / libzmq: ${(results.disco!.rate / results.libzmq!.rate).toFixed(2)} (target ≥ 0.5); CPU per message libzmq / disco: ${(results.libzmq!.cpuUsPerMessage / results.disco!.cpuUsPerMessage).toFixed(2)}`);
}
if (SECTIONS.has(2)) {
  console.log(`2. publish → receive latency through the proxy at 1,000 msg/s (${LATENCY_COUNT} messages, disco PUB/SUB at both ends)`);
  const lat: Record<string, { p50: number; p99: number }> = {};
  for (const make of proxies) {
    await using proxy = await make();
    const r = await latency(proxy);
    lat[proxy.name] = r;
    console.log(`  ${proxy.name.padEnd(7)} p50 ${r.p50.toFixed(3)} ms, p99 ${r.p99.toFixed(3)} ms (${r.received} samples)`);
  }
  console.log(`  ratio disco / libzmq: p50 ${(lat.disco!.p50 / lat.libzmq!.p50).toFixed(2)}, p99 ${(lat.disco!.p99 / lat.libzmq!.p99).toFixed(2)} (lower is better)`);
}
if (SECTIONS.has(3)) {
  console.log("3. disco proxy memory with a stalled subscriber");
  await stalledRss(disco);
}
if (SECTIONS.has(4)) {
  console.log(`4. proxy throughput with ${IDLE_CONNECTIONS.toLocaleString("en")} idle connections and ${(JUNK_PEERS * JUNK_TOPICS_PER_PEER).toLocaleString("en")} junk subscriptions present (${THROUGHPUT_COUNT.toLocaleString("en")} x 100-byte messages)`);
  const loaded: Record<string, number> = {};
  const loadedCpu: Record<string, number> = {};
  const raised = { maxConnections: 4096, maxConnectionsPerAddress: 4096, maxTopics: 100_000, idleTimeoutMs: 600_000, heartbeatMs: 60_000 };
  for (const make of [libzmqProxy, () => discoProxyWithLimits(raised), () => discoProxy(disco)]) {
    await using proxy = await make();
    const name = proxy.name === "disco" ? "disco (default limits)" : proxy.name;
    const load = await idleLoad(proxy.backend);
    try {
      const r = await throughput(proxy);
      loaded[name] = r.rate;
      loadedCpu[name] = r.cpuUsPerMessage;
      console.log(`  ${name.padEnd(22)} ${Math.round(r.rate).toLocaleString("en")} msg/s (${r.received.toLocaleString("en")} received), proxy CPU ${r.cpuUsPerMessage.toFixed(2)} µs/message; idle connections held ${load.held}, refused ${load.closed}`);
    } finally {
      for (const s of load.sockets) s.destroy();
    }
  }
  console.log(`  ratio disco (same load) / libzmq: ${(loaded["disco (limits raised)"]! / loaded.libzmq!).toFixed(2)}; disco (default limits) / libzmq: ${(loaded["disco (default limits)"]! / loaded.libzmq!).toFixed(2)} (without the load: ${results.disco && results.libzmq ? (results.disco.rate / results.libzmq.rate).toFixed(2) : "section 1 not run"}; issue 9 measured 0.97)`);
  console.log(`  CPU per message libzmq / disco (same load): ${(loadedCpu.libzmq! / loadedCpu["disco (limits raised)"]!).toFixed(2)}; libzmq / disco (default limits): ${(loadedCpu.libzmq! / loadedCpu["disco (default limits)"]!).toFixed(2)} (higher is better for disco)`);
}
