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
  it("rejects a non-positive size", () => {
    assert.throws(() => new ReplayCache({ maxEntries: 0 }), RangeError);
  });
});
