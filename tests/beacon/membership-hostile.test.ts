import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { FakeClock } from "./_clock.ts";
import { BeaconIngest, MembershipTable, encodeRichBeacon, encodeUnsealedEnvelope, type MembershipEvent, type Observation } from "../../lib/beacon/index.ts";

const obs = (host: string, extra: Partial<Observation> = {}): Observation => ({ host, address: "10.0.0.5", intervalMs: 1000, source: "disco.py", ...extra });
const enc = new TextEncoder();
const CHANNEL = new Uint8Array([1, 2, 3, 4]);

/** The i-th spoofed source address, one per name (so the per-address quota does not stop the flood). */
const spoofed = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

function collect(table: MembershipTable): { events: MembershipEvent[]; stop: () => Promise<string[]> } {
  const ac = new AbortController();
  const events: MembershipEvent[] = [];
  const it = table.subscribe({ signal: ac.signal });
  return {
    events,
    stop: async () => {
      ac.abort();
      for await (const e of it) events.push(e);
      return events.map((e) => `${e.type}:${e.host.host}`);
    },
  };
}

describe("MembershipTable capacity (issue 9 #5)", () => {
  it("a full table admits a newcomer, evicting failed, then unsealed heard once, then unsealed, then sealed", async () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock, maxHosts: 4, maxNamesPerAddress: 100 });
    table.observe(obs("sealed", { sealed: true, source: "disco-json", intervalMs: 100_000 }));
    table.observe(obs("steady", { intervalMs: 100_000 }));
    clock.advance(10);
    table.observe(obs("steady", { intervalMs: 100_000 })); // heard twice: confirmed
    table.observe(obs("once", { intervalMs: 100_000 }));
    table.observe(obs("dies"));
    clock.advance(3001);
    table.tick(); // "dies" fails (1 s interval), the others (100 s) do not
    assert.equal(table.get("dies")?.state, "failed");
    const c = collect(table);
    const r1 = table.observe(obs("new1", { intervalMs: 100_000 }));
    assert.deepEqual([r1.accepted, r1.evicted?.host], [true, "dies"], "a failed host goes first");
    const r2 = table.observe(obs("new2", { intervalMs: 100_000 }));
    assert.deepEqual([r2.accepted, r2.evicted?.host], [true, "once"], "then the unsealed host heard only once, oldest first");
    const r3 = table.observe(obs("new3", { intervalMs: 100_000 }));
    assert.deepEqual([r3.accepted, r3.evicted?.host], [true, "new1"]);
    clock.advance(10);
    table.observe(obs("new2", { intervalMs: 100_000 }));
    table.observe(obs("new3", { intervalMs: 100_000 }));
    const r4 = table.observe(obs("new4", { intervalMs: 100_000 }));
    assert.deepEqual([r4.accepted, r4.evicted?.host], [true, "steady"], "then the unsealed host heard longest ago");
    for (const name of ["new2", "new3", "new4"]) table.observe(obs(name, { sealed: true, source: "disco-json", intervalMs: 100_000 }));
    const r5 = table.observe(obs("new5", { sealed: true, source: "disco-json", intervalMs: 100_000 }));
    assert.deepEqual([r5.accepted, r5.evicted?.host], [true, "sealed"], "then the oldest sealed host");
    assert.equal(table.size, 4);
    const seen = await c.stop();
    assert.ok(!seen.includes("leave:dies"), "no leave for a host that had already failed");
    assert.ok(seen.includes("leave:once") && seen.includes("leave:steady") && seen.includes("leave:sealed"), "followers hear that evicted live hosts are gone");
  });

  it("after 100,000 spoofed disco.py beacons a newcomer is admitted and established hosts stay", { timeout: 60_000 }, () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock });
    const ingest = new BeaconIngest({ channelId: CHANNEL, table, defaultIntervalMs: 15_000 });
    const sealedHost = obs("vault", { sealed: true, source: "disco-json", intervalMs: 15_000, address: "10.9.9.9" });
    table.observe(sealedHost);
    const steady = enc.encode("HOST steady 1700000000");
    ingest.acceptNow({ data: steady, address: "10.9.9.8", port: 9000 });
    clock.advance(1000);
    ingest.acceptNow({ data: steady, address: "10.9.9.8", port: 9000 });
    for (let i = 0; i < 100_000; i++) {
      ingest.acceptNow({ data: enc.encode(`HOST fake-${i} 1700000000`), address: spoofed(i), port: 9000 });
      if (i % 10_000 === 0) clock.advance(100);
    }
    assert.equal(table.size, 4096, "bounded");
    assert.deepEqual(ingest.counters.snapshot().drops, {}, "every spoofed beacon was taken; none refused a place");
    const r = ingest.acceptNow({ data: enc.encode("HOST newcomer 1700000000"), address: "10.9.9.7", port: 9000 });
    assert.equal(r?.host, "newcomer");
    assert.equal(table.get("newcomer")?.state, "alive", "the newcomer is in");
    assert.equal(table.get("vault")?.state, "alive", "a sealed host is never pushed out by unsealed ones");
    assert.equal(table.get("steady")?.state, "alive", "an unsealed host heard twice outlives a flood of names heard once");
  });

  it("one source address holds at most maxNamesPerAddress unsealed names; failed ones give theirs back", () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock, maxNamesPerAddress: 3 });
    for (const n of ["a", "b", "c"]) assert.equal(table.observe(obs(n)).accepted, true);
    assert.deepEqual(table.observe(obs("d")), { accepted: false, refused: "source-limit" });
    assert.equal(table.observe(obs("d", { address: "10.0.0.6" })).accepted, true, "another address has its own quota");
    assert.equal(table.observe(obs("d2", { sealed: true, source: "disco-json" })).accepted, true, "sealed names are not limited");
    assert.equal(table.observe(obs("a")).accepted, true, "known names still update");
    clock.advance(3001);
    table.tick();
    assert.equal(table.observe(obs("e")).accepted, true, "failed names no longer count");
  });

  it("reviving failed names counts against the source address's quota like new names (audit #2)", () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock });
    const ingest = new BeaconIngest({ channelId: CHANNEL, table, defaultIntervalMs: 1000 });
    const from = "10.0.0.66";
    const send = (name: string) => ingest.acceptNow({ data: enc.encode(`HOST ${name} 1700000000`), address: from, port: 9000 });
    // Four rounds of 16 new names, each beaconed a few times, then left to fail (giving their quota back).
    for (let round = 0; round < 4; round++) {
      for (let beacon = 0; beacon < 3; beacon++) {
        for (let i = 0; i < 16; i++) send(`r${round}-${i}`);
        clock.advance(1000);
      }
      clock.advance(10_000);
      table.tick();
    }
    assert.equal(table.activeCount, 0, "all 64 have failed");
    assert.equal(table.size, 64);
    for (let round = 0; round < 4; round++) for (let i = 0; i < 16; i++) send(`r${round}-${i}`);
    assert.equal(table.activeCount, 16, "one address still holds at most 16 live names");
    assert.equal(ingest.counters.drops("source-limit"), 48);
  });

  it("a sealed host that failed, revived by an unsealed beacon, takes a name of the quota too", () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock, maxNamesPerAddress: 1 });
    table.observe(obs("plain"));
    table.observe(obs("was-sealed", { sealed: true, source: "disco-json" }));
    clock.advance(1500);
    table.observe(obs("plain"));
    clock.advance(1600);
    table.tick();
    assert.equal(table.get("was-sealed")?.state, "failed");
    assert.deepEqual(table.observe(obs("was-sealed")), { accepted: false, refused: "source-limit" });
    assert.equal(table.observe(obs("was-sealed", { sealed: true, source: "disco-json" })).event?.type, "join", "its own sealed beacon brings it back");
  });

  it("caps the interval an unsealed beacon may announce; a sealed one keeps its own", () => {
    const table = new MembershipTable({ clock: new FakeClock(), maxUnsealedIntervalMs: 300_000 });
    table.observe(obs("lazy", { source: "disco-json", intervalMs: 86_400_000 }));
    table.observe(obs("trusted", { source: "disco-json", intervalMs: 86_400_000, sealed: true }));
    assert.equal(table.get("lazy")?.intervalMs, 300_000);
    assert.equal(table.get("trusted")?.intervalMs, 86_400_000);
  });

  it("an unsealed rich beacon announcing a day is failed after 3 capped intervals, through the ingest", () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock });
    const ingest = new BeaconIngest({ channelId: CHANNEL, table });
    const payload = encodeRichBeacon({ host: "squatter", boot: "0123456789abcdef", seq: 1, intervalMs: 86_400_000, addresses: [] });
    ingest.acceptNow({ data: encodeUnsealedEnvelope(CHANNEL, payload), address: "10.0.0.66", port: 9000 });
    clock.advance(3 * 300_000 + 1);
    assert.deepEqual(table.tick().map((e) => `${e.type}:${e.host.host}`), ["failed:squatter"]);
  });
});

