/**
 * HTTP benchmarks (figures, never pass/fail):
 *  1. `/metrics` with 100 fleet hosts known: render time (in-process, median of 200) and size, next to the
 *     node_exporter part alone (this machine's /proc) — the baseline a Prometheus scrape already pays.
 *  2. `/events` fan-out: 50 SSE clients over loopback, 1,000 fleet events; time until every client has
 *     every event, events/s delivered in total, and the same with 1 client for the ratio.
 */
import { collectNodeFamilies, discoFamilies, FleetState, renderExposition, startHttpServer } from "../lib/http/index.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function fleetOf(hosts: number): FleetState {
  const fleet = new FleetState({ self: { host: "bench-self", addresses: ["127.0.0.1"], version: "0.1.0" } });
  for (let i = 0; i < hosts; i++) {
    fleet.applyMembership("join", {
      host: `host-${i}`,
      state: i % 10 === 0 ? "failed" : "alive",
      lastSeenUnixMs: 1_700_000_000_000 + i,
      addresses: [`10.77.${i >> 8}.${i & 255}`],
      version: "0.1.0",
      httpEndpoint: `http://10.77.${i >> 8}.${i & 255}:9180`,
    });
  }
  return fleet;
}

async function metricsRender(): Promise<void> {
  const fleet = fleetOf(100);
  const counters = [
    { name: "beacon_packets_total", help: "x", type: "counter" as const, value: 1 },
    { name: "beacon_drops_total", help: "x", type: "counter" as const, labels: { reason: "malformed" }, value: 1 },
  ];
  const nodeTimes: number[] = [];
  const fullTimes: number[] = [];
  let nodeBytes = 0;
  let fullBytes = 0;
  for (let i = 0; i < 200; i++) {
    let t = performance.now();
    const node = await collectNodeFamilies();
    const nodeText = renderExposition(node);
    nodeTimes.push(performance.now() - t);
    t = performance.now();
    const full = renderExposition([...(await collectNodeFamilies()), ...discoFamilies(fleet.hosts(), counters, { host: "bench-self", version: "0.1.0" })]);
    fullTimes.push(performance.now() - t);
    nodeBytes = nodeText.length;
    fullBytes = full.length;
  }
  // The render alone, without reading /proc: what the 100 hosts cost.
  const families = discoFamilies(fleet.hosts(), counters, { host: "bench-self", version: "0.1.0" });
  const renderTimes: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const t = performance.now();
    renderExposition(families);
    renderTimes.push(performance.now() - t);
  }
  console.log(`/metrics with 100 hosts: ${median(fullTimes).toFixed(2)} ms median (read /proc + render), ${(fullBytes / 1024).toFixed(1)} KiB`);
  console.log(`  node_exporter part alone: ${median(nodeTimes).toFixed(2)} ms, ${(nodeBytes / 1024).toFixed(1)} KiB; the fleet part adds ${((fullBytes - nodeBytes) / 1024).toFixed(1)} KiB (ratio ${(median(fullTimes) / median(nodeTimes)).toFixed(2)}x time)`);
  console.log(`  rendering the disco families of 100 hosts alone: ${(median(renderTimes) * 1000).toFixed(0)} µs median`);
}

async function fanOut(clients: number, events: number): Promise<{ ms: number; perSec: number }> {
  const fleet = fleetOf(0);
  await using server = await startHttpServer({ fleet, port: 0, maxClients: clients + 1 });
  const readers = await Promise.all(
    Array.from({ length: clients }, async () => {
      const res = await fetch(`${server.url}/events`);
      const reader = res.body!.getReader();
      const dec = new TextDecoder();
      let buf = "";
      // Wait for the snapshot so the client is registered before the events start.
      while (!buf.includes("\n\n")) buf += dec.decode((await reader.read()).value, { stream: true });
      return { reader, dec, buf: buf.slice(buf.indexOf("\n\n") + 2) };
    }),
  );
  const t = performance.now();
  for (let i = 0; i < events; i++) fleet.applyMetric("bench-self", { n: i });
  await Promise.all(
    readers.map(async (r) => {
      let count = (r.buf.match(/\n\n/g) ?? []).length;
      while (count < events) {
        const chunk = await r.reader.read();
        if (chunk.done) throw new Error("stream ended");
        count += (r.dec.decode(chunk.value, { stream: true }).match(/\n\n/g) ?? []).length;
      }
      await r.reader.cancel();
    }),
  );
  const ms = performance.now() - t;
  return { ms, perSec: (clients * events) / (ms / 1000) };
}

await metricsRender();
const one = await fanOut(1, 1000);
const fifty = await fanOut(50, 1000);
console.log(`/events fan-out, 1,000 events: 1 client ${one.ms.toFixed(0)} ms (${Math.round(one.perSec)} events/s); 50 clients ${fifty.ms.toFixed(0)} ms (${Math.round(fifty.perSec)} deliveries/s, ${(fifty.ms / one.ms).toFixed(1)}x the time for 50x the deliveries)`);
