/**
 * disco's ZMTP against real libzmq (Debian python3-zmq, driven through peers/peer.py), both directions,
 * over tcp and ipc. Synchronised on events: XPUB/PUB subscription seen, the peer's "ready" line, or
 * publish-until-first-receipt with a deadline. Never sleeps.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PubSocket, SubSocket, XPubSocket, XSubSocket, runProxy } from "../../lib/zmtp/index.ts";
import { PyPeer, hex, msgLine, pyzmqUnavailable, within } from "./_peer.ts";
import { FakeClock, redialing } from "./_clock.ts";
import { CommandTap } from "./_tap.ts";

const td = new TextDecoder();
const text = (parts: Uint8Array[] | undefined) => parts?.map((p) => td.decode(p));
const skip = pyzmqUnavailable();

/** Receives on `sub` while `peer` repeats `parts`; then stops the repeat. Returns the first message. */
async function receiveWhileRepeating(peer: PyPeer, sub: SubSocket, parts: string[]): Promise<Uint8Array[] | undefined> {
  peer.write(`repeat ${parts.map(hex).join(",")}`);
  const m = await within(sub.receive(), 10_000, "first message from libzmq");
  peer.write("stop");
  return m;
}

for (const transport of ["tcp", "ipc"] as const) {
  describe(`libzmq interop over ${transport}`, { skip }, () => {
    let dir = "";
    const ep = (name: string) => (transport === "tcp" ? "tcp://127.0.0.1:*" : `ipc://${dir}/${name}`);
    const bindEp = (name: string) => (transport === "tcp" ? "tcp://127.0.0.1:0" : `ipc://${dir}/${name}`);
    /** A test body run with `dir` a fresh temp dir (for ipc paths), removed afterwards. */
    const inTempDir = (body: () => Promise<void>) => async () => {
      dir = mkdtempSync(join(tmpdir(), "zmtp-interop-"));
      try {
        await body();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };

    it("pyzmq PUB → disco SUB, multipart, then the PUB restarts mid-stream and the SUB carries on", inTempDir(async () => {
      const first = new PyPeer(["pub", "bind", ep("pub")]);
      const [endpoint] = await first.ready();
      const clock = new FakeClock();
      await using sub = new SubSocket({ reconnectMs: 20, reconnectMaxMs: 200, clock });
      sub.subscribe("metric");
      sub.connect(endpoint!);
      assert.deepEqual(text(await receiveWhileRepeating(first, sub, ["metric shed", "part two"])), ["metric shed", "part two"]);
      // Redials on the fake clock, each as soon as the subscriber reports the connection lost or refused.
      const second = await redialing(clock, sub, async () => {
        await first.close();
        const peer = new PyPeer(["pub", "bind", endpoint!]);
        await peer.ready();
        await within(sub.waitForPeer(), 10_000, "reconnected to the restarted peer");
        return peer;
      });
      await using _second = second;
      // Drain what the first peer's repeat left queued, then wait for the restarted peer's message.
      second.write(`repeat ${hex("metric after restart")}`);
      await within(
        (async () => {
          for (;;) {
            const m = await sub.receive();
            if (m && td.decode(m[0]) === "metric after restart") return;
          }
        })(),
        10_000,
        "message after the restart",
      );
      second.write("stop");
      assert.ok(sub.stats.connected >= 2);
    }));

    it("disco PUB → pyzmq SUB with a topic prefix filter, multipart", inTempDir(async () => {
      await using pub = new PubSocket();
      const endpoint = await pub.bind(bindEp("pub"));
      await using peer = new PyPeer(["sub", "connect", endpoint, hex("metric")]);
      await peer.ready();
      assert.ok(await within(pub.waitForSubscriber(), 10_000, "libzmq's subscription"));
      assert.equal(pub.send(["other thing", "x"]), 0);
      pub.send(["metric shed {}", "second", "third"]);
      const { line } = await peer.waitFor((l) => l.startsWith("msg"));
      assert.equal(line, msgLine(["metric shed {}", "second", "third"]));
    }));

    it("a pyzmq SUB that restarts gets a fresh subscription served by the disco PUB", inTempDir(async () => {
      await using pub = new PubSocket();
      const endpoint = await pub.bind(bindEp("pub"));
      const first = new PyPeer(["sub", "connect", endpoint, "-"]);
      await first.ready();
      await within(pub.waitForSubscriber(), 10_000, "first subscription");
      await first.close();
      await using second = new PyPeer(["sub", "connect", endpoint, "-"]);
      await second.ready();
      // The first peer's session may linger until its close is seen; publish until the new one has it.
      const got = second.waitFor((l) => l === msgLine(["hello again"]), 0, 10_000);
      const timer = setInterval(() => pub.send("hello again"), 20);
      try {
        await got;
      } finally {
        clearInterval(timer);
      }
    }));

    it("a libzmq peer with heartbeats on stays connected: disco answers its PINGs", inTempDir(async () => {
      const tap = new CommandTap();
      await using pub = new PubSocket({ transport: tap.transport });
      const endpoint = await pub.bind(bindEp("pub"));
      await using peer = new PyPeer(["sub", "connect", endpoint, "-", "hb=20", "hbt=400"]);
      await peer.ready();
      await within(pub.waitForSubscriber(), 10_000, "subscription");
      // No messages while libzmq sends 60 PINGs (every 20 ms: three times its 400 ms heartbeat timeout, a
      // bound generous enough for a loaded machine): only disco's PONGs keep the connection.
      const pings = tap.count("received", "PING");
      await tap.waitFor("received", "PING", pings + 60);
      assert.equal(pub.stats.disconnected, 0, "libzmq dropped the connection: PINGs were not answered");
      pub.send("still here");
      await peer.waitFor((l) => l === msgLine(["still here"]));
      assert.equal(pub.stats.peers, 1);
    }));

    it("a disco PUB with heartbeats on (the proxy backend's idle timeout) keeps a libzmq SUB that has none: libzmq answers PINGs", inTempDir(async () => {
      const tap = new CommandTap();
      const clock = new FakeClock();
      await using pub = new PubSocket({ transport: tap.transport, clock, heartbeatMs: 1000, heartbeatTimeoutMs: 3000 });
      const endpoint = await pub.bind(bindEp("pub"));
      await using peer = new PyPeer(["sub", "connect", endpoint, "-"]);
      await peer.ready();
      await within(pub.waitForSubscriber(), 10_000, "subscription");
      // Ten idle timeouts on the fake clock; each PING's PONG is awaited before time moves on.
      for (let k = 1; k <= 30; k++) {
        clock.advance(1000);
        await tap.waitFor("sent", "PING", k);
        await tap.waitFor("received", "PONG", k);
      }
      assert.equal(pub.stats.disconnected, 0, "the libzmq peer was dropped: it did not answer PINGs");
      pub.send("still here");
      await peer.waitFor((l) => l === msgLine(["still here"]));
    }));

    it("a disco SUB with heartbeats on stays connected to a libzmq PUB: libzmq answers its PINGs", inTempDir(async () => {
      await using peer = new PyPeer(["pub", "bind", ep("pub")]);
      const [endpoint] = await peer.ready();
      const tap = new CommandTap();
      const clock = new FakeClock();
      await using sub = new SubSocket({ heartbeatMs: 20, heartbeatTimeoutMs: 60, transport: tap.transport, clock });
      sub.subscribe();
      sub.connect(endpoint!);
      await within(sub.waitForPeer(), 10_000, "handshake");
      // No messages while disco sends 25 PINGs on the fake clock (about eight heartbeat timeouts): only
      // libzmq's PONGs, each awaited before time moves on, keep the connection.
      for (let k = 1; k <= 25; k++) {
        clock.advance(20);
        await tap.waitFor("sent", "PING", k);
        await tap.waitFor("received", "PONG", k);
      }
      assert.equal(sub.stats.disconnected, 0, "the connection was dropped: libzmq did not answer PINGs");
      assert.equal(sub.stats.rejected, 0);
    }));

    it("libzmq's zmq.proxy between a disco PUB and a disco SUB", inTempDir(async () => {
      await using proxy = new PyPeer(["proxy", ep("front"), ep("back")]);
      const [front, back] = await proxy.ready();
      await using pub = new PubSocket();
      await using sub = new SubSocket();
      pub.connect(front!);
      sub.subscribe("metric");
      sub.connect(back!);
      assert.ok(await within(pub.waitForSubscriber(), 10_000, "subscription forwarded by libzmq's XSUB"));
      pub.send(["metric shed", "payload"]);
      assert.deepEqual(text(await within(sub.receive(), 10_000, "message through libzmq's proxy")), ["metric shed", "payload"]);
    }));

    it("disco's proxy between a pyzmq PUB and a pyzmq SUB", inTempDir(async () => {
      await using xsub = new XSubSocket();
      await using xpub = new XPubSocket();
      const front = await xsub.bind(bindEp("front"));
      const back = await xpub.bind(bindEp("back"));
      const ac = new AbortController();
      const running = runProxy(xsub, xpub, { signal: ac.signal });
      try {
        await using pubPeer = new PyPeer(["pub", "connect", front]);
        await using subPeer = new PyPeer(["sub", "connect", back, hex("metric")]);
        await pubPeer.ready();
        await subPeer.ready();
        pubPeer.write(`repeat ${hex("metric warmup")}`);
        await subPeer.waitFor((l) => l === msgLine(["metric warmup"]), 0, 10_000);
        pubPeer.write("stop");
        await pubPeer.waitFor((l) => l === "stopped");
        const from = subPeer.lines.length;
        pubPeer.write(`send ${hex("ignored")}`);
        pubPeer.write(`send ${hex("metric a")},${hex("b")},${hex("c")}`);
        const { line } = await subPeer.waitFor((l) => l !== msgLine(["metric warmup"]), from);
        assert.equal(line, msgLine(["metric a", "b", "c"]));
      } finally {
        ac.abort();
        await running;
      }
    }));
  });
}
