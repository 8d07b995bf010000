/**
 * A helper of bench/control.bench.ts, run inside a namespace: `bun bench/_control-rtt.ts ADDR PORT KEYFILE N`
 * sets the remote line `pump` N times (alternating 0/1) with the in-process client and prints one JSON line
 * of round-trip times in ms.
 */
import { readFileSync } from "node:fs";
import { CONTROL_PURPOSE, encodeSetArgs, runControl } from "../lib/control/index.ts";
import { createKeyring, decodeKey, deriveChannelId } from "../lib/crypto/index.ts";
import { openUdp } from "../lib/net/index.ts";

const [address = "", portText = "", keyFile = "", countText = "100"] = process.argv.slice(2);
const ring = await createKeyring([decodeKey(readFileSync(keyFile, "utf8"))], CONTROL_PURPOSE);
const channelId = await deriveChannelId("bench");
const times: number[] = [];
for (let i = 0; i < Number(countText); i++) {
  await using socket = await openUdp({ address: "0.0.0.0", port: 0 });
  const t0 = performance.now();
  const r = await runControl(socket, "gpio-set", encodeSetArgs("pump", i % 2), { targets: [{ address, port: Number(portText) }], channelId, keyring: ring, timeoutMs: 2000, first: true });
  if (r.answers[0]?.status !== "ok") throw new Error(`set failed: ${JSON.stringify(r)}`);
  times.push(performance.now() - t0);
}
console.log(JSON.stringify(times));
