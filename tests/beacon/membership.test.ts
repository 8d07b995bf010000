import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "./_clock.ts";
import { MembershipTable, SequenceGuard, type MembershipEvent, type Observation } from "../../lib/beacon/index.ts";

const beacon = (host: string, extra: Partial<Observation> = {}): Observation => ({ host, address: "10.0.0.5", intervalMs: 1000, source: "disco.py", ...extra });

function setup(options: { forgetAfterMs?: number; maxHosts?: number } = {}) {
  const clock = new FakeClock();
  const table = new MembershipTable({ clock, ...options });
  return { clock, table };
}

describe("MembershipTable", () => {
  it("observe() emits join once, then nothing for an unchanged beacon", () => {
    const { table, clock } = setup();
    assert.equal(table.observe(beacon("a")).event?.type, "join");
    clock.advance(1000);
    assert.equal(table.observe(beacon("a")).event, undefined);
    assert.equal(table.get("a")?.lastSeenMs, 2000);
    assert.equal(table.get("a")?.state, "alive");
  });

  it("tick() moves alive -> suspect after 2 missed intervals -> failed after 3", () => {
    const { table, clock } = setup();
    table.observe(beacon("a"));
    clock.advance(2000);
    assert.deepEqual(table.tick(), [], "exactly 2 intervals is not yet suspect");
    clock.advance(1);
    assert.deepEqual(table.tick().map((e) => [e.type, e.host.state]), [["suspect", "suspect"]]);
    assert.deepEqual(table.tick(), [], "no repeated suspect");
    clock.advance(1000);
    assert.deepEqual(table.tick().map((e) => [e.type, e.host.state]), [["failed", "failed"]]);
    assert.equal(table.activeCount, 0);
    assert.equal(table.size, 1);
  });

  it("reconfigure() judges hosts by the new times at the next tick, keeping them and their state; bad times change nothing", () => {
    const { table, clock } = setup();
    table.observe(beacon("a"));
    clock.advance(1500);
    assert.deepEqual(table.tick(), [], "1.5 intervals: alive with the default suspect_after = 2");
    table.reconfigure({ suspectAfter: 1, failedAfter: 5, forgetAfterMs: 1000 });
    assert.equal(table.get("a")?.state, "alive", "retime itself emits nothing");
    assert.deepEqual(table.tick().map((e) => e.type), ["suspect"]);
    assert.equal(table.msUntilNextChange(), 3501, "failed at 5 intervals now, not 3");
    assert.throws(() => table.reconfigure({ suspectAfter: 4, failedAfter: 2 }), RangeError);
    clock.advance(3501);
    assert.deepEqual(table.tick().map((e) => e.type), ["failed"], "the refused times did not apply");
    clock.advance(1001);
    table.tick();
    assert.equal(table.size, 0, "forgotten after the new forget_after");
  });

  it("reconfigure() with a smaller maxHosts evicts at once (failed first, then unsealed), with leave events; new limits bind new beacons", async () => {
    const { table, clock } = setup();
    const events: string[] = [];
    const follow = (async () => {
      for await (const e of table.subscribe()) events.push(`${e.type}:${e.host.host}`);
    })();
    table.observe(beacon("sealed-1", { sealed: true, address: "10.0.0.1" }));
    table.observe(beacon("old", { address: "10.0.0.2", intervalMs: 100 }));
    clock.advance(301);
    table.tick(); // old fails
    table.observe(beacon("plain", { address: "10.0.0.3" }));
    table.observe(beacon("plain", { address: "10.0.0.3" }));
    const evicted = table.reconfigure({ maxHosts: 2, maxNamesPerAddress: 1 });
    assert.deepEqual(evicted.map((h) => h.host), ["old"], "the failed host goes first");
    assert.deepEqual(table.reconfigure({ maxHosts: 1 }).map((h) => h.host), ["plain"], "then the unsealed one");
    assert.deepEqual(table.hosts().map((h) => h.host), ["sealed-1"]);
    table.reconfigure({ maxHosts: 10 });
    assert.equal(table.observe(beacon("x", { address: "10.0.0.9" })).accepted, true);
    assert.deepEqual(table.observe(beacon("y", { address: "10.0.0.9" })), { accepted: false, refused: "source-limit" }, "one name per address now");
    assert.throws(() => table.reconfigure({ maxHosts: 0 }), RangeError);
    table.close();
    await follow;
    assert.ok(events.includes("leave:plain"), events.join(" "));
    assert.ok(!events.includes("leave:old"), "a failed host evicted gets no leave");
  });

  it("uses each sender's own interval", () => {
    const { table, clock } = setup();
    table.observe(beacon("fast", { intervalMs: 100 }));
    table.observe(beacon("slow", { intervalMs: 10_000 }));
    clock.advance(301);
    assert.deepEqual(table.tick().map((e) => `${e.type}:${e.host.host}`), ["failed:fast"]);
  });

  it("a beacon from a suspect host is an update back to alive; from a failed host a join", () => {
    const { table, clock } = setup();
    table.observe(beacon("a"));
    clock.advance(2500);
    table.tick();
    const back = table.observe(beacon("a")).event;
    assert.deepEqual([back?.type, back?.host.state], ["update", "alive"]);
    clock.advance(3500);
    table.tick();
    assert.equal(table.get("a")?.state, "failed");
    assert.equal(table.observe(beacon("a")).event?.type, "join");
    assert.equal(table.size, 1);
  });

  it("a goodbye removes the host at once with a leave", () => {
    const { table } = setup();
    table.observe(beacon("a"));
    const e = table.observe(beacon("a", { bye: true })).event;
    assert.equal(e?.type, "leave");
    assert.equal(e?.host.host, "a");
    assert.equal(table.size, 0);
    assert.equal(table.observe(beacon("ghost", { bye: true })).event, undefined);
  });

  it("a restart (new boot id) is one update, never a second row", () => {
    const { table } = setup();
    table.observe(beacon("a", { boot: "1111111111111111", source: "disco-json" }));
    const e = table.observe(beacon("a", { boot: "2222222222222222", source: "disco-json" })).event;
    assert.equal(e?.type, "update");
    assert.equal(table.size, 1);
  });

  it("the same host heard on two interfaces is one host with both addresses, the primary (first heard) first", () => {
    const { table, clock } = setup();
    table.observe(beacon("a", { address: "10.0.0.5" }));
    clock.advance(10);
    const e = table.observe(beacon("a", { address: "192.168.1.5" })).event;
    assert.equal(e?.type, "update");
    assert.deepEqual(table.get("a")?.addresses, ["10.0.0.5", "192.168.1.5"]);
    clock.advance(10);
    assert.equal(table.observe(beacon("a", { address: "10.0.0.5" })).event, undefined, "alternating sources is not a change");
    clock.advance(10);
    table.observe(beacon("a", { address: "192.168.1.5" }));
    assert.deepEqual(table.get("a")?.addresses, ["10.0.0.5", "192.168.1.5"], "the primary stays while it is heard");
    assert.equal(table.size, 1);
  });

  it("another address becomes the primary once the primary missed a beacon (the host moved)", () => {
    const { table, clock } = setup();
    table.observe(beacon("a", { address: "10.0.0.5" }));
    clock.advance(1000);
    table.observe(beacon("a", { address: "10.0.0.9" })); // a new lease: 10.0.0.5 may still be due
    assert.equal(table.get("a")?.addresses[0], "10.0.0.5");
    clock.advance(1000);
    const moved = table.observe(beacon("a", { address: "10.0.0.9" })).event; // 2 s without 10.0.0.5: it missed one
    assert.deepEqual(table.get("a")?.addresses, ["10.0.0.9", "10.0.0.5"]);
    assert.equal(moved?.type, "update", "followers hear where the host is followed now");
  });

  it("reports changed services as an update", () => {
    const { table } = setup();
    table.observe(beacon("a", { services: { http: 80 } }));
    assert.equal(table.observe(beacon("a", { services: { http: 80 } })).event, undefined);
    assert.equal(table.observe(beacon("a", { services: { http: 8080 } })).event?.type, "update");
  });

  it("forgets failed hosts after forgetAfterMs, silently", () => {
    const { table, clock } = setup({ forgetAfterMs: 5000 });
    table.observe(beacon("a"));
    clock.advance(3001);
    table.tick();
    clock.advance(4998);
    table.tick();
    assert.equal(table.size, 1);
    clock.advance(2);
    assert.deepEqual(table.tick(), []);
    assert.equal(table.size, 0);
  });

  it("subscribe() yields events in order, includeCurrent first, and ends on abort", async () => {
    const { table, clock } = setup();
    table.observe(beacon("a"));
    const ac = new AbortController();
    const it = table.subscribe({ signal: ac.signal, includeCurrent: true });
    table.observe(beacon("b"));
    clock.advance(3001);
    table.observe(beacon("b"));
    table.tick();
    table.observe(beacon("b", { bye: true }));
    const seen: string[] = [];
    for await (const e of it) {
      seen.push(`${e.type}:${e.host.host}`);
      if (seen.length === 4) ac.abort();
    }
    assert.deepEqual(seen, ["join:a", "join:b", "failed:a", "leave:b"]);
  });

  it("subscribe() drops the oldest events for a slow reader instead of growing", async () => {
    const table = new MembershipTable({ clock: new FakeClock(), maxQueued: 3 });
    const ac = new AbortController();
    const it = table.subscribe({ signal: ac.signal });
    for (let i = 0; i < 10; i++) table.observe(beacon(`h${i}`));
    ac.abort();
    const seen: MembershipEvent[] = [];
    for await (const e of it) seen.push(e);
    assert.deepEqual(seen.map((e) => e.host.host), ["h7", "h8", "h9"]);
  });

  it("msUntilNextChange() says when tick() next changes a state, and tick() changes it just then", () => {
    const { table, clock } = setup({ forgetAfterMs: 5000 });
    assert.equal(table.msUntilNextChange(), undefined, "nothing to age in an empty table");
    table.observe(beacon("a")); // 1 s interval: suspect after 2 s, failed after 3 s, forgotten 5 s later
    assert.equal(table.msUntilNextChange(), 2001);
    clock.advance(2000);
    assert.deepEqual(table.tick(), [], "not yet: exactly 2 missed intervals");
    clock.advance(1);
    assert.deepEqual(table.tick().map((e) => e.type), ["suspect"]);
    assert.equal(table.msUntilNextChange(), 1000);
    clock.advance(1000);
    assert.deepEqual(table.tick().map((e) => e.type), ["failed"]);
    assert.equal(table.msUntilNextChange(), 5000);
    clock.advance(5000);
    table.tick();
    assert.equal(table.size, 0, "forgotten");
  });

  it("rejects failedAfter below suspectAfter", () => {
    assert.throws(() => new MembershipTable({ suspectAfter: 3, failedAfter: 2 }), RangeError);
  });
});

