import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createKeyring } from "../../lib/crypto/index.ts";
import {
  BeaconIngest,
  MembershipTable,
  createBeaconBuilder,
  encodeVaultAnnouncement,
  runBeaconReceiver,
  runMembershipTicker,
  type Clock,
} from "../../lib/beacon/index.ts";
import type { Datagram } from "../../lib/net/index.ts";

const CHANNEL = new Uint8Array([1, 2, 3, 4]);
const clock: Clock = { nowMs: () => 0, unixNowMs: () => 0 };
const dg = (data: Uint8Array, address = "10.0.0.5"): Datagram => ({ data, address, port: 9000 });

async function keyring(fill: number) {
  return createKeyring([new Uint8Array(32).fill(fill)], "beacon");
}

describe("BeaconIngest", () => {
  it("applies a disco.py beacon with the configured interval", async () => {
    const table = new MembershipTable({ clock });
    const ingest = new BeaconIngest({ channelId: CHANNEL, table, defaultIntervalMs: 1000 });
    const b = await ingest.accept(dg(new TextEncoder().encode("HOST shed 1700000000")));
    assert.equal(b?.text, "HOST shed 1700000000");
    assert.deepEqual({ ...table.get("shed"), lastSeenMs: 0 }, { host: "shed", addresses: ["10.0.0.5"], state: "alive", lastSeenMs: 0, lastSeenUnixMs: 0, intervalMs: 1000, source: "disco.py", sealed: false });
  });

  it("opens sealed beacons, refuses replays, forgeries and unsealed ones when told", async () => {
    const ring = await keyring(7);
    const table = new MembershipTable({ clock });
    const ingest = new BeaconIngest({ channelId: CHANNEL, keyring: ring, acceptUnsealed: false, table });
    const builder = await createBeaconBuilder({ format: "json", self: { host: "pi", version: "0.1.0", services: { http: 80 } }, intervalMs: 1000, channelId: CHANNEL, keyring: ring });
    const first = await builder.build();
    const b = await ingest.accept(dg(first));
    assert.equal(b?.sealed, true);
    assert.match(b?.text ?? "", /^HOST pi \d+$/, "the disco.py text form of a rich beacon");
    assert.equal(b?.text, `HOST pi ${b?.unixSeconds}`);
    assert.equal(table.get("pi")?.version, "0.1.0");
    assert.deepEqual(table.get("pi")?.services, { http: 80 });
    assert.equal(await ingest.accept(dg(first)), undefined, "a replay");
    assert.equal(ingest.counters.drops("replayed"), 1);
    const forged = (await builder.build()).slice();
    forged[forged.length - 3]! ^= 0x40;
    assert.equal(await ingest.accept(dg(forged)), undefined);
    assert.equal(ingest.counters.drops("forged"), 1);
    const stranger = await createBeaconBuilder({ format: "json", self: { host: "evil" }, intervalMs: 1000, channelId: CHANNEL, keyring: await keyring(9) });
    assert.equal(await ingest.accept(dg(await stranger.build())), undefined);
    assert.equal(ingest.counters.drops("unknown-key"), 1);
    assert.equal(await ingest.accept(dg(new TextEncoder().encode("HOST evil 1"))), undefined);
    assert.equal(ingest.counters.drops("unsealed"), 1);
    assert.equal(table.get("evil"), undefined);
    const bye = await ingest.accept(dg(await builder.build(true)));
    assert.equal(bye?.bye, true);
    assert.match(bye?.text ?? "", /^BYE pi \d+$/);
    assert.equal(table.size, 0);
    const s = ingest.counters.snapshot(table.activeCount);
    assert.equal(s.packetsReceived, 6);
    assert.equal(s.dropped, 4);
  });

  it("a keyed ingest names what is wrong with a sealed-looking beacon it does not open in place", async () => {
    const ring = await keyring(7);
    const ingest = new BeaconIngest({ channelId: CHANNEL, keyring: ring, maxBytes: 300 });
    const builder = await createBeaconBuilder({ format: "json", self: { host: "pi" }, intervalMs: 1000, channelId: CHANNEL, keyring: ring });
    const good = await builder.build();
    const cases: [string, Uint8Array][] = [
      ["malformed", Uint8Array.from(good, (b, i) => (i === 3 ? 1 : b))], // reserved byte
      ["malformed", Uint8Array.from(good, (b, i) => (i === 2 ? 3 : b))], // an unknown flag
      ["truncated", good.subarray(0, 39)], // shorter than header and tag
      ["foreign-channel", Uint8Array.from(good, (b, i) => (i === 4 ? b ^ 1 : b))],
      ["oversized", Uint8Array.from({ length: 301 }, (_, i) => good[i % good.length]!)],
    ];
    for (const [reason, bytes] of cases) {
      const before = ingest.counters.drops(reason as "malformed");
      assert.equal(ingest.acceptNow(dg(bytes)), undefined, reason);
      assert.equal(ingest.counters.drops(reason as "malformed"), before + 1, reason);
    }
    assert.equal(ingest.acceptNow(dg(good))?.host, "pi", "and the good one still opens");
  });

  it("drops foreign-channel rich beacons", async () => {
    const ingest = new BeaconIngest({ channelId: CHANNEL });
    const other = await createBeaconBuilder({ format: "json", self: { host: "x" }, intervalMs: 1000, channelId: new Uint8Array([9, 9, 9, 9]) });
    assert.equal(await ingest.accept(dg(await other.build())), undefined);
    assert.equal(ingest.counters.drops("foreign-channel"), 1);
  });

  it("shows py-vault-multicast announcements as services of their source", () => {
    const table = new MembershipTable({ clock });
    const ingest = new BeaconIngest({ channelId: CHANNEL, table, vaultIntervalMs: 10_000 });
    ingest.acceptVault(dg(encodeVaultAnnouncement({ type: "vault", name: "v1", addr: "10.0.0.7:8200", version: "1.15", timestamp: 1 }), "10.0.0.7"));
    ingest.acceptVault(dg(encodeVaultAnnouncement({ type: "consul", name: "c1", addr: "10.0.0.7:8500", version: "1.17", timestamp: 1 }), "10.0.0.7"));
    const h = table.get("10.0.0.7");
    assert.equal(h?.source, "vault-multicast");
    assert.deepEqual(h?.services, { v1: { type: "vault", addr: "10.0.0.7:8200", version: "1.15" }, c1: { type: "consul", addr: "10.0.0.7:8500", version: "1.17" } });
    assert.equal(ingest.acceptVault(dg(new Uint8Array([0xff]))), undefined);
    assert.equal(ingest.counters.drops("not-utf8"), 1);
  });

  it("never rejects, whatever the bytes", async () => {
    const ingest = new BeaconIngest({ channelId: CHANNEL, keyring: await keyring(1), table: new MembershipTable({ clock }) });
    for (let i = 0; i < 2000; i++) {
      const b = crypto.getRandomValues(new Uint8Array(i % 300));
      if (i % 3 === 0 && b.length > 8) b.set([0xfe, 1, 1, 0, 1, 2, 3, 4]);
      await ingest.accept(dg(b));
    }
    assert.equal(ingest.counters.snapshot().dropped, 2000);
  });
});

