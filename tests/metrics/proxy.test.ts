/**
 * The metrics proxy's backend against strangers (issue 9 weakness 2), on real loopback sockets: junk
 * subscriptions cannot crowd out a real receiver, idle connections cannot lock it out, idle peers are
 * dropped, oversized topics go nowhere. Strangers are played by source addresses 127.0.0.x; the
 * legitimate receiver connects from 127.0.0.1. No sleeps.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BACKEND_MAX_PARTS, backendMaxFrameBytes, DEFAULT_BACKEND_LIMITS, MetricsProxy } from "../../lib/metrics/index.ts";
import { encodeFrame, encodeGreeting, encodeSubscription, PubSocket, SubSocket, type SocketEvent } from "../../lib/zmtp/index.ts";
import { FakeClock } from "../zmtp/_clock.ts";
import { hex, PyPeer, pyzmqUnavailable, within } from "../zmtp/_peer.ts";
import { CommandTap as Tap } from "../zmtp/_tap.ts";
import { commandFrame, joinFrames, PING_MARK, pongCount, RawClient, SUB_HELLO } from "../zmtp/_raw.ts";
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
  await assertReceives(pub, sub);
}

/** Publishes a metric until `sub` receives one (within 15 s). */
async function assertReceives(pub: PubSocket, sub: SubSocket): Promise<void> {
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
    const tap = new Tap();
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

  it("drops a subscription over max_topic_bytes (counted; nothing goes upstream) and keeps serving; a frame over the backend's frame limit disconnects its peer", async () => {
    await using env = await proxyWithPublisher({ limits: { maxTopicBytes: 64 } });
    const { proxy, pub } = env;
    const events = watch({ events: (signal?: AbortSignal) => sideEvents(proxy, "backend", signal) });
    await within(pub.waitForPeer(), 5000, "publisher on the frontend");
    await using raw = await RawClient.open(proxy.backend, { localAddress: "127.0.0.2" });
    // 500 bytes: over the topic limit, within the frame limit (64 + 1024): dropped, the peer stays.
    raw.write(concat([HELLO, command({ type: "SUBSCRIBE", topic: new Uint8Array(500).fill(0x6d) }), PING]));
    await raw.until(() => ponged(raw));
    assert.equal(proxy.stats.backend.subscriptionsDropped, 1);
    assert.equal(pub.subscribers, 0, "nothing reached the publisher");
    await using huge = await RawClient.open(proxy.backend, { localAddress: "127.0.0.3" });
    huge.write(concat([HELLO, command({ type: "SUBSCRIBE", topic: new Uint8Array(64 * 1024).fill(0x6d) }), PING]));
    await huge.until(() => huge.ended);
    assert.equal(ponged(huge), false);
    assert.equal(events.count("rejected", "too-large"), 1);
    assert.equal(pub.subscribers, 0);
    await assertServed(pub, proxy.backend);
    events.stop();
  });
});

/** A ZMTP 3.0 peer's opening: a 3.0 greeting, READY as a SUB, then a subscription sent as a 0x01 message. */
function subscriber30(topic: string): Uint8Array {
  return concat([encodeGreeting({ minor: 0 }), command({ type: "READY", metadata: [["Socket-Type", te.encode("SUB")]] }), encodeFrame(encodeSubscription(true, te.encode(topic)))]);
}

/** A long frame's header announcing `size` body bytes. */
function longHeader(size: number): Uint8Array {
  const h = new Uint8Array(9);
  h[0] = 0x02;
  new DataView(h.buffer).setBigUint64(1, BigInt(size));
  return h;
}

const fromLegit = (e: SocketEvent, type: SocketEvent["type"], reason?: string) => e.type === type && "remote" in e && e.remote === "127.0.0.1" && (reason === undefined || (e.type === "rejected" && e.reason === reason));

