import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { sleepUnlessAborted, untilAborted } from "../../lib/async/index.ts";

/** Runs `wait` on 200 fresh objects, one after another, and returns weak references to them. */
async function waitedValues(wait: (step: Promise<object>) => Promise<unknown>): Promise<WeakRef<object>[]> {
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < 200; i++) {
    const value = { payload: new Uint8Array(1024) };
    refs.push(new WeakRef(value));
    await wait(Promise.resolve(value));
  }
  return refs;
}

const alive = (refs: WeakRef<object>[]) => refs.filter((r) => r.deref() !== undefined).length;

describe("untilAborted()", () => {
  it("resolves with the step's value while the signal is quiet", async () => {
    assert.equal(await untilAborted(Promise.resolve(7), new AbortController().signal), 7);
  });

  it("resolves undefined when the signal aborts first, and at once when it already has", async () => {
    const c = new AbortController();
    const never = new Promise<number>(() => undefined);
    const waiting = untilAborted(never, c.signal);
    c.abort();
    assert.equal(await waiting, undefined);
    assert.equal(await untilAborted(never, c.signal), undefined);
  });

  it("passes a rejection on, and swallows one that comes after the abort", async () => {
    await assert.rejects(untilAborted(Promise.reject(new RangeError("x")), new AbortController().signal), RangeError);
    const c = new AbortController();
    c.abort();
    assert.equal(await untilAborted(Promise.reject(new RangeError("late")), c.signal), undefined);
  });

  it("keeps nothing of a finished wait alive (Promise.race against a long-lived promise does)", async () => {
    const signal = new AbortController().signal;
    const ours = await waitedValues((step) => untilAborted(step, signal));
    const stopped = new Promise<undefined>((resolve) => signal.addEventListener("abort", () => resolve(undefined)));
    const raced = await waitedValues((step) => Promise.race([step, stopped]));
    // WeakRef targets stay alive until the current job ends, and JSC scans the stack conservatively, so a
    // few may survive a collection by chance: the test compares counts, not single objects.
    for (let i = 0; i < 5 && alive(ours) > 20; i++) {
      await new Promise((r) => setImmediate(r));
      Bun.gc(true);
    }
    assert.ok(alive(ours) <= 20, `${alive(ours)} of 200 values waited on through untilAborted are still reachable`);
    assert.ok(alive(raced) >= 180, `control: ${alive(raced)} of 200 values raced against a long-lived promise are still reachable`);
  });
});

describe("sleepUnlessAborted()", () => {
  it("ends early, without rejecting, when the signal aborts (already or while it waits)", async () => {
    const ac = new AbortController();
    const t0 = performance.now();
    const waiting = sleepUnlessAborted(60_000, ac.signal);
    ac.abort();
    assert.equal(await waiting, undefined);
    assert.equal(await sleepUnlessAborted(60_000, AbortSignal.abort()), undefined);
    assert.ok(performance.now() - t0 < 30_000, "did not wait out the minute");
  });
});