describe("createBeaconBuilder()", () => {
  it("numbers rich beacons per boot and refuses one too large", async () => {
    const b = await createBeaconBuilder({ format: "json", self: { host: "a" }, intervalMs: 1000, channelId: CHANNEL, boot: "00000000000000aa", unixNowMs: () => 5 });
    const t = (x: Uint8Array) => new TextDecoder().decode(x.subarray(8));
    assert.equal(t(await b.build()), '{"v":1,"host":"a","boot":"00000000000000aa","seq":0,"interval_ms":1000,"addresses":[],"time":5}');
    assert.match(t(await b.build(true)), /"seq":1,.*"bye":true/);
    await assert.rejects(createBeaconBuilder({ format: "json", self: { host: "a", services: { big: "x".repeat(9000) } }, intervalMs: 1000, channelId: CHANNEL }), { name: "BeaconError" });
  });
  it("writes disco.py beacons from the wall clock", async () => {
    const b = await createBeaconBuilder({ self: { host: "a" }, intervalMs: 1000, unixNowMs: () => 1_700_000_000_999 });
    assert.equal(new TextDecoder().decode(await b.build()), "HOST a 1700000000");
    assert.equal(new TextDecoder().decode(await b.build(true)), "BYE a 1700000000");
  });
});

describe("runBeaconReceiver()", () => {
  it("applies and reports beacons in arrival order, across batches, while sealed ones are still being opened", async () => {
    const ring = await keyring(7);
    const table = new MembershipTable({ clock });
    const ingest = new BeaconIngest({ channelId: CHANNEL, keyring: ring, table });
    const builder = await createBeaconBuilder({ format: "json", self: { host: "pi" }, intervalMs: 1000, channelId: CHANNEL, keyring: ring });
    const sealed = [];
    for (let i = 0; i < 40; i++) sealed.push(dg(await builder.build()));
    const plain = dg(new TextEncoder().encode("HOST shed 1700000000"));
    // Sequence numbers 0..39: any beacon applied after a later one of the same host would be a "replay".
    const batches: Datagram[][] = [sealed.slice(0, 20), [plain, ...sealed.slice(20)]];
    const seen: string[] = [];
    await runBeaconReceiver({
      signal: new AbortController().signal,
      datagrams: (async function* () {
        yield* batches;
      })(),
      ingest,
      onBeacon: (b) => seen.push(b.host === "pi" ? `pi#${b.rich!.seq}` : b.host),
    });
    assert.deepEqual(seen, [...sealed.slice(0, 20).map((_, i) => `pi#${i}`), "shed", ...sealed.slice(20).map((_, i) => `pi#${i + 20}`)]);
    assert.equal(ingest.counters.snapshot().dropped, 0);
    assert.equal(table.size, 2);
  });
});

describe("runMembershipTicker()", () => {
  it("ticks the table until the signal aborts, then resolves; an aborted signal means no tick", async () => {
    const ac = new AbortController();
    let ticks = 0;
    const table = { tick: () => void (++ticks === 3 && ac.abort()), msUntilNextChange: () => undefined } as unknown as MembershipTable;
    await runMembershipTicker({ signal: ac.signal, table, tickMs: 1 });
    assert.equal(ticks, 3);
    await runMembershipTicker({ signal: ac.signal, table, tickMs: 1 });
    assert.equal(ticks, 3);
  });

  it("with untilEmpty, returns once the table holds no host (and does not tick an empty one)", async () => {
    let hosts = 2;
    let ticks = 0;
    const table = { get size() { return hosts; }, tick: () => void (ticks++, hosts--), msUntilNextChange: () => 1 } as unknown as MembershipTable;
    await runMembershipTicker({ signal: new AbortController().signal, table, tickMs: 60_000, untilEmpty: true });
    assert.deepEqual([ticks, hosts], [2, 0]);
    await runMembershipTicker({ signal: new AbortController().signal, table, untilEmpty: true });
    assert.equal(ticks, 2);
  });
});
