/**
 * py-vault-multicast announcements on the receive path (attacker audit #3): what they hold is bounded by
 * the membership table's capacity, and the listener binds the `[beacon] listen` address.
 */
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { heapStats } from "bun:jsc";
import { BeaconCounters, BeaconIngest, MAX_VAULT_SERVICES, MembershipTable, VAULT_FIELD_MAX_CHARS, encodeVaultAnnouncement } from "../../lib/beacon/index.ts";
import { openBeaconSockets } from "../../lib/beacon/sockets.ts";
import { untilAborted } from "../../lib/async/index.ts";
import { BURST_RECV_BUFFER_BYTES, openUdp } from "../../lib/net/index.ts";
import { FakeClock } from "./_clock.ts";

const CHANNEL = new Uint8Array([1, 2, 3, 4]);
const pad = (s: string, n: number) => s.padEnd(n, "x");
const announcement = (address: number, name: number) =>
  encodeVaultAnnouncement({
    type: pad("vault", VAULT_FIELD_MAX_CHARS.type),
    name: pad(`svc-${address}-${name}-`, VAULT_FIELD_MAX_CHARS.name),
    addr: pad(`10.0.0.7:8200/${address}/${name}/`, VAULT_FIELD_MAX_CHARS.addr),
    version: pad(`1.15.${name}-`, VAULT_FIELD_MAX_CHARS.version),
    timestamp: 1_700_000_000,
  });
const from = (i: number) => `10.${(i >> 8) & 255}.${i & 255}.1`;

function heapBytes(): number {
  Bun.gc(true);
  return heapStats().heapSize;
}

describe("BeaconIngest.acceptVault() memory", () => {
  it("holds what 4,096 addresses x 16 names announce within the table's capacity (64 hosts here), in one copy", () => {
    const table = new MembershipTable({ clock: new FakeClock(), maxHosts: 64 });
    const ingest = new BeaconIngest({ channelId: CHANNEL, table });
    ingest.acceptVault({ data: announcement(0, 0), address: from(0), port: 5004 }); // code paths compiled
    const before = heapBytes();
    for (let a = 0; a < 4096; a++) for (let n = 0; n < 16; n++) ingest.acceptVault({ data: announcement(a, n), address: from(a), port: 5004 });
    const growthMb = (heapBytes() - before) / 1e6;
    assert.equal(ingest.counters.snapshot().dropped, 0, "every announcement was valid");
    // 64 hosts x 8 services x ~520 characters is about 0.3 MB; 4,096 addresses' worth would be over 30 MB.
    assert.ok(growthMb < 8, `heap grew ${growthMb.toFixed(1)} MB`);
    assert.equal(table.size, 64);
    for (const h of table.hosts()) assert.equal(Object.keys(h.services ?? {}).length, MAX_VAULT_SERVICES, h.host);
  });

  it("keeps a sender's most recent names, and drops its services with the host when the table forgets it", () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock, forgetAfterMs: 1000 });
    const ingest = new BeaconIngest({ channelId: CHANNEL, table, vaultIntervalMs: 1000 });
    for (let n = 0; n < 20; n++) ingest.acceptVault({ data: announcement(1, n), address: from(1), port: 5004 });
    const names = Object.keys(table.get(from(1))?.services ?? {});
    assert.deepEqual(names, Array.from({ length: MAX_VAULT_SERVICES }, (_, i) => pad(`svc-1-${20 - MAX_VAULT_SERVICES + i}-`, VAULT_FIELD_MAX_CHARS.name)));
    clock.advance(3001);
    table.tick();
    clock.advance(1001);
    table.tick();
    assert.equal(table.size, 0, "forgotten");
    ingest.acceptVault({ data: announcement(1, 99), address: from(1), port: 5004 });
    assert.equal(Object.keys(table.get(from(1))?.services ?? {}).length, 1, "a host heard again starts from its new announcement");
  });
});

describe("openBeaconSockets() vault listener", () => {
  it("binds the listen address (not 0.0.0.0) and still hears the group", { timeout: 10_000 }, async () => {
    const group = "239.77.1.9";
    const sockets = await openBeaconSockets(openUdp, { port: 0, listen: "127.0.0.1", hearInterface: true, vault: { group, port: 0 }, send: false, counters: new BeaconCounters() });
    try {
      const vault = sockets.vaultRx!;
      assert.equal(vault.address, "127.0.0.1");
      assert.equal(sockets.rx.address, "127.0.0.1");
      await using tx = await openUdp({ address: "127.0.0.1", multicastInterface: "127.0.0.1" });
      const it = vault[Symbol.asyncIterator]();
      const got = untilAborted(it.next(), AbortSignal.timeout(5000));
      await tx.send(announcement(0, 0), vault.port, group);
      const r = await got;
      assert.ok(r !== undefined && !r.done, "an announcement to the group arrived within 5 s");
      assert.equal(r.value.address, "127.0.0.1");
      // Both receiving sockets ask for BURST_RECV_BUFFER_BYTES (the kernel reports twice what it grants,
      // capped at net.core.rmem_max).
      const max = Number(readFileSync("/proc/sys/net/core/rmem_max", "utf8"));
      for (const sock of [sockets.rx, vault]) assert.equal(sock.recvBufferBytes, 2 * Math.min(BURST_RECV_BUFFER_BYTES, max));
    } finally {
      await sockets.close();
    }
  });
});