describe("SequenceGuard", () => {
  const at = (boot: string, seq: number, extra: { bye?: boolean } = {}) => ({ host: "a", boot, seq, intervalMs: 1000, ...extra });

  it("admit() accepts growing sequence numbers and refuses replays", () => {
    const g = new SequenceGuard();
    assert.equal(g.admit(at("b1", 1), 0), "fresh");
    assert.equal(g.admit(at("b1", 2), 10), "fresh");
    assert.equal(g.admit(at("b1", 2), 20), "replayed");
    assert.equal(g.admit(at("b1", 1), 30), "replayed");
  });

  it("admit() holds another boot back while the current one beacons, and never refuses the current one for it", () => {
    const g = new SequenceGuard();
    assert.equal(g.admit(at("b2", 100), 0), "fresh");
    assert.equal(g.admit(at("b1", 50), 500), "other-boot", "an earlier boot, replayed");
    assert.equal(g.admit(at("b1", 51, { bye: true }), 600), "other-boot", "its goodbye too");
    assert.equal(g.admit(at("b1", 50), 700), "replayed", "the same datagram again");
    assert.equal(g.admit(at("b2", 101), 1000), "fresh", "the current boot goes on");
    assert.equal(g.admit(at("b2", 102), 2000), "fresh");
  });

  it("admit() lets a new boot take over once the current one missed a beacon or said goodbye", () => {
    const g = new SequenceGuard();
    g.admit(at("b1", 7), 0);
    assert.equal(g.admit(at("b2", 0), 1500), "other-boot", "1.5 intervals: not yet missed (the grace)");
    assert.equal(g.admit(at("b2", 1), 1501), "fresh", "b1 missed a beacon: b2 is the host now");
    assert.equal(g.admit(at("b1", 8), 1600), "other-boot", "b1 is not refused for good: held back while b2 beacons");
    assert.equal(g.admit(at("b1", 7), 1700), "replayed");
    assert.equal(g.admit(at("b2", 2, { bye: true }), 2000), "fresh", "a goodbye of the current boot");
    assert.equal(g.admit(at("b3", 0), 2001), "fresh", "after a goodbye a new boot takes over at once");
  });

  it("stays bounded, and follows a new maxHosts", () => {
    assert.equal(new SequenceGuard({ maxHosts: 10 }).maxHosts, 10);
    let capacity = 10;
    const g = new SequenceGuard({ maxHosts: () => capacity });
    for (let i = 0; i < 100; i++) g.admit({ host: `h${i}`, boot: "b", seq: 0, intervalMs: 1000 }, i);
    assert.equal(g.size, 10);
    capacity = 50;
    for (let i = 100; i < 200; i++) g.admit({ host: `h${i}`, boot: "b", seq: 0, intervalMs: 1000 }, i);
    assert.equal(g.size, 50);
  });
});
