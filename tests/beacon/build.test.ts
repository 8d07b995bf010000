/** lib/beacon/build.ts: settings from the config, the live builder over a long-lived identity, prepared beacons. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createBeaconIdentity,
  createLiveBeaconBuilder,
  decodeDatagram,
  decodeRichBeacon,
  encodeDiscoPyBeacon,
  MembershipTable,
  openBeaconSync,
  prepareBeacons,
  resolveBeaconSettings,
  type MembershipEvent,
} from "../../lib/beacon/index.ts";
import { parseConfig } from "../../lib/config/index.ts";
import { createKeyring } from "../../lib/crypto/index.ts";
import { openUdp } from "../../lib/net/index.ts";
import { freeUdpPort } from "../_bin.ts";
import { runDeadlineTicker } from "../../lib/beacon/build.ts";
import { FakeClock } from "./_clock.ts";

const KEY = new Uint8Array(32).fill(3) as Uint8Array<ArrayBuffer>;
const CHANNEL = new Uint8Array([9, 9, 9, 9]);

describe("resolveBeaconSettings()", () => {
  const config = parseConfig('[discovery]\nmagic = "m"\n[beacon]\nenabled = true\nbroadcast = ["127.255.255.255"]\nformat = "json"\n[services]\nweb = "x"\n');

  it("resolves targets, the self-description, the keyring, and only sealed beacons count with a key and json", async () => {
    const s = await resolveBeaconSettings(config, { host: "h", version: "1", rawKeys: [KEY], offers: () => ({ metricsEndpoint: "tcp://1.2.3.4:9000", gpio: ["door"] }) });
    assert.deepEqual(s.targets, ["127.255.255.255"]);
    assert.deepEqual(s.self, { host: "h", addresses: [], version: "1", services: { web: "x" }, metricsEndpoint: "tcp://1.2.3.4:9000", gpio: ["door"] });
    assert.ok(s.keyring);
    assert.equal(s.acceptUnsealed, false);
    assert.equal(s.port, 9000);
    const plain = await resolveBeaconSettings(config, { host: "h", version: "1", rawKeys: [] });
    assert.equal(plain.keyring, undefined);
    assert.equal(plain.acceptUnsealed, true);
  });

  it("takes overrides, and refuses an interface that does not exist", async () => {
    const s = await resolveBeaconSettings(config, { host: "h", version: "1", rawKeys: [], port: 9100, intervalMs: 500, format: "disco.py", broadcast: ["127.0.0.1"] });
    assert.deepEqual([s.port, s.intervalMs, s.format, s.targets], [9100, 500, "disco.py", ["127.0.0.1"]]);
    const none = parseConfig('[beacon]\ninterfaces = ["nope0"]\n');
    await assert.rejects(resolveBeaconSettings(none, { host: "h", version: "1", rawKeys: [] }), { name: "NetError", message: /interface 'nope0' does not exist/ });
    assert.deepEqual((await resolveBeaconSettings(none, { host: "h", version: "1", rawKeys: [], needTargets: false })).targets, [], "listening only resolves no interface");
  });
});

describe("createLiveBeaconBuilder()", () => {
  it("numbers beacons from the identity, and a staged self-description applies only when committed", async () => {
    const keyring = await createKeyring([KEY], "beacon");
    const identity = createBeaconIdentity("0011223344556677", 41);
    const b = await createLiveBeaconBuilder({ format: "json", self: { host: "h", services: { v: 1 } }, intervalMs: 1000, channelId: CHANNEL, keyring, identity });
    const read = async (d: Uint8Array) => {
      const decoded = decodeDatagram(d, { channelId: CHANNEL });
      assert.equal(decoded.kind, "sealed");
      return decodeRichBeacon(openBeaconSync(keyring, (decoded as Extract<typeof decoded, { kind: "sealed" }>).envelope));
    };
    const first = await read(await b.build());
    assert.deepEqual([first.boot, first.seq, first.services], ["0011223344556677", 41, { v: 1 }]);
    const commit = await b.stageSelf({ host: "h", services: { v: 2 } });
    assert.deepEqual((await read(await b.build())).services, { v: 1 }, "not before the commit");
    commit();
    const third = await read(await b.build());
    assert.deepEqual([third.seq, third.services], [43, { v: 2 }]);
    // A second builder on the same identity (a replaced task) continues the sequence.
    const successor = await createLiveBeaconBuilder({ format: "json", self: { host: "h" }, intervalMs: 1000, channelId: CHANNEL, keyring, identity });
    assert.equal((await read(await successor.build())).seq, 44);
  });

  it("refuses a self-description too big for one datagram and keeps the old one", async () => {
    const b = await createLiveBeaconBuilder({ format: "json", self: { host: "h" }, intervalMs: 1000, channelId: CHANNEL, identity: createBeaconIdentity() });
    await assert.rejects(b.stageSelf({ host: "h", services: { big: "x".repeat(10_000) } }), { name: "BeaconError", message: /over the 8192-byte limit/ });
    assert.ok((await b.build()).length < 200);
  });

  it("disco.py beacons carry no identity", async () => {
    const b = await createLiveBeaconBuilder({ format: "disco.py", self: { host: "h" }, intervalMs: 1000, channelId: CHANNEL, identity: createBeaconIdentity(), unixNowMs: () => 1_700_000_000_000 });
    assert.deepEqual(await b.build(), encodeDiscoPyBeacon("h", 1_700_000_000));
  });
});

describe("prepareBeacons() (loopback)", () => {
  const settingsFor = async (port: number, intervalMs: number) =>
    resolveBeaconSettings(parseConfig(`[beacon]\nport = ${port}\nlisten = "127.0.0.1"\nbroadcast = ["127.0.0.1"]\n`), { host: "me", version: "1", rawKeys: [], intervalMs });

  it("binds in prepare; the ticker wakes for a host that joins after it went to sleep (not at its 60 s cap)", async () => {
    const port = await freeUdpPort();
    const table = new MembershipTable({ suspectAfter: 2, failedAfter: 3 });
    const beacons = await prepareBeacons(await settingsFor(port, 100), { send: false, table });
    assert.equal(beacons.port, port);
    const stop = new AbortController();
    const running = beacons.run({ signal: stop.signal });
    // The deadline ends the subscription itself, so a ticker that never wakes fails here in 5 s.
    const events = table.subscribe({ signal: AbortSignal.timeout(5000) });
    await using tx = await openUdp({ address: "127.0.0.1" });
    await tx.send(encodeDiscoPyBeacon("peer", Date.now() / 1000), port, "127.0.0.1");
    const seen: MembershipEvent["type"][] = [];
    for await (const e of events) {
      if (e.host.host !== "peer") continue;
      seen.push(e.type);
      if (e.type === "failed") break;
    }
    assert.deepEqual(seen, ["join", "suspect", "failed"]);
    stop.abort();
    await running;
  });

  it("sends a goodbye on a stop, and none when goodbye() says no (a replaced task)", async () => {
    for (const say of [true, false]) {
      const port = await freeUdpPort();
      // Both this socket and the beacons' receiver hear broadcasts to the port.
      await using rx = await openUdp({ port, reuseAddr: true });
      const settings = await resolveBeaconSettings(parseConfig(`[beacon]\nport = ${port}\nbroadcast = ["127.255.255.255"]\n`), { host: "me", version: "1", rawKeys: [], intervalMs: 60_000 });
      const beacons = await prepareBeacons(settings, { table: new MembershipTable() });
      const stop = new AbortController();
      const running = beacons.run({ signal: stop.signal, goodbye: () => say });
      const it = rx[Symbol.asyncIterator]();
      const first = new TextDecoder().decode((await it.next()).value!.data);
      assert.match(first, /^HOST me \d+$/);
      stop.abort();
      await running;
      // The probe after the stop: the goodbye (when sent) was queued before it.
      await using probe = await openUdp({ broadcast: true });
      await probe.send(new TextEncoder().encode("probe"), port, "127.255.255.255");
      const next = new TextDecoder().decode((await it.next()).value!.data);
      if (say) assert.match(next, /^BYE me \d+$/);
      else assert.equal(next, "probe");
    }
  });
});

/** A timer that fires only when told, counting what is set and cleared. */
class FakeTimer {
  pending = new Map<number, { wake: () => void; ms: number }>();
  set = 0;
  cleared = 0;
  #next = 0;
  readonly timer = {
    set: (wake: () => void, ms: number): unknown => {
      this.set++;
      const id = this.#next++;
      this.pending.set(id, { wake, ms });
      return id;
    },
    clear: (handle: unknown): void => {
      if (this.pending.delete(handle as number)) this.cleared++;
    },
  };
  /** The one sleep in progress. */
  only(): { wake: () => void; ms: number } {
    assert.equal(this.pending.size, 1, "exactly one sleep in progress");
    return [...this.pending.values()][0]!;
  }
}

