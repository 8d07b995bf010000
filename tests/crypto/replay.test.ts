import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ReplayCache } from "../../lib/crypto/index.ts";

describe("ReplayCache", () => {
  it("check() accepts an id once and rejects it again within the ttl", () => {
    const c = new ReplayCache({ ttlMs: 1000 });
    assert.equal(c.check("a", 0), true);
    assert.equal(c.check("a", 999), false);
    assert.equal(c.check("b", 999), true);
  });
  it("check() accepts an id again after the ttl", () => {
    const c = new ReplayCache({ ttlMs: 1000 });
    c.check("a", 0);
    assert.equal(c.check("a", 1000), true);
  });
  it("stays bounded: the oldest id is forgotten past maxEntries", () => {
    const c = new ReplayCache({ maxEntries: 3, ttlMs: 1e9 });
    for (const id of ["a", "b", "c", "d"]) assert.equal(c.check(id, 0), true);
    assert.equal(c.size, 3);
    assert.equal(c.check("a", 1), true, "a was evicted, so it reads as new");
    assert.equal(c.check("d", 1), false);
  });
  it("an id recorded again after its ttl is not forgotten when its first slot is reused", () => {
    const c = new ReplayCache({ maxEntries: 3, ttlMs: 10 });
    c.check("a", 0);
    assert.equal(c.check("a", 20), true, "expired, so fresh again");
    c.check("b", 21); // reuses nothing yet
    c.check("c", 22); // forgets the slot of a's first record, not a itself
    assert.equal(c.check("a", 23), false, "a is still remembered from its second record");
    assert.ok(c.size <= 3);
  });

  it("stays bounded and O(1) per id over many more ids than it holds", () => {
    const c = new ReplayCache({ maxEntries: 8192, ttlMs: 1e9 });
    for (let i = 0; i < 100_000; i++) assert.equal(c.check(`id-${i}`, i), true);
    assert.equal(c.size, 8192);
    assert.equal(c.check("id-99999", 100_000), false);
    assert.equal(c.check("id-0", 100_000), true, "the oldest were forgotten");
  });

  it("rejects a non-positive size", () => {
    assert.throws(() => new ReplayCache({ maxEntries: 0 }), RangeError);
  });
});
