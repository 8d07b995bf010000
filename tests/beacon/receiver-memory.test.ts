import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { openUdp } from "../../lib/net/index.ts";
import { LineReader } from "../_lines.ts";

const enc = new TextEncoder();

describe("runBeaconReceiver() memory (real sockets, child process)", () => {
  it("stays bounded over 200,000 garbage datagrams (no reaction kept per datagram)", { timeout: 120_000 }, async () => {
    const child = Bun.spawn([process.execPath, join(import.meta.dir, "_flood-receiver.ts")], { stdin: "pipe", stdout: "pipe", stderr: "inherit" });
    try {
      const lines = new LineReader(child.stdout);
      const { port } = JSON.parse(await lines.nextLine((l) => l.includes('"port"'), { timeoutMs: 10_000, what: "the receiver's port" })) as { port: number };
      await using tx = await openUdp({ address: "127.0.0.1", port: 0 });
      const garbage = new Uint8Array(512).fill(0xff);
      let marker = 0;
      // Bursts small enough for the socket buffer, each followed by a beacon whose time numbers it: loopback keeps
      // the order, so once the receiver reports the marker it has handled the whole burst.
      const flood = async (count: number): Promise<void> => {
        for (let sent = 0; sent < count; sent += 100) {
          await Promise.all(Array.from({ length: 100 }, () => tx.send(garbage, port, "127.0.0.1")));
          const ts = ++marker;
          const beacon = enc.encode(`HOST marker ${ts}`);
          for (let tries = 0; ; tries++) {
            await tx.send(beacon, port, "127.0.0.1");
            try {
              await lines.nextLine((l) => l === `{"host":"marker","ts":${ts}}`, { timeoutMs: 2000, what: `marker ${ts}` });
              break;
            } catch (err) {
              if (tries >= 3) throw err; // the marker itself was lost: send it again
            }
          }
        }
      };
      const rss = async (): Promise<{ rss: number; received: number }> => {
        child.stdin.write("rss\n");
        return JSON.parse(await lines.nextLine((l) => l.includes('"rss"'), { timeoutMs: 10_000, what: "the RSS report" })) as { rss: number; received: number };
      };
      await flood(20_000); // warm-up: code paths compiled, buffers sized
      const before = await rss();
      await flood(200_000);
      const after = await rss();
      const growthMb = (after.rss - before.rss) / 1e6;
      assert.ok(after.received - before.received >= 150_000, `only ${after.received - before.received} datagrams arrived`);
      assert.ok(growthMb < 30, `RSS grew ${growthMb.toFixed(1)} MB over ${after.received - before.received} datagrams (${before.rss / 1e6 | 0} -> ${after.rss / 1e6 | 0} MB)`);
    } finally {
      child.kill("SIGKILL");
      await child.exited;
    }
  });
});
