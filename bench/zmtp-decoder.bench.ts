/**
 * ZmtpDecoder.feed under a drip feed: one 1 MiB frame delivered in 100-byte writes against the same frame in
 * 64 KiB writes (issue 9: the old decoder re-copied the partial frame on every chunk, 120x the CPU). Prints
 * CPU time per MiB for each chunking and their ratio (target: about 1, i.e. the chunking does not matter
 * beyond the per-call cost). Pure CPU, no sockets; bounded to a few seconds.
 */
import { encodeGreeting, encodeMessage, ZmtpDecoder } from "../lib/zmtp/index.ts";

const FRAME_BYTES = 1 << 20;
const stream = (() => {
  const g = encodeGreeting();
  const m = encodeMessage([new Uint8Array(FRAME_BYTES).fill(0x5a)]);
  const out = new Uint8Array(g.length + m.length);
  out.set(g, 0);
  out.set(m, g.length);
  return out;
})();

/** CPU milliseconds (user + system) to decode the stream `rounds` times in chunks of `chunkBytes`. */
function cpuMs(chunkBytes: number, rounds: number): number {
  // Slice the chunks up front: the figure is the decoder's, not the slicing's.
  const chunks: Uint8Array[] = [];
  for (let o = 0; o < stream.length; o += chunkBytes) chunks.push(stream.subarray(o, Math.min(stream.length, o + chunkBytes)));
  const t0 = process.cpuUsage();
  for (let r = 0; r < rounds; r++) {
    const d = new ZmtpDecoder({ maxMessageBytes: FRAME_BYTES });
    let messages = 0;
    for (const c of chunks) for (const e of d.feed(c)) if (e.type === "message") messages++;
    if (messages !== 1) throw new Error(`decoded ${messages} messages`);
  }
  const t = process.cpuUsage(t0);
  return (t.user + t.system) / 1000 / rounds;
}

const ROUNDS = 20;
cpuMs(100, 2);
cpuMs(65536, 2); // warm-up
const drip = cpuMs(100, ROUNDS);
const bulk = cpuMs(65536, ROUNDS);
console.log(`ZmtpDecoder.feed, one ${FRAME_BYTES.toLocaleString("en")}-byte frame, ${ROUNDS} rounds each:`);
console.log(`  100-byte writes (${Math.ceil(stream.length / 100).toLocaleString("en")} chunks): ${drip.toFixed(2)} ms CPU per frame`);
console.log(`  64 KiB writes (${Math.ceil(stream.length / 65536)} chunks): ${bulk.toFixed(2)} ms CPU per frame`);
console.log(`  ratio drip / bulk: ${(drip / bulk).toFixed(1)} (target about 1; issue 9 measured 120 before the fix, 345 on this machine)`);