describe("MembershipTable goodbyes and names (issue 9 #5, #6)", () => {
  it("ignores a goodbye from an address the host was never heard on; honours its own and a sealed one", () => {
    const table = new MembershipTable({ clock: new FakeClock() });
    table.observe(obs("a", { address: "10.0.0.5" }));
    assert.deepEqual(table.observe(obs("a", { address: "10.0.0.66", bye: true })), { accepted: false, refused: "foreign-bye" });
    assert.equal(table.get("a")?.state, "alive");
    assert.equal(table.observe(obs("a", { address: "10.0.0.5", bye: true })).event?.type, "leave");
    table.observe(obs("b", { address: "10.0.0.5", sealed: true, source: "disco-json" }));
    assert.equal(table.observe(obs("b", { address: "10.0.0.77", sealed: true, source: "disco-json", bye: true })).event?.type, "leave", "a sealed goodbye is authenticated");
  });

  it("a spoofed HOST from a new address does not move the host's primary address, and its BYE is refused (audit: design gap)", async () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock });
    const ingest = new BeaconIngest({ channelId: CHANNEL, table, defaultIntervalMs: 1000 });
    const c = collect(table);
    const real = (text: string) => ingest.acceptNow({ data: enc.encode(text), address: "10.0.0.5", port: 9000 });
    const spoofed = (text: string) => ingest.acceptNow({ data: enc.encode(text), address: "10.0.0.66", port: 9000 });
    real("HOST victim 1700000000");
    clock.advance(500);
    spoofed("HOST victim 1700000000");
    assert.deepEqual(table.get("victim")?.addresses, ["10.0.0.5", "10.0.0.66"], "the address it is followed at stays the real one");
    clock.advance(500);
    real("HOST victim 1700000001");
    assert.equal(spoofed("BYE victim 1700000001"), undefined);
    assert.equal(ingest.counters.drops("foreign-bye"), 1, "a goodbye from an address a stranger added is not the host's");
    assert.equal(table.get("victim")?.state, "alive");
    assert.equal(table.get("victim")?.addresses[0], "10.0.0.5");
    assert.equal(real("BYE victim 1700000002")?.bye, true, "its own goodbye still counts");
    assert.equal(table.get("victim"), undefined);
    const seen = await c.stop();
    assert.deepEqual(seen, ["join:victim", "update:victim", "leave:victim"]);
  });

  it("an unsealed beacon from a new address cannot displace a sealed host's address", () => {
    const table = new MembershipTable({ clock: new FakeClock() });
    table.observe(obs("pi", { sealed: true, source: "disco-json", address: "10.0.0.5" }));
    assert.deepEqual(table.observe(obs("pi", { address: "10.0.0.66" })), { accepted: false, refused: "sealed-name" });
    assert.deepEqual(table.get("pi")?.addresses, ["10.0.0.5"]);
  });

  it("a spoofed BYE through the ingest is counted as foreign-bye and changes nothing", () => {
    const table = new MembershipTable({ clock: new FakeClock() });
    const ingest = new BeaconIngest({ channelId: CHANNEL, table });
    ingest.acceptNow({ data: enc.encode("HOST shed 1700000000"), address: "10.0.0.5", port: 9000 });
    ingest.acceptNow({ data: enc.encode("BYE shed 1700000000"), address: "10.0.0.66", port: 9000 });
    assert.equal(ingest.counters.drops("foreign-bye"), 1);
    assert.equal(table.get("shed")?.state, "alive");
  });

  it("an unsealed beacon cannot take over (or say goodbye for) a live sealed host's name", () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock });
    table.observe(obs("pi", { sealed: true, source: "disco-json", metricsEndpoint: "tcp://10.0.0.5:9000" }));
    assert.deepEqual(table.observe(obs("pi", { metricsEndpoint: "tcp://6.6.6.6:9000" })), { accepted: false, refused: "sealed-name" });
    assert.deepEqual(table.observe(obs("pi", { bye: true })), { accepted: false, refused: "sealed-name" });
    assert.equal(table.get("pi")?.metricsEndpoint, "tcp://10.0.0.5:9000");
    assert.equal(table.get("pi")?.sealed, true);
    clock.advance(3001);
    table.tick();
    assert.equal(table.observe(obs("pi")).event?.type, "join", "once the sealed host failed, the name is free again");
    assert.equal(table.get("pi")?.sealed, false);
  });

  it("refuses a name that breaks the host name rule, whoever feeds the table", () => {
    const table = new MembershipTable({ clock: new FakeClock() });
    for (const bad of ["pi\x1b]52;c;aGk=\x07", "-rf", "..", "*", "a b", "x\u202e"]) assert.deepEqual(table.observe(obs(bad)), { accepted: false, refused: "bad-name" }, JSON.stringify(bad));
    assert.equal(table.size, 0);
  });
});

