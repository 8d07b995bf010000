/**
 * Limits of bound sockets against strangers (issue 9 weakness 2), on real loopback sockets: connections in
 * all and per source address (other hosts are played by source addresses 127.0.0.x), topic length,
 * topics per peer and per socket. No sleeps: every wait is for an event, with a deadline.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { encodeFrame, encodeGreeting, encodeSubscription, PubSocket, SubSocket } from "../../lib/zmtp/index.ts";
import { FakeClock } from "./_clock.ts";
import { within } from "./_peer.ts";
import { commandFrame, joinFrames, PING_MARK, pongCount, RawClient, SUB_HELLO, subscriberBytes } from "./_raw.ts";
import { CommandTap } from "./_tap.ts";
import { watch } from "./_watch.ts";

const te = new TextEncoder();
const td = new TextDecoder();

const command = commandFrame;
const concat = joinFrames;
const subscriber = subscriberBytes;
const ponged = (raw: RawClient) => pongCount(raw) > 0;

/** Publishes `text` until the subscriber gets it (the first sends can precede its subscription). */
async function served(pub: PubSocket, sub: SubSocket, text: string): Promise<void> {
  await within(
    (async () => {
      for (;;) {
        pub.send(text);
        const m = await sub.receive(AbortSignal.timeout(100));
        if (m && td.decode(m[0]!) === text) return;
      }
    })(),
    10_000,
    `subscriber served "${text}"`,
  );
}

describe("bound sockets limit connections", () => {
  it("refuses connections over maxConnectionsPerAddress and maxConnections at once, counted; legitimate peers keep working", async () => {
    await using pub = new PubSocket({ maxConnections: 4, maxConnectionsPerAddress: 2 });
    const ep = await pub.bind("tcp://127.0.0.1:0");
    const events = watch(pub);
    await using legit = new SubSocket();
    legit.subscribe("m");
    legit.connect(ep);
    await within(pub.waitForSubscriber(), 5000, "legitimate subscriber");

    // Host 127.0.0.2: two are taken, the third is closed before it gets a byte.
    const a = [await RawClient.open(ep, { localAddress: "127.0.0.2" }), await RawClient.open(ep, { localAddress: "127.0.0.2" })];
    await events.until(() => events.count("accepted") >= 3);
    await using third = await RawClient.open(ep, { localAddress: "127.0.0.2" });
    await third.until(() => third.ended);
    assert.equal(third.received.length, 0, "a refused connection gets not even a greeting");
    assert.equal(events.count("rejected", "over-limit"), 1);
    // Host 127.0.0.3: one more fits in the total of 4, the next is over it.
    const b = await RawClient.open(ep, { localAddress: "127.0.0.3" });
    await events.until(() => events.count("accepted") >= 4);
    await using over = await RawClient.open(ep, { localAddress: "127.0.0.3" });
    await over.until(() => over.ended);
    assert.equal(pub.stats.refused, 2);
    assert.equal(pub.stats.connections, 4);
    await served(pub, legit, "m1");

    // A slot freed is a slot taken again.
    for (const r of [...a, b]) r.socket.destroy();
    await events.until(() => events.count("disconnected") >= 3);
    assert.equal(pub.stats.connections, 1);
    await using again = await RawClient.open(ep, { localAddress: "127.0.0.2" });
    again.write(subscriber(["x"]));
    await again.until(() => ponged(again));
    assert.equal(pub.stats.refused, 2);
    events.stop();
  });

  it("counts ipc connections in all but not per address (local peers share the socket path)", async () => {
    const dir = `/tmp/disco-limits-${process.pid}-${Date.now()}`;
    await using pub = new PubSocket({ maxConnections: 3, maxConnectionsPerAddress: 1 });
    const ep = await pub.bind(`ipc://${dir}.sock`);
    const subs = [new SubSocket(), new SubSocket(), new SubSocket(), new SubSocket()];
    try {
      const events = watch(pub);
      for (const s of subs) {
        s.subscribe("");
        s.connect(ep);
      }
      await events.until(() => events.count("handshake") >= 3 && events.count("rejected", "over-limit") >= 1);
      assert.equal(pub.stats.connections, 3);
      events.stop();
    } finally {
      for (const s of subs) await s.close();
    }
  });
});

describe("publishers limit subscriptions", () => {
  it("drops a topic over maxTopicBytes, counted, and takes one at the limit", async () => {
    await using pub = new PubSocket({ maxTopicBytes: 256 });
    const ep = await pub.bind("tcp://127.0.0.1:0");
    await using raw = await RawClient.open(ep);
    const long = new Uint8Array(257).fill(0x61);
    const fits = new Uint8Array(256).fill(0x62);
    raw.write(subscriber([long, fits]));
    await raw.until(() => ponged(raw));
    assert.equal(pub.stats.subscriptionsDropped, 1);
    assert.equal(pub.send(long), 0, "the 257-byte topic was not taken");
    assert.equal(pub.send(fits), 1);
  });

  it("holds at most maxTopics over all peers, yet always takes a newcomer's first topic", async () => {
    await using pub = new PubSocket({ maxTopics: 5 });
    const ep = await pub.bind("tcp://127.0.0.1:0");
    await using junk = await RawClient.open(ep);
    junk.write(subscriber(Array.from({ length: 50 }, (_, i) => `junk${String(i).padStart(3, "0")}`)));
    await junk.until(() => ponged(junk));
    assert.equal(pub.stats.subscriptionsDropped, 50 - 6, "its first topic and five more");
    await using real = await RawClient.open(ep);
    real.write(subscriber(["metric", "second"]));
    await real.until(() => ponged(real));
    assert.equal(pub.stats.subscriptionsDropped, 50 - 6 + 1, "the newcomer's second topic is over the limit");
    assert.equal(pub.send("metric shed {}"), 1);
    // Cancelling frees room for others.
    const pongs = pongCount;
    junk.write(concat([command({ type: "CANCEL", topic: te.encode("junk001") }), command({ type: "PING", ttlDs: 0, context: te.encode("2") })]));
    await junk.until(() => pongs(junk) >= 2);
    real.write(concat([command({ type: "SUBSCRIBE", topic: te.encode("second") }), command({ type: "PING", ttlDs: 0, context: te.encode("2") })]));
    await real.until(() => pongs(real) >= 2);
    assert.equal(pub.send("second"), 1);
  });
});

