/** perTurn: one clock read per synchronous run, a fresh one in the next. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { perTurn } from "../../lib/async/index.ts";

describe("perTurn", () => {
  it("reads once per synchronous run and again after the run ends", async () => {
    let reads = 0;
    const now = perTurn(() => ++reads);
    assert.deepEqual([now(), now(), now()], [1, 1, 1]);
    await null; // the run ends: the next read is fresh
    assert.deepEqual([now(), now()], [2, 2]);
    await new Promise<void>((r) => setImmediate(r));
    assert.equal(now(), 3);
    assert.equal(reads, 3);
  });

  it("keeps no stale value across an await inside one macrotask", async () => {
    let t = 100;
    const now = perTurn(() => t);
    assert.equal(now(), 100);
    t = 200;
    assert.equal(now(), 100, "same run");
    await Promise.resolve();
    assert.equal(now(), 200, "a continuation is a new run");
  });
});
