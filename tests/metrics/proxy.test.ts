/**
 * The metrics proxy's backend against strangers (issue 9 weakness 2), on real loopback sockets: junk
 * subscriptions cannot crowd out a real receiver, idle connections cannot lock it out, idle peers are
 * dropped, oversized topics go nowhere. Strangers are played by source addresses 127.0.0.x; the
 * legitimate receiver connects from 127.0.0.1. No sleeps.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { MetricsProxy } from "../../lib/metrics/index.ts";
import { PubSocket, SubSocket } from "../../lib/zmtp/index.ts";
import { FakeClock } from "../zmtp/_clock.ts";
import { within } from "../zmtp/_peer.ts";
import { commandFrame, joinFrames, PING_MARK, pongCount, RawClient, SUB_HELLO } from "../zmtp/_raw.ts";
import { CommandTap } from "../zmtp/_tap.ts";
import { watch } from "../zmtp/_watch.ts";

const te = new TextEncoder();
const td = new TextDecoder();

const command = commandFrame;
const concat = joinFrames;
const HELLO = SUB_HELLO;
const PING = PING_MARK;
const ponged = (raw: RawClient) => pongCount(raw) > 0;

/** A proxy on loopback with a disco publisher on its frontend (the per-peer topic cap junk used to fill). */
async function proxyWithPublisher(options: Parameters<typeof MetricsProxy.open>[0] = {}) {
  const proxy = await MetricsProxy.open({ frontend: "tcp://127.0.0.1:0", backend: "tcp://127.0.0.1:0", ...options });
  const ac = new AbortController();
  const running = proxy.run(ac.signal);
  const pub = new PubSocket();
  pub.connect(proxy.frontend);
  return {
    proxy,
    pub,
    running,
    async [Symbol.asyncDispose]() {
      ac.abort();
      await running;
      await pub.close();
      await proxy.close();
    },
  };
}

/** A real receiver subscribed to `metric`, served through the proxy (published until the first arrives). */
async function assertServed(pub: PubSocket, backend: string): Promise<void> {
  await using sub = new SubSocket();
  sub.subscribe("metric");
  sub.connect(backend);
  await within(
    (async () => {
      for (;;) {
        pub.send("metric shed {\"load1\":\"0.1\"}");
        const m = await sub.receive(AbortSignal.timeout(100));
        if (m && td.decode(m[0]!).startsWith("metric shed")) return;
      }
    })(),
    15_000,
    "the real receiver got a metric",
  );
}

