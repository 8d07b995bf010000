/**
 * A UDP relay for capture-and-replay tests, run as `bun tests/net/_udp-relay.ts TARGET_ADDR TARGET_PORT`
 * (in a namespace, next to the client). It listens on 0.0.0.0:0 and prints `listening <port>`; every
 * datagram from a client goes to the target from the relay's own socket and every reply back to that client,
 * each printed as `c2t <n> <hex>` / `t2c <hex>`. A line `replay <n>` on stdin sends the n-th client datagram
 * to the target again, byte for byte (its reply is printed as `t2c` and not forwarded). Bounded: it stops
 * after 1000 datagrams or when stdin closes.
 */
import { createSocket } from "node:dgram";

const [targetAddr = "", targetPortText = ""] = process.argv.slice(2);
const targetPort = Number(targetPortText);
const socket = createSocket("udp4");
const captured: Buffer[] = [];
let client: { address: string; port: number } | undefined;
let replaying = false;
let count = 0;

socket.on("message", (msg, rinfo) => {
  if (++count > 1000) return process.exit(0);
  if (rinfo.address === targetAddr && rinfo.port === targetPort) {
    process.stdout.write(`t2c ${msg.toString("hex")}\n`);
    if (client && !replaying) socket.send(msg, client.port, client.address);
    return;
  }
  client = { address: rinfo.address, port: rinfo.port };
  captured.push(Buffer.from(msg));
  process.stdout.write(`c2t ${captured.length - 1} ${msg.toString("hex")}\n`);
  socket.send(msg, targetPort, targetAddr);
});
socket.bind(0, "0.0.0.0", () => process.stdout.write(`listening ${socket.address().port}\n`));

let pending = "";
process.stdin.on("data", (chunk: Buffer) => {
  pending += chunk.toString();
  for (let i = pending.indexOf("\n"); i >= 0; i = pending.indexOf("\n")) {
    const line = pending.slice(0, i).trim();
    pending = pending.slice(i + 1);
    const m = /^replay (\d+)$/.exec(line);
    const d = m ? captured[Number(m[1])] : undefined;
    if (d) {
      replaying = true;
      socket.send(d, targetPort, targetAddr);
    }
  }
});
process.stdin.on("end", () => process.exit(0));