describe("MembershipTable leave events (audit #4)", () => {
  it("a goodbye's leave reports the state the host is now in, left", () => {
    const table = new MembershipTable({ clock: new FakeClock() });
    table.observe(obs("a"));
    const e = table.observe(obs("a", { bye: true })).event;
    assert.deepEqual([e?.type, e?.host.state], ["leave", "left"]);
  });

  it("a live host evicted to make room leaves with state left; the evicted record keeps its last state", async () => {
    const table = new MembershipTable({ clock: new FakeClock(), maxHosts: 1 });
    table.observe(obs("a"));
    const c = collect(table);
    const r = table.observe(obs("b", { address: "10.0.0.6" }));
    assert.equal(r.evicted?.state, "alive");
    await c.stop();
    const leave = c.events.find((e) => e.type === "leave");
    assert.deepEqual([leave?.host.host, leave?.host.state], ["a", "left"]);
  });
});

describe("MembershipTable learned pace (issue 10 #5)", () => {
  const disco = (host: string, extra: Partial<Observation> = {}) => obs(host, { intervalMs: 15_000, learnPace: true, ...extra });

  it("starts from the configured interval and shows the learned one on the host entry", () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock });
    table.observe(disco("py"));
    assert.equal(table.get("py")?.intervalMs, 15_000);
    assert.equal(table.get("py")?.learnedIntervalMs, undefined);
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      table.observe(disco("py"));
    }
    assert.equal(table.get("py")?.intervalMs, 1000);
    assert.equal(table.get("py")?.learnedIntervalMs, 1000);
  });

  it("fails a disco.py host beaconing every 1 s about 3 s after its last beacon", () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock });
    for (let i = 0; i < 6; i++) {
      table.observe(disco("py"));
      clock.advance(1000 + (i % 2 ? 40 : -40)); // jitter
    }
    table.observe(disco("py"));
    const last = clock.now;
    let failedAt: number | undefined;
    while (failedAt === undefined && clock.now - last < 60_000) {
      clock.advance(Math.max(1, table.msUntilNextChange() ?? 100));
      if (table.tick().some((e) => e.type === "failed")) failedAt = clock.now;
    }
    assert.ok(failedAt !== undefined && failedAt - last <= 3200, `failed ${failedAt! - last} ms after the last beacon`);
  });

  it("does not flap for a host beaconing every 60 s, with jitter and a lost beacon", () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock });
    const jitter = [0, 3000, -2500, 1500, -3000, 2000, -1000, 2500, -2000, 500];
    let t = clock.now;
    const arrivals: number[] = [];
    for (let i = 0; i < 40; i++) {
      t += 60_000 + jitter[i % jitter.length]!;
      if (i === 20) continue; // lost
      arrivals.push(t);
    }
    const events: string[] = [];
    table.observe(disco("slow"));
    for (const at of arrivals) {
      while (clock.now < at) {
        clock.advance(Math.min(at - clock.now, Math.max(1, table.msUntilNextChange() ?? 1000)));
        for (const e of table.tick()) events.push(`${e.type}@${Math.round((clock.now - 1000) / 1000)}s`);
      }
      const e = table.observe(disco("slow")).event;
      if (e) events.push(`${e.type}@${Math.round((clock.now - 1000) / 1000)}s`);
    }
    // Before the second beacon only the default (15 s) is known: the first gap fails it once. After that,
    // the lost beacon (a 2x gap) may make it suspect once; nothing ever fails it again.
    assert.deepEqual(events.slice(0, 3), ["suspect@30s", "failed@45s", "join@60s"], events.join(", "));
    const later = events.slice(3);
    assert.ok(!later.some((e) => e.startsWith("failed")) && later.filter((e) => e.startsWith("suspect")).length <= 1, `events after the first minute: ${later.join(", ")}`);
    assert.ok((table.get("slow")?.learnedIntervalMs ?? 0) >= 58_000 && (table.get("slow")?.learnedIntervalMs ?? 0) <= 62_000);
  });

  it("a learned pace that drifts with jitter causes no update events; copies of one beacon are not gaps", async () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock });
    const c = collect(table);
    for (let i = 0; i < 12; i++) {
      table.observe(disco("py"));
      table.observe(disco("py", { address: "10.0.0.5" })); // the same beacon again, at once
      clock.advance(2000 + (i % 3) * 30);
    }
    assert.deepEqual(await c.stop(), ["join:py"]);
    const learned = table.get("py")?.learnedIntervalMs ?? 0;
    assert.ok(learned >= 2000 && learned <= 2060, `learned ${learned}`);
  });

  it("caps a learned pace at the unsealed interval cap", () => {
    const clock = new FakeClock();
    const table = new MembershipTable({ clock, maxUnsealedIntervalMs: 120_000 });
    for (let i = 0; i < 5; i++) {
      table.observe(disco("glacial"));
      clock.advance(600_000);
    }
    assert.equal(table.get("glacial")?.intervalMs, 120_000);
  });
});