async function settleTicker(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

describe("runDeadlineTicker()", () => {
  it("sleeps until the next host is due, wakes early on a change, and keeps one sleep at a time (also once the table's events end)", async () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock, suspectAfter: 2, failedAfter: 3 });
    const seen = table.subscribe();
    table.observe({ host: "slow", address: "10.0.0.1", intervalMs: 1000, source: "disco-json", boot: "s" });
    assert.equal((await seen.next()).value?.type, "join");
    const t = new FakeTimer();
    const stop = new AbortController();
    const running = runDeadlineTicker(table, { signal: stop.signal, capMs: 60_000, timer: t.timer });
    await settleTicker();
    assert.equal(t.only().ms, 2001, "until the slow host is due (tick() acts 1 ms past the threshold)");
    table.observe({ host: "fast", address: "10.0.0.2", intervalMs: 100, source: "disco-json", boot: "f" });
    assert.equal((await seen.next()).value?.type, "join");
    await settleTicker();
    assert.equal(t.only().ms, 201, "a join woke it: the fast host is due sooner");
    clock.advance(201);
    t.only().wake();
    const suspect = await seen.next();
    assert.equal(suspect.value?.type, "suspect");
    assert.equal(suspect.value?.host.host, "fast");
    await settleTicker();
    assert.equal(t.only().ms, 100, "then until the fast host fails");
    // Many ticks at the cap with nothing due: still one sleep at a time, every ended one released.
    table.close();
    for (let i = 0; i < 50; i++) {
      const sleep = t.only();
      clock.advance(sleep.ms);
      sleep.wake();
      await settleTicker();
    }
    assert.ok(t.set > 50, "it still ticks once the table's events have ended");
    assert.equal(t.pending.size, 1);
    stop.abort();
    await running;
    assert.equal(t.pending.size, 0, "a stop clears the sleep in progress");
  });
});
