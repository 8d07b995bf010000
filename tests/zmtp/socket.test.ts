import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  encodeCommand,
  encodeFrame,
  encodeGreeting,
  DEFAULT_MAX_TOPICS_PER_PEER,
  PubSocket,
  SubSocket,
  XPubSocket,
  XSubSocket,
  TransportError,
  ZmtpDecoder,
  runProxy,
  type ZmtpSocket,
} from "../../lib/zmtp/index.ts";
import { within } from "./_peer.ts";
import { pongCount, RawClient, subscriberBytes } from "./_raw.ts";
import { FakeClock, redialing } from "./_clock.ts";
import { CommandTap } from "./_tap.ts";
import { watch } from "./_watch.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const text = (parts: Uint8Array[] | undefined) => parts?.map((p) => td.decode(p));

function readyFrame(type: string): Uint8Array {
  return encodeFrame(encodeCommand({ type: "READY", metadata: [["Socket-Type", te.encode(type)]] }), { command: true });
}

async function pubSubPair(bindEp: string) {
  const pub = new PubSocket();
  const ep = await pub.bind(bindEp);
  const sub = new SubSocket();
  return { pub, sub, ep };
}

/** A fresh SubSocket connected to `ep` (subscribed to everything) gets `body` published on `pub`. */
async function assertServes(pub: PubSocket, ep: string, body: string): Promise<void> {
  await using sub = new SubSocket();
  sub.subscribe();
  sub.connect(ep);
  await within(pub.waitForSubscriber(), 5000, "subscription");
  pub.send(body);
  assert.deepEqual(text(await within(sub.receive(), 5000, `message ${body}`)), [body]);
}