/** A ZMTP 3.0 peer's opening: a 3.0 greeting and READY as a SUB (3.0 has no PING: it is silent after this). */
const HELLO_30 = joinFrames([encodeGreeting({ minor: 0 }), commandFrame({ type: "READY", metadata: [["Socket-Type", te.encode("SUB")]] })]);

describe("bound sockets make room at a connection limit", () => {
  it("a newcomer at maxConnectionsPerAddress evicts that address's peer silent longest past heartbeatTimeoutMs (ZMTP 3.0, no PING); none silent that long: refused; a peer answering PINGs stays", async () => {
    const clock = new FakeClock();
    const tap = new CommandTap();
    await using pub = new PubSocket({ maxConnections: 3, maxConnectionsPerAddress: 2, heartbeatMs: 1000, heartbeatTimeoutMs: 3000, clock, transport: tap.transport });
    const ep = await pub.bind("tcp://127.0.0.1:0");
    const events = watch(pub);
    const count = (type: "handshake" | "rejected", reason?: string) => events.count(type, reason);
    // A disco SUB (3.1: PINGed, answers) and two silent 3.0 peers from 127.0.0.2, all at t = 0.
    await using live = new SubSocket();
    live.subscribe("m");
    live.connect(ep);
    await using a = await RawClient.open(ep, { localAddress: "127.0.0.2" });
    await using b = await RawClient.open(ep, { localAddress: "127.0.0.2" });
    a.write(HELLO_30);
    b.write(HELLO_30);
    await events.until(() => count("handshake") >= 3);
    await within(pub.waitForSubscriber(), 5000, "the live subscriber");
    const tick = async (ms: number, pongs: number) => {
      clock.advance(ms);
      await tap.waitFor("received", "PONG", pongs);
    };
    await tick(1000, 1);
    // b speaks at t = 1500 (a 3.0 subscription, as a message): it is no longer the silent one.
    clock.advance(500);
    b.write(encodeFrame(encodeSubscription(true, te.encode("x"))));
    await within(pub.waitForSubscriber(undefined, 2), 5000, "b's subscription");
    await tick(500, 2);
    // t = 2999: a has been silent just under the timeout: a newcomer from its address is refused.
    clock.advance(999);
    await using early = await RawClient.open(ep, { localAddress: "127.0.0.2" });
    await early.until(() => early.ended);
    assert.equal(count("rejected", "over-limit"), 1);
    assert.equal(pub.stats.evicted, 0);
    // t = 3000: a has been silent for the timeout: the next newcomer from 127.0.0.2 takes its slot.
    await tick(1, 3);
    await using c = await RawClient.open(ep, { localAddress: "127.0.0.2" });
    c.write(HELLO_30);
    await events.until(() => count("handshake") >= 4);
    await a.until(() => a.ended);
    assert.equal(count("rejected", "evicted"), 1);
    assert.equal(pub.stats.evicted, 1);
    assert.equal(b.ended, false, "b spoke 1.5 s ago");
    // The socket is full (live, b, c) and nobody has been silent for the timeout: another address is refused.
    await using other = await RawClient.open(ep, { localAddress: "127.0.0.3" });
    await other.until(() => other.ended);
    assert.equal(count("rejected", "over-limit"), 2);
    assert.equal(pub.stats.evicted, 1);
    assert.equal(pub.stats.connections, 3);
    await served(pub, live, "m still served");
    events.stop();
  });

  it("does not evict without heartbeats (the default): a full socket refuses, as before", async () => {
    const clock = new FakeClock();
    await using pub = new PubSocket({ maxConnections: 1, clock });
    const ep = await pub.bind("tcp://127.0.0.1:0");
    const events = watch(pub);
    await using a = await RawClient.open(ep, { localAddress: "127.0.0.2" });
    a.write(HELLO_30);
    await events.until(() => events.count("handshake") >= 1);
    clock.advance(3_600_000);
    await using b = await RawClient.open(ep, { localAddress: "127.0.0.3" });
    await b.until(() => b.ended);
    assert.equal(a.ended, false);
    assert.equal(pub.stats.evicted, 0);
    assert.equal(pub.stats.refused, 1);
    events.stop();
  });
});

describe("bound sockets limit message frames", () => {
  it("disconnects a peer whose message has more than maxParts frames; one at the limit is taken", async () => {
    await using pub = new PubSocket({ maxParts: 4 });
    const ep = await pub.bind("tcp://127.0.0.1:0");
    const events = watch(pub);
    const frames = (n: number) => Array.from({ length: n }, (_, i) => encodeFrame(new Uint8Array(0), { more: i < n - 1 }));
    await using fits = await RawClient.open(ep);
    fits.write(joinFrames([SUB_HELLO, ...frames(4), PING_MARK]));
    await fits.until(() => ponged(fits));
    await using over = await RawClient.open(ep);
    over.write(joinFrames([SUB_HELLO, ...frames(5), PING_MARK]));
    await over.until(() => over.ended);
    assert.equal(events.count("rejected", "too-large"), 1);
    assert.equal(fits.ended, false);
    events.stop();
  });
});
