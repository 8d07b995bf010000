/**
 * One contract for every Transport: the same PUB/SUB/XPUB/XSUB scenarios over real TCP, real Unix
 * sockets and the in-memory transport.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bunTransport, PubSocket, runProxy, SubSocket, XPubSocket, XSubSocket, type Transport } from "../../lib/zmtp/index.ts";
import { memoryTransport } from "./_memory-transport.ts";
import { FakeClock, redialing } from "./_clock.ts";
import { within } from "./_peer.ts";

const td = new TextDecoder();
const text = (parts: Uint8Array[] | undefined) => parts?.map((p) => td.decode(p));

const implementations: { name: string; transport: () => Transport; endpoint: (dir: string, n: string) => string }[] = [
  { name: "tcp (Bun sockets)", transport: () => bunTransport, endpoint: () => "tcp://127.0.0.1:0" },
  { name: "ipc (Bun sockets)", transport: () => bunTransport, endpoint: (dir, n) => `ipc://${dir}/${n}` },
  { name: "in-memory", transport: memoryTransport, endpoint: () => "tcp://127.0.0.1:0" },
];

for (const impl of implementations) {
  describe(`socket contract over ${impl.name}`, () => {
    const setup = () => {
      const dir = mkdtempSync(join(tmpdir(), "zmtp-contract-"));
      const transport = impl.transport();
      return { dir, transport, ep: (n: string) => impl.endpoint(dir, n), [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
    };

    it("PUB → SUB delivers matching multipart messages in order and filters the rest", async () => {
      using env = setup();
      await using pub = new PubSocket({ transport: env.transport });
      await using sub = new SubSocket({ transport: env.transport });
      const ep = await pub.bind(env.ep("pub"));
      sub.subscribe("a");
      sub.connect(ep);
      await within(pub.waitForSubscriber(), 5000, "subscription");
      for (let i = 0; i < 100; i++) pub.send(i % 2 ? [`b${i}`] : [`a${i}`, `part${i}`, "x".repeat(i * 5)]);
      for (let i = 0; i < 100; i += 2) assert.deepEqual(text(await within(sub.receive(), 5000, `message ${i}`)), [`a${i}`, `part${i}`, "x".repeat(i * 5)]);
    });

    it("XSUB/XPUB proxy forwards subscriptions up and messages down, cancels when the subscriber goes", async () => {
      using env = setup();
      await using xsub = new XSubSocket({ transport: env.transport });
      await using xpub = new XPubSocket({ transport: env.transport });
      const front = await xsub.bind(env.ep("front"));
      const back = await xpub.bind(env.ep("back"));
      const ac = new AbortController();
      const running = runProxy(xsub, xpub, { signal: ac.signal });
      await using pub = new PubSocket({ transport: env.transport });
      const sub = new SubSocket({ transport: env.transport });
      pub.connect(front);
      sub.subscribe("m");
      sub.connect(back);
      await within(pub.waitForSubscriber(), 5000, "subscription upstream");
      pub.send(["m1", "tail"]);
      assert.deepEqual(text(await within(sub.receive(), 5000, "message")), ["m1", "tail"]);
      await sub.close();
      // The subscriber's topics are cancelled upstream when it goes: the publisher loses its subscriber.
      assert.ok(await within(pub.waitForNoSubscriber(), 5000, "cancel upstream"));
      ac.abort();
      const stats = await running;
      assert.equal(stats.forwarded, 1);
      assert.equal(stats.subscriptions, 2);
    });

    it("a SUB reconnects and resubscribes when its PUB is replaced at the same endpoint", async () => {
      using env = setup();
      const first = new PubSocket({ transport: env.transport });
      const ep = await first.bind(env.ep("pub"));
      const clock = new FakeClock();
      await using sub = new SubSocket({ transport: env.transport, reconnectMs: 5, reconnectMaxMs: 50, clock });
      sub.subscribe();
      sub.connect(ep);
      await within(first.waitForSubscriber(), 5000, "first subscription");
      await using second = new PubSocket({ transport: env.transport });
      await redialing(clock, sub, async () => {
        await first.close();
        await second.bind(ep);
        await within(second.waitForSubscriber(), 5000, "subscription after the restart");
      });
      second.send("again");
      assert.deepEqual(text(await within(sub.receive(), 5000, "message")), ["again"]);
    });
  });
}