describe("sockets (disco to disco)", () => {
  for (const [name, bindEp] of [
    ["tcp", "tcp://127.0.0.1:0"],
    ["ipc", "ipc"],
  ] as const) {
    it(`PubSocket → SubSocket over ${name}: prefix filter and multipart`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "zmtp-"));
      try {
        const { pub, sub, ep } = await pubSubPair(bindEp === "ipc" ? `ipc://${dir}/s` : bindEp);
        await using _p = pub;
        await using _s = sub;
        sub.subscribe("metric ");
        sub.connect(ep);
        assert.ok(await within(pub.waitForSubscriber(), 5000, "subscription"));
        assert.equal(pub.send("other x"), 0);
        assert.equal(pub.send(["metric shed", "part 2", new Uint8Array(300).fill(65)]), 1);
        const got = await within(sub.receive(), 5000, "message");
        assert.deepEqual(text(got), ["metric shed", "part 2", "A".repeat(300)]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("bind() refuses an ipc path another socket listens on, and replaces a stale file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zmtp-"));
    try {
      const path = `ipc://${dir}/s`;
      await using first = new PubSocket();
      await first.bind(path);
      await using second = new PubSocket();
      await assert.rejects(second.bind(path), (e: unknown) => e instanceof TransportError && e.code === "EADDRINUSE");
      // The first still serves.
      await using sub = new SubSocket();
      sub.subscribe();
      sub.connect(path);
      await within(first.waitForSubscriber(), 5000, "subscriber of the first");
      // A leftover file nobody listens on is replaced.
      writeFileSync(`${dir}/stale`, "");
      await using third = new PubSocket();
      assert.equal(await third.bind(`ipc://${dir}/stale`), `ipc://${dir}/stale`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("PubSocket binds IPv6 loopback when the host has it", async (t) => {
    await using pub = new PubSocket();
    let ep: string;
    try {
      ep = await pub.bind("tcp://[::1]:0");
    } catch {
      t.skip("no IPv6 loopback on this host");
      return;
    }
    assert.match(ep, /^tcp:\/\/\[::1\]:\d+$/);
    await assertServes(pub, ep, "v6");
  });

  it("XPubSocket hands up first subscriptions and last cancels, and cancels a gone peer's topics", async () => {
    await using xpub = new XPubSocket();
    const ep = await xpub.bind("tcp://127.0.0.1:0");
    const a = new SubSocket();
    await using b = new SubSocket();
    for (const s of [a, b]) {
      s.subscribe("t");
      s.connect(ep);
    }
    assert.deepEqual(await within(xpub.receive(), 5000, "subscribe"), [Uint8Array.of(1, 0x74)]);
    assert.ok(await within(xpub.waitForSubscriber(undefined, 2), 5000, "two subscribers"));
    await a.close();
    b.unsubscribe("t");
    assert.deepEqual(await within(xpub.receive(), 5000, "cancel"), [Uint8Array.of(0, 0x74)]);
  });

  it("SubSocket.receiveFrom() names the connection each message came from; XPubSocket's own notices come from none", async () => {
    await using one = new PubSocket();
    await using two = new PubSocket();
    const ep1 = await one.bind("tcp://127.0.0.1:0");
    const ep2 = await two.bind("tcp://127.0.0.1:0");
    await using sub = new SubSocket();
    sub.subscribe("m");
    sub.connect(ep1);
    sub.connect(ep2);
    await within(Promise.all([one.waitForSubscriber(), two.waitForSubscriber()]), 5000, "both subscriptions");
    one.send("m1");
    const first = await within(sub.receiveFrom(), 5000, "from one");
    assert.deepEqual([text(first?.parts), first?.endpoint], [["m1"], ep1]);
    two.send("m2");
    const second = await within(sub.receiveFrom(), 5000, "from two");
    assert.deepEqual([text(second?.parts), second?.endpoint], [["m2"], ep2]);
    assert.match(second!.remote, /^127\.0\.0\.1:\d+$/);
    await using xpub = new XPubSocket();
    const ep3 = await xpub.bind("tcp://127.0.0.1:0");
    sub.connect(ep3);
    const notice = await within(xpub.receiveFrom(), 5000, "subscription notice");
    assert.deepEqual(notice, { parts: [Uint8Array.of(1, 0x6d)], endpoint: "", remote: "" });
  });

  it("SubSocket reconnects and resubscribes when the publisher restarts on the same port", async () => {
    const pub1 = new PubSocket({});
    const ep = await pub1.bind("tcp://127.0.0.1:0");
    const clock = new FakeClock();
    await using sub = new SubSocket({ reconnectMs: 20, reconnectMaxMs: 100, clock });
    sub.subscribe("");
    sub.connect(ep);
    await within(pub1.waitForSubscriber(), 5000, "first subscription");
    pub1.send("before");
    assert.deepEqual(text(await within(sub.receive(), 5000, "before")), ["before"]);
    await using pub2 = new PubSocket();
    // The redials run on the fake clock, moved on each time the subscriber reports a lost connection.
    await redialing(clock, sub, async () => {
      await pub1.close();
      await pub2.bind(ep);
      await within(pub2.waitForSubscriber(), 5000, "subscription after restart");
    });
    pub2.send("after");
    assert.deepEqual(text(await within(sub.receive(), 5000, "after")), ["after"]);
    assert.ok(sub.stats.connected >= 2);
  });

  it("connect() retries with doubling backoff up to the maximum until the peer appears", async () => {
    const probe = new PubSocket();
    const ep = await probe.bind("tcp://127.0.0.1:0");
    await probe.close();
    const clock = new FakeClock();
    await using sub = new SubSocket({ reconnectMs: 10, reconnectMaxMs: 40, clock });
    const events = watch(sub);
    const failures = () => events.seen.filter((e) => e.type === "connect-failed").length;
    sub.subscribe();
    sub.connect(ep);
    // Each retry waits on the fake clock: one failure, then nothing until the test moves time on.
    for (let n = 1; n <= 4; n++) {
      await events.until(() => failures() >= n);
      assert.equal(failures(), n);
      const delay = events.seen.flatMap((e) => (e.type === "connect-failed" ? [e.retryMs] : []))[n - 1]!;
      assert.deepEqual(clock.dueInMs, [delay]);
      clock.advance(delay - 1);
      assert.equal(failures(), n, "no retry before the delay");
      clock.advance(1);
    }
    const delays = events.seen.flatMap((e) => (e.type === "connect-failed" ? [e.retryMs] : [])).slice(0, 4);
    assert.deepEqual(delays, [10, 20, 40, 40]);
    await using pub = new PubSocket();
    await pub.bind(ep);
    // The fifth attempt (in flight or due in 40 ms) finds it.
    await events.until((e) => e.type === "connected" || failures() >= 5);
    if (failures() >= 5) clock.advance(40);
    await within(pub.waitForSubscriber(), 5000, "subscriber once the publisher exists");
    events.stop();
  });

  it("PubSocket drops at a stalled peer's high-water mark and keeps its queue bounded", async () => {
    await using pub = new PubSocket({ highWaterMark: 50 });
    const ep = await pub.bind("tcp://127.0.0.1:0");
    await using raw = await RawClient.open(ep);
    raw.write(encodeGreeting());
    raw.write(readyFrame("SUB"));
    raw.write(encodeFrame(encodeCommand({ type: "SUBSCRIBE", topic: new Uint8Array(0) }), { command: true }));
    await within(pub.waitForSubscriber(), 5000, "raw subscription");
    raw.socket.pause();
    const big = new Uint8Array(64 * 1024);
    for (let i = 0; i < 2000; i++) {
      pub.send(big);
      if (i % 100 === 0) await new Promise<void>((r) => setImmediate(r));
    }
    assert.ok(pub.stats.dropped > 0, `dropped ${pub.stats.dropped}`);
    assert.ok(pub.stats.dropped < 2000);
  });

  it("a proxy forwards publishers' messages to subscribers and subscriptions upstream", async () => {
    await using xsub = new XSubSocket();
    await using xpub = new XPubSocket();
    const front = await xsub.bind("tcp://127.0.0.1:0");
    const back = await xpub.bind("tcp://127.0.0.1:0");
    const ac = new AbortController();
    const proxy = runProxy(xsub, xpub, { signal: ac.signal });
    await using pub = new PubSocket();
    await using sub = new SubSocket();
    pub.connect(front);
    sub.subscribe("metric");
    sub.connect(back);
    assert.ok(await within(pub.waitForSubscriber(), 5000, "subscription through the proxy"));
    pub.send(["metric a", "b"]);
    assert.deepEqual(text(await within(sub.receive(), 5000, "message through the proxy")), ["metric a", "b"]);
    ac.abort();
    const stats = await proxy;
    assert.equal(stats.forwarded, 1);
    assert.equal(stats.subscriptions, 1);
  });
});

describe("ZMTP 3.0 peers", () => {
  it("a PubSocket takes a 3.0 peer's subscription sent as a 0x01 message", async () => {
    await using pub = new PubSocket();
    const ep = await pub.bind("tcp://127.0.0.1:0");
    await using raw = await RawClient.open(ep);
    raw.write(encodeGreeting({ minor: 0 }));
    raw.write(readyFrame("SUB"));
    raw.write(encodeFrame(Uint8Array.of(0x01, 0x61))); // subscribe "a", ZMTP 3.0 message form
    await within(pub.waitForSubscriber(), 5000, "3.0 subscription");
    pub.send("b-skipped");
    pub.send("a-wanted");
    const messages = () =>
      new ZmtpDecoder()
        .feed(raw.received)
        .filter((e) => e.type === "message")
        .map((e) => (e.type === "message" ? td.decode(e.parts[0]) : ""));
    await raw.until(() => messages().length > 0);
    assert.deepEqual(messages(), ["a-wanted"]);
  });

  it("a SubSocket sends its subscription to a 3.0 peer as a message, to a 3.1 peer as a command", async () => {
    for (const minor of [0, 1]) {
      await using sub = new SubSocket();
      const ep = await sub.bind("tcp://127.0.0.1:0");
      sub.subscribe("top");
      await using raw = await RawClient.open(ep);
      raw.write(encodeGreeting({ minor }));
      raw.write(readyFrame("PUB"));
      const subscription = () =>
        new ZmtpDecoder().feed(raw.received).find((e) => (e.type === "message" && e.parts[0]![0] === 1) || (e.type === "command" && e.command.type === "SUBSCRIBE"));
      await raw.until(() => subscription() !== undefined);
      const e = subscription()!;
      if (minor === 0) assert.deepEqual(e, { type: "message", parts: [Uint8Array.of(1, ...te.encode("top"))] });
      else assert.deepEqual(e, { type: "command", command: { type: "SUBSCRIBE", topic: te.encode("top") } });
    }
  });

  it("runProxy() with a tap asks publishers for everything with no subscriber on the backend, and hands the tap each message", async () => {
    await using xsub = new XSubSocket();
    await using xpub = new XPubSocket();
    const front = await xsub.bind("tcp://127.0.0.1:0");
    await xpub.bind("tcp://127.0.0.1:0");
    const ac = new AbortController();
    let tapped!: (parts: readonly Uint8Array[]) => void;
    const got = new Promise<readonly Uint8Array[]>((r) => (tapped = r));
    const running = runProxy(xsub, xpub, { signal: ac.signal, tap: (parts) => tapped(parts) });
    await using pub = new PubSocket();
    pub.connect(front);
    assert.ok(await within(pub.waitForSubscriber(), 5000, "the tap's subscription upstream"));
    assert.equal(pub.send(["metric a", "b"]), 1);
    assert.deepEqual(text([...(await within(got, 5000, "the message at the tap"))]), ["metric a", "b"]);
    ac.abort();
    const stats = await running;
    assert.equal(stats.forwarded, 1);
    assert.equal(stats.upstream, 1);
  });

  it("runProxy() forwards a subscription that reached the XPUB before the proxy started", async () => {
    await using xsub = new XSubSocket();
    await using xpub = new XPubSocket();
    const front = await xsub.bind("tcp://127.0.0.1:0");
    const back = await xpub.bind("tcp://127.0.0.1:0");
    await using sub = new SubSocket();
    sub.subscribe("early");
    sub.connect(back);
    await within(xpub.waitForSubscriber(), 5000, "subscription at the XPUB");
    const ac = new AbortController();
    const running = runProxy(xsub, xpub, { signal: ac.signal });
    await using pub = new PubSocket();
    pub.connect(front);
    assert.ok(await within(pub.waitForSubscriber(), 5000, "subscription forwarded upstream"));
    ac.abort();
    assert.equal((await running).subscriptions, 1);
  });
});

describe("sockets refuse bad peers", () => {
  async function victim(options = {}) {
    const clock = new FakeClock();
    const pub = new PubSocket({ maxMessageBytes: 1000, handshakeTimeoutMs: 300, clock, ...options });
    const ep = await pub.bind("tcp://127.0.0.1:0");
    return { pub, ep, clock, events: watch(pub) };
  }

  // The truncated greeting is only refused when the handshake deadline passes: its test moves the fake
  // clock past it once the connection is accepted (the other cases are refused on their bytes alone).
  const cases: [string, (raw: RawClient) => void, string][] = [
    ["garbage (an HTTP request)", (r) => r.write(te.encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n")), "frame"],
    ["an unknown mechanism", (r) => r.write(encodeGreeting({ mechanism: "CURVE" })), "mechanism"],
    ["a truncated greeting (then silence)", (r) => r.write(encodeGreeting().subarray(0, 30)), "sequence"],
    ["a PUB talking to a PUB", (r) => (r.write(encodeGreeting()), r.write(readyFrame("PUB"))), "socket-type"],
    ["a message before READY", (r) => (r.write(encodeGreeting()), r.write(encodeFrame(te.encode("x")))), "sequence"],
    [
      "an oversized frame (refused from its header)",
      (r) => (r.write(encodeGreeting()), r.write(readyFrame("SUB")), r.write(Uint8Array.of(0x02, 0, 0, 0, 0, 0x7f, 0, 0, 0))),
      "too-large",
    ],
  ];
  for (const [what, send, reason] of cases) {
    it(`a peer sending ${what} is disconnected and counted; the socket keeps serving`, async () => {
      const { pub, ep, events, clock } = await victim();
      await using _ = pub;
      await using raw = await RawClient.open(ep);
      send(raw);
      if (reason === "sequence" && what.includes("silence")) {
        await events.until((x) => x.type === "accepted");
        clock.advance(299);
        assert.equal(pub.stats.rejected, 0, "not before the deadline");
        clock.advance(1);
      }
      const e = await events.until((x) => x.type === "rejected");
      assert.equal(e.type === "rejected" && e.reason, reason);
      await raw.until(() => raw.ended);
      assert.equal(pub.stats.rejected, 1);
      assert.equal(pub.stats.peers, 0);
      // Still serving good peers.
      await assertServes(pub, ep, "ok");
      events.stop();
    });
  }

  it("a peer that stops answering heartbeats is dropped with reason timeout; a live one stays", async () => {
    const tap = new CommandTap();
    const { pub, ep, events, clock } = await victim({ heartbeatMs: 20, heartbeatTimeoutMs: 60, transport: tap.transport });
    await using _ = pub;
    await using live = new SubSocket();
    live.subscribe();
    live.connect(ep);
    await within(pub.waitForSubscriber(), 5000, "live subscriber");
    await using raw = await RawClient.open(ep);
    raw.write(encodeGreeting());
    raw.write(readyFrame("SUB"));
    await events.until(() => events.seen.filter((x) => x.type === "handshake").length >= 2);
    // Each interval on the fake clock: a PING to both peers; the disco SUB answers it, the raw peer is silent.
    for (let k = 1; k <= 2; k++) {
      clock.advance(20);
      await tap.waitFor("sent", "PING", 2 * k);
      await tap.waitFor("received", "PONG", k);
      assert.equal(pub.stats.rejected, 0, `still connected at ${20 * k} ms`);
    }
    clock.advance(20);
    const e = await events.until((x) => x.type === "rejected");
    assert.equal(e.type === "rejected" && e.reason, "timeout");
    // It got PINGs first, with the TTL (deciseconds) telling it how long we wait.
    const pings = new ZmtpDecoder().feed(raw.received).filter((x) => x.type === "command" && x.command.type === "PING");
    assert.ok(pings.length >= 1);
    assert.deepEqual(pings[0], { type: "command", command: { type: "PING", ttlDs: 1, context: new Uint8Array(0) } });
    // The disco SUB answers PINGs: still connected after the raw peer was dropped.
    assert.equal(pub.stats.peers, 1);
    pub.send("alive");
    assert.deepEqual(text(await within(live.receive(), 5000, "message")), ["alive"]);
    events.stop();
  });

  it("a session answers PING with PONG carrying the context", async () => {
    await using pub = new PubSocket();
    const ep = await pub.bind("tcp://127.0.0.1:0");
    await using raw = await RawClient.open(ep);
    raw.write(encodeGreeting());
    raw.write(readyFrame("SUB"));
    raw.write(encodeFrame(encodeCommand({ type: "PING", ttlDs: 10, context: te.encode("hb1") }), { command: true }));
    const found = () => {
      const events = new ZmtpDecoder().feed(raw.received);
      return events.some((e) => e.type === "command" && e.command.type === "PONG" && td.decode(e.command.context) === "hb1");
    };
    await raw.until(found);
    assert.ok(found());
  });

  it("a peer cannot subscribe to more than maxTopicsPerPeer distinct topics (default DEFAULT_MAX_TOPICS_PER_PEER)", async () => {
    await using pub = new PubSocket();
    const ep = await pub.bind("tcp://127.0.0.1:0");
    await using raw = await RawClient.open(ep);
    // Same length, so no topic is a prefix of another.
    const topic = (i: number) => `t${String(i).padStart(6, "0")}`;
    // A PING after them: its PONG proves every subscription before it was processed.
    raw.write(subscriberBytes(Array.from({ length: DEFAULT_MAX_TOPICS_PER_PEER + 1 }, (_, i) => topic(i))));
    await raw.until(() => pongCount(raw) > 0);
    assert.equal(pub.stats.subscriptionsDropped, 1);
    assert.equal(pub.send(topic(DEFAULT_MAX_TOPICS_PER_PEER - 1)), 1);
    assert.equal(pub.send(topic(DEFAULT_MAX_TOPICS_PER_PEER)), 0, "the topic over the limit was not taken");
  });

  it("arbitrary bytes after a valid greeting never crash the socket or leave a session", async () => {
    const { pub, ep, events } = await victim({ handshakeTimeoutMs: 100 });
    await using _ = pub;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.boolean(), async (junk, ready) => {
        await using raw = await RawClient.open(ep);
        raw.write(encodeGreeting());
        if (ready) raw.write(readyFrame("SUB"));
        raw.write(junk);
        raw.socket.end();
        await raw.until(() => raw.ended);
      }),
      { numRuns: 60 },
    );
    await within(pub.waitForNoConnections(), 5000, "every session gone");
    assert.equal(pub.stats.peers, 0);
    assert.equal(pub.stats.connections, 0);
    events.stop();
  });

  it("a socket survives 200 garbage connections without keeping any session", async () => {
    const { pub, ep, events } = await victim();
    await using _ = pub;
    for (let i = 0; i < 200; i++) {
      await using raw = await RawClient.open(ep);
      raw.write(Uint8Array.of(0xff, 1, 2, 3, 4, 5, 6, 7, 8, 0, 9));
      await raw.until(() => raw.ended);
    }
    assert.equal(pub.stats.rejected, 200);
    assert.equal(pub.stats.peers, 0);
    assert.equal(pub.stats.connections, 0);
    events.stop();
  });
});
