import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parseConfig } from "../../lib/config/index.ts";
import { createKeyring, deriveChannelId } from "../../lib/crypto/index.ts";
import { CONTROL_PURPOSE, runControl, serveControl } from "../../lib/control/index.ts";
import { BURST_RECV_BUFFER_BYTES, openUdp } from "../../lib/net/index.ts";

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
/** Datagrams of the burst: far past what the kernel's default receive buffer (212,992 bytes) holds. */
const BURST = 2000;

describe("serveControl() under a burst (real sockets, loopback)", () => {
  it("answers a request that arrives behind 2,000 junk datagrams the loop had no turn to read", { timeout: 30_000 }, async () => {
    const keyring = await createKeyring([KEY], CONTROL_PURPOSE);
    const ac = new AbortController();
    let listening!: (port: number) => void;
    const port = new Promise<number>((resolve) => (listening = resolve));
    const served = serveControl({ signal: ac.signal, config: { ...parseConfig("").control, port: 0 }, magic: "burst", listen: "127.0.0.1", keyring, onListening: (_a, p) => listening(p) });
    try {
      const p = await port;
      // The kernel grants twice the request, capped at net.core.rmem_max: the buffer a burst waits in.
      const granted = 2 * Math.min(BURST_RECV_BUFFER_BYTES, Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8")));
      const ss = Bun.spawnSync(["ss", "-uamn", `sport = :${p}`]).stdout.toString();
      assert.match(ss, new RegExp(`rb${granted}\\b`), `the control socket's receive buffer (ss -uamn):\n${ss}`);
      if (granted < 4 << 20) return; // too small an rmem_max to hold the burst below: the buffer size is all there is to see
      // Sent in one synchronous run: the server's loop gets no turn until the request is queued behind them.
      // From another address than the client's: what is measured is the kernel's buffer, not a source's budget.
      const junk = await Bun.udpSocket({ hostname: "127.0.0.2", port: 0 });
      const packets: (Uint8Array | number | string)[] = [];
      for (let i = 0; i < BURST; i++) packets.push(crypto.getRandomValues(new Uint8Array(200)), p, "127.0.0.1");
      // Loopback takes them all at once; a send buffer that refuses the rest is an error, not a retry loop.
      const sent = junk.sendMany(packets);
      junk.close();
      assert.equal(sent, BURST, "the kernel took the whole burst");
      await using socket = await openUdp({ address: "127.0.0.1", port: 0 });
      const r = await runControl(socket, "gpio-info", new Uint8Array(0), { targets: [{ address: "127.0.0.1", port: p }], channelId: await deriveChannelId("burst"), keyring, timeoutMs: 5000, first: true });
      assert.equal(r.answers.length, 1, "the request behind the burst was answered");
    } finally {
      ac.abort();
      await served;
    }
  });
});
