/**
 * Discovery benchmarks (print figures, never fail on them):
 *  1. responder throughput on loopback: sealed queries answered per second, against a bare node:dgram echo
 *     in the same runtime driven by the same load generator (the ceiling);
 *  2. completeness and time with 20 responders in network namespaces (root only);
 *  3. idle RSS of the compiled disco-server after 10 s.
 */
import dgram from "node:dgram";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKeyring, deriveChannelId } from "../lib/crypto/index.ts";
import { decodeDatagram, describeHost, encodeQuery, openFrame, Responder, runResponder, sealFrame } from "../lib/discovery/index.ts";
import { openUdp } from "../lib/net/index.ts";
import { ensureBuilt } from "../tests/_bin.ts";
import { LineReader } from "../tests/_lines.ts";
import { createLan, netnsUnavailable } from "../tests/net/_netns.ts";

const WINDOW = 32;
const MAX_MS = 4000;

/** Sends `frames` to port with WINDOW outstanding; returns replies per second. */
async function drive(port: number, frames: Uint8Array[]): Promise<{ perSec: number; replies: number }> {
  const sock = dgram.createSocket("udp4");
  await new Promise<void>((r) => sock.bind(0, "127.0.0.1", () => r()));
  let next = 0;
  let replies = 0;
  const t0 = performance.now();
  let watchdog: ReturnType<typeof setInterval> | undefined;
  const done = new Promise<void>((resolve) => {
    const send = () => {
      if (next < frames.length && performance.now() - t0 < MAX_MS) sock.send(frames[next++]!, port, "127.0.0.1");
    };
    sock.on("message", () => {
      replies++;
      if (replies >= frames.length || performance.now() - t0 >= MAX_MS) resolve();
      else send();
    });
    for (let i = 0; i < WINDOW; i++) send();
    // Lost datagrams would stall the window: top it up if nothing came back for a while.
    watchdog = setInterval(() => {
      if (performance.now() - t0 >= MAX_MS + 500) resolve();
      for (let i = 0; i < 4; i++) send();
    }, 200);
  });
  await done;
  clearInterval(watchdog);
  const ms = performance.now() - t0;
  sock.close();
  return { perSec: (replies * 1000) / ms, replies };
}

async function throughput(): Promise<void> {
  const N = 20_000;
  const ring = await createKeyring([new Uint8Array(32).fill(7)], "discovery");
  const chan = await deriveChannelId("bench");
  const frames: Uint8Array[] = [];
  for (let i = 0; i < N; i++) {
    const id = crypto.getRandomValues(new Uint8Array(16));
    frames.push(await sealFrame("query", chan, encodeQuery({ id, timeMs: Date.now() }), { key: ring.keys[0]! }));
  }

  // Ceiling: a bare echo in the same runtime.
  const echo = dgram.createSocket("udp4");
  await new Promise<void>((r) => echo.bind(0, "127.0.0.1", () => r()));
  echo.on("message", (m, r) => echo.send(m, r.port, r.address));
  const bare = await drive(echo.address().port, frames.slice(0, N));
  echo.close();

  const socket = await openUdp({ address: "127.0.0.1", port: 0 });
  const responder = new Responder({
    channelId: chan,
    keyring: ring,
    rateLimitPerSec: 1e6,
    rateBurst: 1e6,
    decryptsPerSourcePerSec: 1e6,
    decryptsPerSec: 1e6,
    describe: () => describeHost({ host: "bench", addresses: ["127.0.0.1"], version: "0", uptimeSec: 1, services: { web: "http://bench/", ssh: 22 } }),
  });
  const controller = new AbortController();
  const running = runResponder(socket, responder, { signal: controller.signal });
  const sealed = await drive(socket.port, frames);
  controller.abort();
  await running;
  const c = responder.counters;
  console.log(`responder throughput (loopback, ${WINDOW} in flight, same process as the load generator):`);
  console.log(`  bare UDP echo (ceiling):     ${bare.perSec.toFixed(0)} replies/s (${bare.replies} replies)`);
  console.log(`  sealed queries answered:     ${sealed.perSec.toFixed(0)} answers/s (${sealed.replies} answers; answered=${c.answered} dropped=${JSON.stringify(Object.fromEntries(Object.entries(c.dropped).filter(([, v]) => v)))})`);
  console.log(`  ratio sealed/echo:           ${(sealed.perSec / bare.perSec).toFixed(2)} (target >= 0.5)`);
  // Where the time goes: the two AES-GCM operations of one answer, 32 at a time, without any socket.
  const answer = new Uint8Array(200);
  const t0 = performance.now();
  for (let i = 0; i < 8000; i += WINDOW) {
    await Promise.all(
      frames.slice(i, i + WINDOW).map(async (f) => {
        const d = decodeDatagram(f);
        if (d.kind === "ok") await openFrame(d.value, ring);
        await sealFrame("answer", chan, answer, { key: ring.keys[0]! });
      }),
    );
  }
  const cryptoPerSec = (8000 * 1000) / (performance.now() - t0);
  console.log(`  WebCrypto open+seal alone:   ${cryptoPerSec.toFixed(0)} pairs/s (ratio to echo ${(cryptoPerSec / bare.perSec).toFixed(2)}: the responder's ceiling)`);
}

async function lan20(disco: string): Promise<void> {
  const why = netnsUnavailable();
  if (why) {
    console.log(`20 responders in namespaces: skipped (${why})`);
    return;
  }
  const tmp = mkdtempSync(join(tmpdir(), "disco-bench-"));
  const key = join(tmp, "key");
  writeFileSync(key, Bun.spawnSync([disco, "keygen"]).stdout.toString());
  await using lan = await createLan(21);
  const [client, ...servers] = lan.hosts;
  await Promise.all(
    servers.map((h, i) => new LineReader(h.spawn([disco, "server", "-p", "40000", "-m", "bench", "--key-file", key, "--name", `r${i}`]).stderr).waitFor(/listening on/)),
  );
  console.log("discovery completeness and time, 20 responders in namespaces, 1 client:");
  for (let run = 1; run <= 3; run++) {
    const r = client!.exec([disco, "client", "-i", "eth0", "-p", "40000", "-m", "bench", "--key-file", key, "-t", "1", "--json"]);
    const hosts = r.exitCode === 0 ? (JSON.parse(r.stdout).hosts as { rttMs: number }[]) : [];
    const last = hosts.length ? Math.max(...hosts.map((h) => h.rttMs)) : NaN;
    console.log(`  run ${run}: ${hosts.length}/20 answers, last answer ${last.toFixed(1)} ms after the query (target 20/20, < 100 ms)`);
  }
}

async function idleRss(disco: string): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), "disco-bench-rss-"));
  const key = join(tmp, "key");
  writeFileSync(key, Bun.spawnSync([disco, "keygen"]).stdout.toString());
  const p = Bun.spawn([disco, "server", "-l", "127.0.0.1", "-p", "0", "-m", "rss", "--key-file", key], { stdout: "pipe", stderr: "pipe" });
  await new LineReader(p.stderr).waitFor(/listening on/);
  // Idle means idle: this wait is the measurement, not a synchronisation.
  await Bun.sleep(10_000);
  const status = readFileSync(`/proc/${p.pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  p.kill("SIGTERM");
  await p.exited;
  console.log(`idle RSS of disco-server after 10 s: ${(kb / 1024).toFixed(1)} MB (target <= 45 MB; ratio ${(kb / 1024 / 45).toFixed(2)} of the target)`);
}

const disco = ensureBuilt();
await throughput();
if (!process.env.QUICK) await lan20(disco);
if (!process.env.QUICK) await idleRss(disco);