describe("MembershipTable under arbitrary beacons (property)", () => {
  type Op =
    | { kind: "observe"; host: number; address: number; sealed: boolean; bye: boolean; learnPace: boolean; intervalMs: number }
    | { kind: "tick"; advanceMs: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      kind: fc.constant("observe" as const),
      host: fc.nat(40),
      address: fc.nat(6),
      sealed: fc.boolean(),
      bye: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      learnPace: fc.boolean(),
      intervalMs: fc.integer({ min: 100, max: 86_400_000 }),
    }),
    fc.record({ kind: fc.constant("tick" as const), advanceMs: fc.integer({ min: 0, max: 400_000 }) }),
  );

  it("stays within maxHosts, admits every acceptable newcomer, and keeps its bounds", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const clock = new FakeClock();
        const table = new MembershipTable({ clock, maxHosts: 8, maxNamesPerAddress: 3, maxUnsealedIntervalMs: 300_000, forgetAfterMs: 60_000 });
        for (const o of ops) {
          if (o.kind === "tick") {
            clock.advance(o.advanceMs);
            table.tick();
          } else {
            const host = `h${o.host}`;
            const known = table.get(host);
            const r = table.observe({ host, address: `10.0.0.${o.address}`, intervalMs: o.intervalMs, source: o.sealed ? "disco-json" : "disco.py", sealed: o.sealed, bye: o.bye, learnPace: o.learnPace && !o.sealed });
            if (r.accepted && !o.bye) {
              const h = table.get(host)!;
              assert.equal(h.state, "alive");
              if (!o.sealed) assert.ok(h.intervalMs <= 300_000, `unsealed interval ${h.intervalMs}`);
            }
            if (!r.accepted) {
              assert.ok(r.refused !== undefined);
              if (r.refused === "source-limit") assert.ok((!known || known.state === "failed") && !o.sealed, "only new (or revived) unsealed names meet the quota");
              if (r.refused === "sealed-name") assert.ok(!o.sealed && known?.sealed === true && known.state !== "failed");
              if (r.refused === "foreign-bye") assert.ok(o.bye && !o.sealed);
              assert.notEqual(r.refused, "bad-name");
            }
            if (!known && !o.bye && o.sealed) assert.ok(r.accepted, "a sealed newcomer is always admitted");
          }
          assert.ok(table.size <= 8, `size ${table.size}`);
          const next = table.msUntilNextChange();
          assert.ok(next === undefined || next >= 0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