describe("MetricsProxy backend: silent ZMTP 3.0 peers (no PING to time them out)", () => {
  it("256 silent 3.0 connections from 16 addresses hold every slot only until idle_timeout: then the one silent longest makes room for a real receiver", async () => {
    const clock = new FakeClock();
    await using env = await proxyWithPublisher({ socket: { clock } });
    const { proxy, pub } = env;
    const { maxConnections, maxConnectionsPerAddress, idleTimeoutMs } = DEFAULT_BACKEND_LIMITS;
    const events = watch({ events: (signal?: AbortSignal) => sideEvents(proxy, "backend", signal) });
    const holders: RawClient[] = [];
    try {
      for (let a = 0; a < maxConnections / maxConnectionsPerAddress; a++) {
        const opened = await Promise.all(Array.from({ length: maxConnectionsPerAddress }, () => RawClient.open(proxy.backend, { localAddress: `127.0.0.${2 + a}` })));
        holders.push(...opened);
      }
      for (const raw of holders) raw.write(subscriber30("metric"));
      await events.until(() => events.count("handshake") >= maxConnections, 30_000);
      // A real receiver (ZMTP 3.1, libzmq-like retries): refused while every holder is fresh.
      await using receiver = new SubSocket({ reconnectMs: 10, reconnectMaxMs: 50 });
      receiver.subscribe("metric");
      receiver.connect(proxy.backend);
      const refused = () => events.seen.filter((e) => fromLegit(e, "rejected", "over-limit")).length;
      await events.until(() => refused() >= 1);
      clock.advance(idleTimeoutMs - 1);
      const before = refused();
      await events.until(() => refused() > before);
      assert.equal(proxy.stats.backend.evicted, 0, "no holder is evicted before idle_timeout");
      assert.equal(holders.some((r) => r.ended), false);
      const firstClosed = new Promise<void>((resolve) => {
        for (const r of holders) r.socket.once("close", () => resolve());
      });
      clock.advance(1);
      await events.until((e) => fromLegit(e, "handshake"));
      const evicted = events.seen.filter((e) => e.type === "rejected" && e.reason === "evicted");
      assert.equal(evicted.length, 1);
      assert.equal(proxy.stats.backend.evicted, 1);
      assert.equal(proxy.stats.backend.connections, maxConnections);
      await assertReceives(pub, receiver);
      await within(firstClosed, 5000, "the evicted holder's connection closed");
      assert.equal(holders.filter((r) => r.ended).length, 1, "one holder made room, the others stay");
    } finally {
      for (const r of holders) r.socket.destroy();
      events.stop();
    }
  });

  it("keeps a silent 3.0 receiver while there is room: no PING, no timeout, and it still gets metrics", async () => {
    const clock = new FakeClock();
    await using env = await proxyWithPublisher({ socket: { clock } });
    const { proxy } = env;
    const events = watch({ events: (signal?: AbortSignal) => sideEvents(proxy, "backend", signal) });
    await using raw = await RawClient.open(proxy.backend, { localAddress: "127.0.0.2" });
    raw.write(subscriber30("metric"));
    await events.until(() => events.count("handshake") >= 1);
    for (let i = 0; i < 30; i++) clock.advance(DEFAULT_BACKEND_LIMITS.heartbeatMs);
    assert.equal(raw.ended, false);
    assert.equal(proxy.stats.backend.rejected, 0);
    let n = 0;
    for (let i = 0; i < 500 && n === 0; i++) {
      n = proxy.publish('metric shed {"load1": "0.1"}');
      if (n === 0) await new Promise((r) => setImmediate(r));
    }
    assert.equal(n, 1, "the 3.0 receiver's subscription holds");
    await raw.until(() => Buffer.from(raw.received).includes("metric shed"));
    events.stop();
  });
});

