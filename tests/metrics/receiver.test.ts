import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostRecord, MembershipEvent } from "../../lib/beacon/types.ts";
import { backendEndpoint, MetricsProxy, MetricsReceiver, NoProxyError, publishMetric } from "../../lib/metrics/index.ts";
import { within } from "../zmtp/_peer.ts";
import { createServer, type Server } from "node:net";
import { MembershipTable, encodeRichBeacon, encodeUnsealedEnvelope, runBeaconService } from "../../lib/beacon/index.ts";
import { openUdp } from "../../lib/net/index.ts";
import { bunTransport, formatEndpoint, PubSocket, type Transport } from "../../lib/zmtp/index.ts";
import { FakeClock } from "../zmtp/_clock.ts";
import { watch } from "../zmtp/_watch.ts";

/** A TCP listener that counts the connections it accepts. */
async function listener(address: string, port: number): Promise<{ server: Server; port: number; accepted: () => number } | undefined> {
  let n = 0;
  const server = createServer((c) => {
    n++;
    c.destroy();
  });
  const ok = await new Promise<boolean>((resolve) => {
    server.once("error", () => resolve(false));
    server.listen(port, address, () => resolve(true));
  });
  if (!ok) return undefined;
  return { server, port: (server.address() as { port: number }).port, accepted: () => n };
}

function record(host: string, over: Partial<HostRecord> = {}): HostRecord {
  return { host, addresses: ["127.0.0.1"], state: "alive", lastSeenMs: 0, lastSeenUnixMs: 0, intervalMs: 15000, source: "disco.py", ...over };
}

