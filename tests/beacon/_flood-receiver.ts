/**
 * Child process for the receiver memory test: a beacon receiver (the real UDP adapter and receive loop) on
 * 127.0.0.1 with an ephemeral port. Prints `{"port":N}` once bound, `{"host":NAME,"ts":SECONDS}` for every beacon
 * accepted (with its time), and `{"rss":BYTES,"received":N}` (after a full GC) for every `rss` line read on stdin.
 */
import { BeaconIngest, MembershipTable, runBeaconReceiver } from "../../lib/beacon/index.ts";
import { openUdp } from "../../lib/net/index.ts";

const socket = await openUdp({ address: "127.0.0.1", port: 0 });
const ingest = new BeaconIngest({ channelId: new Uint8Array([1, 2, 3, 4]), table: new MembershipTable() });
const stop = new AbortController();
const out = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const receiving = runBeaconReceiver({ signal: stop.signal, datagrams: socket.batches(), ingest, onBeacon: (b) => out({ host: b.host, ts: b.unixSeconds }) });
out({ port: socket.port });
let partial = "";
for await (const chunk of process.stdin) {
  partial += String(chunk);
  let i: number;
  while ((i = partial.indexOf("\n")) >= 0) {
    const line = partial.slice(0, i);
    partial = partial.slice(i + 1);
    if (line === "rss") {
      Bun.gc(true);
      out({ rss: process.memoryUsage().rss, received: ingest.counters.packetsReceived });
    }
  }
}
stop.abort();
await receiving;
await socket.close();