describe("MetricsProxy backend: frame limits (receivers send only subscriptions and commands)", () => {
  it("refuses 256 strangers announcing 1,000,000-byte frames from the header, before buffering them; still serves", async () => {
    await using env = await proxyWithPublisher();
    const { proxy, pub } = env;
    const { maxConnections, maxConnectionsPerAddress, maxTopicBytes } = DEFAULT_BACKEND_LIMITS;
    assert.equal(backendMaxFrameBytes(maxTopicBytes), 1280);
    const events = watch({ events: (signal?: AbortSignal) => sideEvents(proxy, "backend", signal) });
    const strangers: RawClient[] = [];
    try {
      for (let a = 0; a < maxConnections / maxConnectionsPerAddress; a++) {
        strangers.push(...(await Promise.all(Array.from({ length: maxConnectionsPerAddress }, () => RawClient.open(proxy.backend, { localAddress: `127.0.0.${2 + a}` })))));
      }
      // The header, then part of the body: the backend must not wait for (nor hold) the rest.
      const body = new Uint8Array(64 * 1024).fill(0x6d);
      for (const raw of strangers) raw.write(concat([HELLO, longHeader(1_000_000), body]));
      await events.until(() => events.count("rejected", "too-large") >= maxConnections, 30_000);
      for (const raw of strangers) await raw.until(() => raw.ended);
      assert.equal(proxy.stats.backend.connections, 0);
      await assertServed(pub, proxy.backend);
    } finally {
      for (const r of strangers) r.socket.destroy();
      events.stop();
    }
  });

  it(`refuses a backend peer's message of more than ${BACKEND_MAX_PARTS} frames (empty frames cost memory too)`, async () => {
    await using env = await proxyWithPublisher();
    const { proxy } = env;
    const events = watch({ events: (signal?: AbortSignal) => sideEvents(proxy, "backend", signal) });
    await using fits = await RawClient.open(proxy.backend, { localAddress: "127.0.0.2" });
    const frames = (n: number) => Array.from({ length: n }, (_, i) => encodeFrame(new Uint8Array(0), { more: i < n - 1 }));
    fits.write(concat([HELLO, ...frames(BACKEND_MAX_PARTS), PING]));
    await fits.until(() => ponged(fits));
    await using over = await RawClient.open(proxy.backend, { localAddress: "127.0.0.3" });
    over.write(concat([HELLO, ...frames(1023), PING]));
    await over.until(() => over.ended);
    assert.equal(events.count("rejected", "too-large"), 1);
    assert.equal(fits.ended, false);
    events.stop();
  });

  it("keeps max_message_bytes on the frontend: a local publisher's 512 KiB metric reaches a receiver", async () => {
    await using env = await proxyWithPublisher();
    const { proxy, pub } = env;
    await using sub = new SubSocket();
    sub.subscribe("metric");
    sub.connect(proxy.backend);
    const big = `metric shed {"blob": "${"x".repeat(512 * 1024)}", "_time": 1.0}`;
    await within(
      (async () => {
        for (;;) {
          pub.send(big);
          const m = await sub.receive(AbortSignal.timeout(100));
          if (m && m[0]!.length === big.length) return;
        }
      })(),
      15_000,
      "the 512 KiB metric through the proxy",
    );
    assert.equal(proxy.stats.frontend.rejected, 0);
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

describe("MetricsProxy's backend limits with real libzmq", { skip: pyzmqUnavailable() }, () => {
  it("a pyzmq SUB (heartbeats on, a topic over max_topic_bytes) stays and is served a pyzmq PUB's metric: its frames fit the backend's frame limit", async () => {
    const tap = new Tap();
    await using proxy = await MetricsProxy.open({ frontend: "tcp://127.0.0.1:0", backend: "tcp://127.0.0.1:0", socket: { transport: tap.transport }, limits: { heartbeatMs: 20, idleTimeoutMs: 400 } });
    const ac = new AbortController();
    const running = proxy.run(ac.signal);
    try {
      const long = "m".repeat(1000);
      await using sub = new PyPeer(["sub", "connect", proxy.backend, hex("metric"), hex(long), "hb=20", "hbt=400"]);
      await sub.ready();
      await using pub = new PyPeer(["metric", proxy.frontend, "shed", "load1", "0.5"]);
      await pub.waitFor((l) => l.startsWith("expect "));
      await sub.waitFor((l) => l.startsWith(`msg ${hex("metric shed ")}`), 0, 10_000);
      // Both sides PING: libzmq's reach the backend, and the backend's are answered, 20 of them.
      await tap.waitFor("sent", "PING", 20);
      await tap.waitFor("received", "PONG", 20);
      await tap.waitFor("received", "PING", 20);
      assert.equal(proxy.stats.backend.rejected, 0, "the libzmq SUB was not dropped");
      assert.equal(proxy.stats.backend.subscriptionsDropped, 1, "its 1,000-byte topic was dropped, not the peer");
      assert.equal(proxy.stats.backend.peers, 1);
    } finally {
      ac.abort();
      await running;
    }
  });
});
