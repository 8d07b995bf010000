import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ChallengeTable, type ChallengeBinding } from "../../lib/crypto/index.ts";

/** A table on a fake clock with a counting random source. */
function table(options: { ttlMs?: number; maxEntries?: number } = {}) {
  const clock = { now: 1000 };
  let n = 0;
  const t = new ChallengeTable({ ...options, monotonicMs: () => clock.now, random: (b) => void b.fill(++n & 0xff).set([n >> 8], 0) });
  return { t, clock };
}

const binding = (over: Partial<ChallengeBinding> = {}): ChallengeBinding => ({
  address: "10.77.0.2",
  op: "gpio-set",
  id: new Uint8Array(16).fill(7),
  args: Uint8Array.of(4, 0x70, 0x75, 0x6d, 0x70),
  ...over,
});

describe("ChallengeTable on a fake clock", () => {
  it("redeem() succeeds once: a second redeem of the same challenge is refused as unknown", () => {
    const { t } = table();
    const c = t.issue(binding());
    assert.equal(t.redeem(c, binding()), "ok");
    assert.equal(t.redeem(c, binding()), "unknown");
  });

  it("redeem() refuses a challenge at its ttl and after, not just before", () => {
    const { t, clock } = table({ ttlMs: 5000 });
    const a = t.issue(binding());
    const b = t.issue(binding());
    clock.now += 4999;
    assert.equal(t.redeem(a, binding()), "ok");
    clock.now += 1;
    assert.equal(t.redeem(b, binding()), "unknown");
  });

  it("redeem() refuses a challenge when the clock went backwards past its issue time", () => {
    const { t, clock } = table({ ttlMs: 5000 });
    const c = t.issue(binding());
    clock.now -= 1;
    assert.equal(t.redeem(c, binding()), "unknown");
  });

  it("redeem() from another address is refused and leaves the challenge to its owner", () => {
    const { t } = table();
    const c = t.issue(binding());
    assert.equal(t.redeem(c, binding({ address: "10.77.0.9" })), "address");
    assert.equal(t.redeem(c, binding()), "ok");
  });

  it("redeem() for another operation, request id or arguments is refused and spends the challenge", () => {
    for (const other of [binding({ op: "query" }), binding({ id: new Uint8Array(16).fill(8) }), binding({ args: Uint8Array.of(4, 0x70, 0x75, 0x6d, 0x71) })]) {
      const { t } = table();
      const c = t.issue(binding());
      assert.equal(t.redeem(c, other), "mismatch");
      assert.equal(t.redeem(c, binding()), "unknown");
    }
  });

  it("a challenge never issued is unknown", () => {
    const { t } = table();
    t.issue(binding());
    assert.equal(t.redeem(new Uint8Array(16), binding()), "unknown");
  });

  it("issue() copies the binding: later changes to the datagram buffer do not move it", () => {
    const { t } = table();
    const args = Uint8Array.of(1, 0x61);
    const c = t.issue(binding({ args }));
    args[1] = 0x62;
    assert.equal(t.redeem(c, binding({ args: Uint8Array.of(1, 0x61) })), "ok");
  });

  it("the table is bounded: past maxEntries the oldest challenge is forgotten", () => {
    const { t } = table({ maxEntries: 3 });
    const cs = [0, 1, 2, 3].map(() => t.issue(binding()));
    assert.equal(t.size, 3);
    assert.equal(t.redeem(cs[0]!, binding()), "unknown");
    for (const c of cs.slice(1)) assert.equal(t.redeem(c, binding()), "ok");
  });

  it("expired challenges are swept when new ones are issued", () => {
    const { t, clock } = table({ ttlMs: 100 });
    for (let i = 0; i < 10; i++) t.issue(binding());
    clock.now += 100;
    t.issue(binding());
    assert.equal(t.size, 1);
  });

  it("challenges are 16 fresh random bytes each", () => {
    const t = new ChallengeTable();
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(Buffer.from(t.issue(binding())).toString("hex"));
    assert.equal(seen.size, 100);
  });

  it("property: any sequence of issue/redeem/advance redeems each challenge at most once, only within its ttl", () => {
    type Step = { kind: "issue" } | { kind: "redeem"; which: number; fromOther: boolean } | { kind: "advance"; ms: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      fc.constant({ kind: "issue" } as const),
      fc.record({ kind: fc.constant("redeem" as const), which: fc.nat({ max: 20 }), fromOther: fc.boolean() }),
      fc.record({ kind: fc.constant("advance" as const), ms: fc.nat({ max: 3000 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const clock = { now: 0 };
        const t = new ChallengeTable({ ttlMs: 5000, maxEntries: 8, monotonicMs: () => clock.now });
        const issued: { c: Uint8Array; at: number; used: boolean }[] = [];
        for (const s of steps) {
          if (s.kind === "issue") issued.push({ c: t.issue(binding()), at: clock.now, used: false });
          else if (s.kind === "advance") clock.now += s.ms;
          else {
            const e = issued[s.which];
            if (!e) continue;
            const r = t.redeem(e.c, s.fromOther ? binding({ address: "10.0.0.1" }) : binding());
            if (r === "ok") {
              assert.ok(!e.used, "redeemed twice");
              assert.ok(clock.now - e.at < 5000, "redeemed after its ttl");
              assert.ok(!s.fromOther);
              e.used = true;
            }
            assert.ok(t.size <= 8);
          }
        }
      }),
    );
  });

  it("issue() / redeem() keep size and outcomes of a table in issue order, over expiry, eviction and redeems", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(20), fc.nat()), { maxLength: 400 }), (steps) => {
        const { t, clock } = table({ ttlMs: 50, maxEntries: 5 });
        const ref = new Map<string, number>(); // challenge -> expiry, in issue order
        const live: Uint8Array[] = [];
        const hex = (u: Uint8Array) => Buffer.from(u).toString("hex");
        for (const [redeem, dtMs, pick] of steps) {
          clock.now += dtMs;
          if (redeem && live.length > 0) {
            const c = live.splice(pick % live.length, 1)[0]!;
            const expires = ref.get(hex(c));
            ref.delete(hex(c));
            assert.equal(t.redeem(c, binding()), expires !== undefined && clock.now < expires ? "ok" : "unknown");
          } else {
            for (const [k, expires] of ref) {
              if (clock.now < expires) break;
              ref.delete(k);
            }
            while (ref.size >= 5) ref.delete(ref.keys().next().value!);
            const c = t.issue(binding());
            ref.set(hex(c), clock.now + 50);
            live.push(c);
          }
          assert.equal(t.size, ref.size);
        }
      }),
    );
  });
});