describe("MetricsProxy backend against a hostile LAN", () => {
  it("still serves a real receiver after 100,000 junk subscriptions; none reaches the publisher", async () => {
    await using env = await proxyWithPublisher();
    const { proxy, pub } = env;
    await within(pub.waitForPeer(), 5000, "publisher on the frontend");
    // 100,000 distinct junk topics from 10 strangers (10,000 each, the old per-peer cap of the publisher).
    const junk: RawClient[] = [];
    try {
      for (let c = 0; c < 10; c++) {
        const raw = await RawClient.open(proxy.backend, { localAddress: `127.0.0.${2 + c}` });
        junk.push(raw);
        const subs: Uint8Array[] = [HELLO];
        for (let i = 0; i < 10_000; i++) subs.push(command({ type: "SUBSCRIBE", topic: te.encode(`junk${c}-${i}`) }));
        subs.push(PING);
        raw.write(concat(subs));
      }
      for (const raw of junk) await raw.until(() => ponged(raw), 20_000);
      const backend = proxy.stats.backend;
      assert.equal(backend.subscriptionsDropped, 100_000 - 10 * 100, "each stranger holds at most 100 topics");
      await assertServed(pub, proxy.backend);
      // Upstream the publisher was asked for everything once, never for a junk topic.
      assert.equal(pub.subscribers, 1);
      assert.equal(pub.stats.subscriptionsDropped, 0);
    } finally {
      for (const r of junk) r.socket.destroy();
    }
  });

  it("still serves a real receiver while 1,000 idle connections come from one stranger: 16 held, the rest refused at once", async () => {
    await using env = await proxyWithPublisher();
    const { proxy, pub } = env;
    const events = watch({ events: (signal?: AbortSignal) => sideEvents(proxy, "backend", signal) });
    const idle: RawClient[] = [];
    try {
      const opened = await Promise.all(Array.from({ length: 1000 }, () => RawClient.open(proxy.backend, { localAddress: "127.0.0.2" })));
      idle.push(...opened);
      for (const raw of idle) if (!raw.ended) raw.write(HELLO);
      await events.until(() => events.count("handshake") >= 16 && events.count("rejected", "over-limit") >= 984, 30_000);
      for (const raw of idle) if (!raw.ended) await raw.until(() => raw.ended || raw.received.length > 0);
      assert.equal(idle.filter((r) => !r.ended).length, 16);
      assert.equal(proxy.stats.backend.refused, 984);
      assert.equal(proxy.stats.backend.connections, 16);
      await assertServed(pub, proxy.backend);
    } finally {
      for (const r of idle) r.socket.destroy();
      events.stop();
    }
  });

  it("drops a stranger silent past idle_timeout (PINGs unanswered), on the fake clock; a disco receiver stays", async () => {
    const clock = new FakeClock();
    const tap = new CommandTap();
    await using env = await proxyWithPublisher({ socket: { clock, transport: tap.transport }, limits: { heartbeatMs: 1000, idleTimeoutMs: 3000 } });
    const { proxy, pub } = env;
    const events = watch({ events: (signal?: AbortSignal) => sideEvents(proxy, "backend", signal) });
    await using receiver = new SubSocket();
    receiver.subscribe("metric");
    receiver.connect(proxy.backend);
    await using raw = await RawClient.open(proxy.backend, { localAddress: "127.0.0.2" });
    raw.write(HELLO);
    await events.until(() => events.count("handshake") >= 2);
    // Each second a PING to both; the disco receiver's PONG is awaited before time moves on.
    for (let k = 1; k <= 2; k++) {
      clock.advance(1000);
      await tap.waitFor("received", "PONG", k);
    }
    clock.advance(999);
    assert.equal(raw.ended, false);
    assert.equal(proxy.stats.backend.rejected, 0, "not before the idle timeout");
    clock.advance(1);
    await raw.until(() => raw.ended);
    assert.equal(events.seen.some((e) => e.type === "rejected" && e.reason === "timeout"), true);
    assert.equal(proxy.stats.backend.connections, 1, "the receiver that answers PINGs stays");
    await assertServed(pub, proxy.backend);
    events.stop();
  });

  it("drops a subscription over max_topic_bytes (counted; nothing goes upstream) and keeps serving", async () => {
    await using env = await proxyWithPublisher({ limits: { maxTopicBytes: 64 } });
    const { proxy, pub } = env;
    await within(pub.waitForPeer(), 5000, "publisher on the frontend");
    await using raw = await RawClient.open(proxy.backend, { localAddress: "127.0.0.2" });
    raw.write(concat([HELLO, command({ type: "SUBSCRIBE", topic: new Uint8Array(64 * 1024).fill(0x6d) }), PING]));
    await raw.until(() => ponged(raw));
    assert.equal(proxy.stats.backend.subscriptionsDropped, 1);
    assert.equal(pub.subscribers, 0, "nothing reached the publisher");
    await assertServed(pub, proxy.backend);
  });
});

/** One side's socket events from MetricsProxy.events(). */
async function* sideEvents(proxy: MetricsProxy, side: "frontend" | "backend", signal?: AbortSignal) {
  for await (const e of proxy.events(signal)) if (e.side === side) yield e.event;
}

describe("MetricsProxy.publish()", () => {
  it("hands a message to the backend's subscribers without any publisher on the frontend", async () => {
    await using proxy = await MetricsProxy.open({ frontend: "tcp://127.0.0.1:0", backend: "tcp://127.0.0.1:0" });
    const ac = new AbortController();
    const running = proxy.run(ac.signal);
    const sub = new SubSocket();
    try {
      sub.subscribe("metric");
      sub.connect(proxy.backend);
      await within(sub.waitForPeer(), 5000, "receiver connected");
      // The subscription reaches the XPUB asynchronously: publish until the receiver has one message.
      const got = sub.receive();
      let n = 0;
      for (let i = 0; i < 500 && n === 0; i++) {
        n = proxy.publish([te.encode("metric"), te.encode(`{"host":"h","_time":${i}}`)]);
        if (n === 0) await new Promise((r) => setImmediate(r));
      }
      assert.equal(n, 1, "one receiver took it");
      const message = await within(got, 5000, "the message");
      assert.equal(td.decode(message![0]), "metric");
      assert.equal(proxy.stats.frontend.peers, 0, "nothing connected to the frontend");
      assert.equal(proxy.publish([te.encode("other"), te.encode("x")]), 0, "a topic nobody holds goes to nobody");
    } finally {
      await sub.close();
      ac.abort();
      await running;
    }
  });
});
