/**
 * Replays of sealed beacons recorded from an earlier boot of a host (issue 9 follow-up, attacker audit #1):
 * whatever they are — a beacon or a goodbye, of a boot this receiver heard or never heard — they must not
 * make the live boot's beacons be refused, nor remove the live host. Fake clock, no sockets: the ingest and
 * the table are fed datagrams in the order an attacker would send them.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createKeyring } from "../../lib/crypto/index.ts";
import { BeaconIngest, MembershipTable, createBeaconBuilder, encodeRichBeacon, encodeUnsealedEnvelope, type BeaconBuilder, type MembershipEvent } from "../../lib/beacon/index.ts";
import type { Datagram } from "../../lib/net/index.ts";
import { FakeClock } from "./_clock.ts";

const CHANNEL = new Uint8Array([1, 2, 3, 4]);
const INTERVAL_MS = 1000;
const dg = (data: Uint8Array, address = "10.0.0.5"): Datagram => ({ data, address, port: 9000 });

async function fleet() {
  const keyring = await createKeyring([new Uint8Array(32).fill(7)], "beacon");
  const clock = new FakeClock();
  const table = new MembershipTable({ clock });
  const ingest = new BeaconIngest({ channelId: CHANNEL, keyring, acceptUnsealed: false, table });
  const boot = (id: string, version: string): Promise<BeaconBuilder> =>
    createBeaconBuilder({ format: "json", self: { host: "h", version }, intervalMs: INTERVAL_MS, channelId: CHANNEL, keyring, boot: id });
  const events: MembershipEvent[] = [];
  const ac = new AbortController();
  const it = table.subscribe({ signal: ac.signal });
  const stop = async (): Promise<string[]> => {
    ac.abort();
    for await (const e of it) events.push(e);
    return events.map((e) => `${e.type}:${e.host.version ?? ""}`);
  };
  /** One beacon of `b` now, then the clock moves one interval and the table ages. */
  const round = async (b: BeaconBuilder): Promise<void> => {
    ingest.acceptNow(dg(await b.build()));
    clock.advance(INTERVAL_MS);
    table.tick();
  };
  return { clock, table, ingest, boot, round, stop };
}

describe("BeaconIngest with sealed beacons replayed from an earlier boot", () => {
  it("a replayed beacon of a boot the receiver never heard is dropped, and the live boot stays the host", async () => {
    const { table, ingest, boot, round, stop } = await fleet();
    const b1 = await boot("00000000000000b1", "1");
    const captured = await b1.build(); // sniffed during boot 1, before this receiver ran
    const b2 = await boot("00000000000000b2", "2");
    for (let i = 0; i < 3; i++) await round(b2);
    assert.equal(ingest.acceptNow(dg(captured, "10.0.0.66")), undefined, "the replay is dropped");
    assert.equal(ingest.counters.drops("replayed"), 1);
    for (let i = 0; i < 10; i++) await round(b2);
    assert.equal(ingest.counters.drops("replayed"), 1, "no beacon of the live boot is refused");
    assert.equal(table.get("h")?.state, "alive");
    assert.equal(table.get("h")?.version, "2");
    assert.deepEqual(await stop(), ["join:2"], "no update to the replayed boot, no suspect, no failed");
  });

  it("a replayed goodbye of an earlier boot does not remove the live host", async () => {
    const { table, ingest, boot, round, stop } = await fleet();
    const b1 = await boot("00000000000000b1", "1");
    await b1.build();
    const goodbye = await b1.build(true); // boot 1's clean shutdown, recorded
    const b2 = await boot("00000000000000b2", "2");
    for (let i = 0; i < 3; i++) await round(b2);
    assert.equal(ingest.acceptNow(dg(goodbye)), undefined);
    assert.equal(table.get("h")?.state, "alive", "still in the table");
    for (let i = 0; i < 5; i++) await round(b2);
    assert.deepEqual(await stop(), ["join:2"]);
  });

  it("a replay of a boot this receiver heard before the restart is dropped too", async () => {
    const { table, ingest, boot, round, stop } = await fleet();
    const b1 = await boot("00000000000000b1", "1");
    const old: Uint8Array[] = [];
    for (let i = 0; i < 3; i++) {
      const d = await b1.build();
      old.push(d);
      ingest.acceptNow(dg(d));
    }
    ingest.acceptNow(dg(await b1.build(true))); // boot 1 left cleanly
    const b2 = await boot("00000000000000b2", "2");
    for (let i = 0; i < 2; i++) await round(b2);
    for (const d of old) assert.equal(ingest.acceptNow(dg(d)), undefined);
    for (let i = 0; i < 5; i++) await round(b2);
    assert.equal(table.get("h")?.version, "2");
    assert.deepEqual(await stop(), ["join:1", "leave:1", "join:2"]);
  });

  it("a receiver that heard a recorded beacon first follows the real boot once the recording goes quiet", async () => {
    const { table, ingest, boot, round } = await fleet();
    const b1 = await boot("00000000000000b1", "1");
    ingest.acceptNow(dg(await b1.build())); // the documented limit: nothing tells it from a restart yet
    assert.equal(table.get("h")?.version, "1");
    const b2 = await boot("00000000000000b2", "2");
    for (let i = 0; i < 3; i++) await round(b2);
    assert.equal(table.get("h")?.version, "2", "superseded by the real boot");
    assert.equal(table.get("h")?.state, "alive");
  });

  it("a host restarting without a goodbye is followed as one update, from the new boot's first beacon after the old one missed one", async () => {
    const { clock, table, ingest, boot, round, stop } = await fleet();
    const b1 = await boot("00000000000000b1", "1");
    for (let i = 0; i < 2; i++) await round(b1);
    ingest.acceptNow(dg(await b1.build()));
    clock.advance(600); // then killed: the new process beacons 600 ms after the last beacon
    table.tick();
    const b2 = await boot("00000000000000b2", "2");
    await round(b2); // b1 could still be due: held back
    assert.equal(table.get("h")?.version, "1");
    await round(b2); // 1.6 s without b1: it missed one
    assert.equal(table.get("h")?.version, "2");
    assert.deepEqual(await stop(), ["join:1", "update:2"]);
    assert.equal(ingest.counters.drops("replayed"), 1);
  });

  it("a host restarting after its goodbye joins again at its new boot's first beacon", async () => {
    const { ingest, boot, round, stop } = await fleet();
    const b1 = await boot("00000000000000b1", "1");
    await round(b1);
    ingest.acceptNow(dg(await b1.build(true)));
    const b2 = await boot("00000000000000b2", "2");
    await round(b2);
    assert.deepEqual(await stop(), ["join:1", "leave:1", "join:2"]);
    assert.equal(ingest.counters.snapshot().dropped, 0);
  });
});

describe("BeaconIngest replay guard capacity", () => {
  it("remembers as many hosts as the table holds (here 5,000, over the guard's old 4,096)", () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock, maxHosts: 5000 });
    const ingest = new BeaconIngest({ channelId: CHANNEL, table });
    const beacon = (i: number) => dg(encodeUnsealedEnvelope(CHANNEL, encodeRichBeacon({ host: `h${i}`, boot: "0123456789abcdef", seq: 1, intervalMs: 60_000, addresses: [] })), `10.1.${i >> 8}.${i & 255}`);
    const first = beacon(0);
    ingest.acceptNow(first);
    for (let i = 1; i < 5000; i++) ingest.acceptNow(beacon(i));
    assert.equal(table.size, 5000);
    assert.equal(ingest.acceptNow(first), undefined, "h0's beacon replayed after 4,999 other hosts");
    assert.equal(ingest.counters.drops("replayed"), 1);
  });
});