/** A hand-fed stream of membership events. */
function eventStream() {
  const queue: MembershipEvent[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  return {
    push(e: MembershipEvent) {
      queue.push(e);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    async *[Symbol.asyncIterator](): AsyncGenerator<MembershipEvent> {
      for (;;) {
        while (queue.length) yield queue.shift()!;
        if (ended) return;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    },
  };
}

async function proxyAt(dir: string, name: string) {
  const p = await MetricsProxy.open({ frontend: `ipc://${dir}/${name}`, backend: "tcp://127.0.0.1:0" });
  const ac = new AbortController();
  const running = p.run(ac.signal);
  return {
    p,
    async [Symbol.asyncDispose]() {
      ac.abort();
      await running;
      await p.close();
    },
  };
}

describe("backendEndpoint()", () => {
  it("uses the announced endpoint, replacing a wildcard host with the address heard from", () => {
    assert.equal(backendEndpoint(record("a", { addresses: ["10.0.0.5"] })), "tcp://10.0.0.5:9000");
    assert.equal(backendEndpoint(record("a", { addresses: ["10.0.0.5"] }), 9100), "tcp://10.0.0.5:9100");
    assert.equal(backendEndpoint(record("a", { metricsEndpoint: "tcp://10.0.0.9:9001", sealed: true })), "tcp://10.0.0.9:9001", "a sealed beacon is followed as announced");
    assert.equal(backendEndpoint(record("a", { addresses: ["10.0.0.5"], metricsEndpoint: "tcp://*:9001" })), "tcp://10.0.0.5:9001");
    assert.equal(backendEndpoint(record("a", { addresses: ["10.0.0.5"], metricsEndpoint: "garbage" })), "tcp://10.0.0.5:9000");
    assert.equal(backendEndpoint(record("a", { addresses: [] })), undefined);
    assert.equal(backendEndpoint(record("a", { addresses: ["10.0.0.5"], metricsEndpoint: "tcp://10.0.0.5:*" })), "tcp://10.0.0.5:9000", "no port announced");
    assert.equal(backendEndpoint(record("10.0.0.7", { addresses: ["10.0.0.7"], source: "vault-multicast" })), undefined, "a vault service is no metrics host");
  });
});

describe("backendEndpoint() for unsealed beacons (issue 9 #7)", () => {
  it("goes to the beacon's source address whatever host the beacon names; keeps the announced port", () => {
    const spoofed = (metricsEndpoint: string) => record("a", { addresses: ["10.0.0.66"], metricsEndpoint });
    assert.equal(backendEndpoint(spoofed("tcp://10.0.0.9:9001")), "tcp://10.0.0.66:9001");
    assert.equal(backendEndpoint(spoofed("tcp://192.0.2.1:22")), "tcp://10.0.0.66:22");
    assert.equal(backendEndpoint(spoofed("tcp://[2001:db8::1]:9000")), "tcp://10.0.0.66:9000");
    assert.equal(backendEndpoint(spoofed("tcp://victim.example:80")), "tcp://10.0.0.66:80", "no DNS name is ever looked up for a stranger");
    assert.equal(backendEndpoint(spoofed("ipc:///var/tmp/disco")), "tcp://10.0.0.66:9000", "nor a local socket");
    assert.equal(backendEndpoint({ ...spoofed("tcp://10.0.0.9:9001"), source: "disco-json" }), "tcp://10.0.0.66:9001", "an unsealed rich beacon alike");
  });
});

describe("MetricsReceiver following spoofed beacons (real sockets)", () => {
  it("connects only to the source address of unsealed beacons that announce a foreign endpoint", async () => {
    // The attacker's beacons come from 127.0.0.1 and name 127.0.0.3 (any 127/8 address is loopback).
    let source: Awaited<ReturnType<typeof listener>>;
    let victim: Awaited<ReturnType<typeof listener>>;
    for (let tries = 0; !victim; tries++) {
      source?.server.close();
      source = await listener("127.0.0.1", 0);
      victim = await listener("127.0.0.3", source!.port);
      assert.ok(tries < 20, "no port free on both addresses");
    }
    const port = source!.port;
    const stop = new AbortController();
    const table = new MembershipTable();
    const channelId = new Uint8Array([1, 2, 3, 4]);
    let ready!: (p: number) => void;
    const bound = new Promise<number>((r) => (ready = r));
    const service = runBeaconService({ signal: stop.signal, port: 0, listen: "127.0.0.1", send: false, targets: [], intervalMs: 1000, self: { host: "rx" }, channelId, table, onReady: ({ port: p }) => ready(p) });
    await using receiver = new MetricsReceiver();
    const following = receiver.follow(table.subscribe({ signal: stop.signal }), { signal: stop.signal });
    const socketEvents = receiver.events(stop.signal);
    try {
      const beaconPort = await bound;
      await using tx = await openUdp({ address: "127.0.0.1" });
      for (let i = 0; i < 10; i++) {
        const payload = encodeRichBeacon({ host: `fake${i}`, boot: "0123456789abcdef", seq: 1, intervalMs: 60_000, addresses: ["127.0.0.3"], metricsEndpoint: `tcp://127.0.0.3:${port}` });
        await tx.send(encodeUnsealedEnvelope(channelId, payload), beaconPort, "127.0.0.1");
      }
      const deadline = performance.now() + 5000;
      while (receiver.hosts.size < 10 || source!.accepted() === 0) {
        assert.ok(performance.now() < deadline, `followed ${receiver.hosts.size} hosts, ${source!.accepted()} connections at the source`);
        await within(socketEvents.next(), 5000, "a socket event");
      }
      assert.deepEqual(new Set(receiver.hosts.values()), new Set([`tcp://127.0.0.1:${port}`]));
      assert.equal(victim!.accepted(), 0, "nothing reached the announced foreign endpoint");
    } finally {
      stop.abort();
      await service;
      await following;
      source!.server.close();
      victim!.server.close();
    }
  });
});

describe("MetricsReceiver", () => {
  it("connects to hosts that join, receives their metrics, and disconnects hosts that leave or fail", async () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-recv-"));
    try {
      await using a = await proxyAt(dir, "a");
      await using b = await proxyAt(dir, "b");
      await using receiver = new MetricsReceiver();
      const events = eventStream();
      const changes: string[] = [];
      const following = receiver.follow(events, { onChange: (h, action) => changes.push(`${h} ${action}`) });
      events.push({ type: "join", host: record("a", { metricsEndpoint: a.p.backend }) });
      events.push({ type: "join", host: record("b", { metricsEndpoint: b.p.backend }) });
      events.push({ type: "suspect", host: record("b", { metricsEndpoint: b.p.backend, state: "suspect" }) });

      for (const [name, proxy] of [["a", a.p], ["b", b.p]] as const) {
        const r = await publishMetric({ v: name }, { host: name, frontend: proxy.frontend, waitMs: 5000 });
        assert.ok(r.subscribed, `${name}: the receiver's subscription reached the publisher`);
      }
      const got = new Set<string>();
      while (got.size < 2) got.add((await within(receiver.receive(), 5000, "metric"))!.host);
      assert.deepEqual([...got].sort(), ["a", "b"]);

      const backendA = a.p.events();
      events.push({ type: "leave", host: record("a", { metricsEndpoint: a.p.backend }) });
      events.push({ type: "failed", host: record("b", { metricsEndpoint: b.p.backend, state: "failed" }) });
      events.end();
      await following;
      assert.deepEqual(changes, ["a connect", "b connect", "a disconnect", "b disconnect"]);
      assert.equal(receiver.hosts.size, 0);
      assert.deepEqual(receiver.stats.peers, 0);
      await within(
        (async () => {
          for await (const { event } of backendA) if (event.type === "disconnected") return;
        })(),
        5000,
        "proxy a sees the receiver go",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("moves to a host's new endpoint on update and skips frames that are not metrics", async () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-recv-"));
    try {
      await using a = await proxyAt(dir, "a");
      await using receiver = new MetricsReceiver();
      receiver.apply({ type: "join", host: record("a", { metricsEndpoint: "tcp://127.0.0.1:1" }) });
      const r = receiver.apply({ type: "update", host: record("a", { metricsEndpoint: a.p.backend }) });
      assert.deepEqual(r, { action: "connect", endpoint: a.p.backend, previous: "tcp://127.0.0.1:1" });
      assert.deepEqual(receiver.apply({ type: "update", host: record("a", { metricsEndpoint: a.p.backend }) }), { action: "none" });
      // A raw publisher sending a "metric" topic frame that is not a metric, then a real one.
      const { PubSocket } = await import("../../lib/zmtp/index.ts");
      await using pub = new PubSocket();
      pub.connect(a.p.frontend);
      await within(pub.waitForSubscriber(), 5000, "subscription");
      pub.send("metric broken");
      pub.send('metric a {"x": "1", "_time": 1.5}');
      const m = await within(receiver.receive(), 5000, "metric");
      assert.deepEqual(m, { host: "a", values: { x: "1", _time: 1.5 } });
      assert.equal(receiver.badFrames, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("publishMetric()", () => {
  it("reports nobody subscribed after its bounded wait, and NoProxyError without a proxy", async () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-pub-"));
    try {
      await using a = await proxyAt(dir, "a");
      const started = Date.now();
      const r = await publishMetric({ t: "1" }, { host: "h", frontend: a.p.frontend, waitMs: 200, nowMs: () => 1000 });
      assert.equal(r.subscribed, false);
      assert.deepEqual(r.metric, { host: "h", values: { t: "1", _time: 1 } });
      assert.ok(Date.now() - started < 3000);
      await assert.rejects(publishMetric({ t: "1" }, { host: "h", frontend: `ipc://${dir}/none`, waitMs: 200 }), NoProxyError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** bunTransport, counting each connection attempt per endpoint (counted when the socket starts it). */
function countingTransport(): { transport: Transport; attempts: Map<string, number> } {
  const attempts = new Map<string, number>();
  return {
    attempts,
    transport: {
      listen: (ep, accept) => bunTransport.listen(ep, accept),
      connect(ep, open) {
        const key = formatEndpoint(ep);
        attempts.set(key, (attempts.get(key) ?? 0) + 1);
        return bunTransport.connect(ep, open);
      },
    },
  };
}

describe("MetricsReceiver following a host that moves", () => {
  it("disconnects the old endpoint when a host moves: after 100 moves only the last endpoint is connected and retried", async () => {
    // 100 backends that take a connection and close it at once, so the receiver keeps redialing the
    // endpoints it follows; its redials wait on a fake clock that only this test moves.
    const backends: NonNullable<Awaited<ReturnType<typeof listener>>>[] = [];
    try {
      for (let i = 0; i < 100; i++) backends.push((await listener("127.0.0.1", 0))!);
      const endpoints = backends.map((b) => `tcp://127.0.0.1:${b.port}`);
      const last = endpoints[99]!;
      const clock = new FakeClock();
      const { transport, attempts } = countingTransport();
      await using receiver = new MetricsReceiver({ socket: { clock, transport } });
      const events = watch(receiver);
      const left = () => new Set(events.seen.flatMap((e) => (e.type === "disconnected" ? [e.endpoint] : [])));
      const stream = eventStream();
      const changes: string[] = [];
      const following = receiver.follow(stream, { onChange: (h, action, ep) => changes.push(`${h} ${action} ${ep}`) });
      // Unsealed rich beacons for one name, each announcing another port at the same address.
      endpoints.forEach((ep, i) => stream.push({ type: i === 0 ? "join" : "update", host: record("mover", { source: "disco-json", metricsEndpoint: ep }) }));
      stream.end();
      await following;
      assert.equal(changes.filter((c) => c.startsWith("mover connect")).length, 100);
      assert.deepEqual(
        changes.filter((c) => c.startsWith("mover disconnect")),
        endpoints.slice(0, 99).map((ep) => `mover disconnect ${ep}`),
        "each move reports the endpoint left",
      );
      assert.deepEqual([...receiver.hosts], [["mover", last]]);
      // Every endpoint was tried once and its connection ended (closed by the backend, or by the move).
      await events.until(() => left().size === 100);
      assert.deepEqual(
        endpoints.map((ep) => attempts.get(ep)),
        endpoints.map(() => 1),
      );
      // Four rounds of redials (2 s, the longest backoff, each): only the host's current endpoint is retried.
      for (let round = 1; round <= 4; round++) {
        const closed = events.seen.filter((e) => e.type === "disconnected" && e.endpoint === last).length;
        clock.advance(2000);
        assert.deepEqual(
          endpoints.slice(0, 99).filter((ep) => attempts.get(ep) !== 1),
          [],
          `round ${round}: no endpoint the host left was retried`,
        );
        assert.equal(attempts.get(last), 1 + round);
        await events.until(() => events.seen.filter((e) => e.type === "disconnected" && e.endpoint === last).length > closed);
      }
      assert.deepEqual(receiver.endpoints, [last], "one name, one endpoint");
      events.stop();
    } finally {
      for (const b of backends) b.server.close();
    }
  });

  it("keeps an endpoint a host left while another host or a --connect entry still uses it", async () => {
    const clock = new FakeClock();
    const { transport } = countingTransport();
    await using receiver = new MetricsReceiver({ socket: { clock, transport } });
    const [shared, fixed, away] = ["tcp://127.0.0.1:1", "tcp://127.0.0.1:2", "tcp://127.0.0.1:3"];
    receiver.connect(fixed);
    receiver.apply({ type: "join", host: record("a", { metricsEndpoint: shared }) });
    receiver.apply({ type: "join", host: record("b", { metricsEndpoint: shared }) });
    receiver.apply({ type: "join", host: record("c", { metricsEndpoint: fixed }) });
    assert.deepEqual(receiver.apply({ type: "update", host: record("a", { metricsEndpoint: away }) }), { action: "connect", endpoint: away, previous: shared });
    assert.deepEqual(receiver.endpoints.sort(), [shared, fixed, away].sort(), "b still uses the shared endpoint");
    receiver.apply({ type: "update", host: record("b", { metricsEndpoint: away }) });
    receiver.apply({ type: "update", host: record("c", { metricsEndpoint: away }) });
    assert.deepEqual(receiver.endpoints.sort(), [fixed, away].sort(), "the shared one went with its last host; the fixed one stays");
  });
});

describe("MetricsReceiver ties metrics to the connection they came from", () => {
  it("takes from a host's endpoint no metric of a host followed elsewhere (a sealed host's name from another backend is dropped, counted); names no beacon claims and a --connect endpoint's as they come", async () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-recv-"));
    try {
      await using a = await proxyAt(dir, "a");
      await using b = await proxyAt(dir, "b");
      await using c = await proxyAt(dir, "c");
      await using receiver = new MetricsReceiver();
      receiver.apply({ type: "join", host: record("plain", { metricsEndpoint: a.p.backend }) });
      receiver.apply({ type: "join", host: record("vault", { sealed: true, metricsEndpoint: b.p.backend }) });
      receiver.connect(c.p.backend);
      const publishers = [new PubSocket(), new PubSocket(), new PubSocket()];
      try {
        const [pa, pb, pc] = publishers as [PubSocket, PubSocket, PubSocket];
        pa.connect(a.p.frontend);
        pb.connect(b.p.frontend);
        pc.connect(c.p.frontend);
        for (const p of publishers) await within(p.waitForSubscriber(), 5000, "the receiver's subscription through each proxy");
        // Messages of one connection arrive in order: each forgery is handled before the genuine frame after it.
        pa.send('metric vault {"door": "open", "_time": 1.0}');
        pa.send('metric plain {"n": "1", "_time": 1.0}');
        const first = await within(receiver.receive(), 5000, "a metric from plain's backend");
        assert.deepEqual(first, { host: "plain", values: { n: "1", _time: 1 } });
        assert.equal(receiver.foreignFrames, 1, "plain's backend cannot speak for the sealed host");
        // A name no beacon leads anywhere (a sensor publishing through plain's proxy) is taken.
        pa.send('metric sensor1 {"t": "21", "_time": 1.5}');
        assert.deepEqual(await within(receiver.receive(), 5000, "a sensor's metric through plain's proxy"), { host: "sensor1", values: { t: "21", _time: 1.5 } });
        pb.send('metric vault {"door": "shut", "_time": 2.0}');
        assert.deepEqual(await within(receiver.receive(), 5000, "vault's own metric"), { host: "vault", values: { door: "shut", _time: 2 } });
        pc.send('metric anyone {"x": "1", "_time": 3.0}');
        assert.deepEqual(await within(receiver.receive(), 5000, "a metric from the fixed endpoint"), { host: "anyone", values: { x: "1", _time: 3 } });
        assert.equal(receiver.foreignFrames, 1);
        assert.equal(receiver.badFrames, 0);
      } finally {
        for (const p of publishers) await p.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
