/**
 * A sender for the send-queue tests, run in a namespace as
 * `bun tests/net/_udp-sender.ts ADDR PORT COUNT BYTES post|many [MAX_QUEUED]`: it hands COUNT datagrams of
 * BYTES bytes (a 4-byte big-endian sequence number first) to one socket from lib/net as fast as it can, with
 * `post()` one by one or `postMany()` 64 at a time, and prints one JSON line once every send has reported:
 * how many reported at once (the kernel took them) and how many later (they waited in the queue for the
 * socket to drain), and the error codes of those refused.
 */
import { openUdp, type NetError } from "../../lib/net/index.ts";

const [address = "", portText = "", countText = "", bytesText = "", mode = "post", maxQueuedText] = process.argv.slice(2);
const [port, count, bytes] = [Number(portText), Number(countText), Number(bytesText)];
const socket = await openUdp({ address: "0.0.0.0", port: 0, ...(maxQueuedText !== undefined && { maxQueued: Number(maxQueuedText) }) });
let immediate = 0;
let queued = 0;
let reported = 0;
const errors: Record<string, number> = {};
let inPost = false;
const { promise: allReported, resolve } = Promise.withResolvers<void>();
const done = (err?: NetError): void => {
  if (err) errors[err.code ?? "?"] = (errors[err.code ?? "?"] ?? 0) + 1;
  else if (inPost) immediate++;
  else queued++;
  if (++reported === count) resolve();
};
const datagram = (i: number): Uint8Array => {
  const d = new Uint8Array(bytes);
  new DataView(d.buffer).setUint32(0, i);
  return d;
};
for (let i = 0; i < count; ) {
  inPost = true;
  if (mode === "many") {
    const batch = [];
    for (let k = 0; k < 64 && i < count; k++, i++) batch.push({ data: datagram(i), port, address });
    socket.postMany(batch, done);
  } else {
    socket.post(datagram(i++), port, address, done);
  }
  inPost = false;
}
await allReported;
console.log(JSON.stringify({ immediate, queued, errors }));
await socket.close();
