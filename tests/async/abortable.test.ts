import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { untilAborted } from "../../lib/async/index.ts";

/** Runs `wait` on a fresh object and returns a weak reference to that object once the wait is over. */
async function waitedValue(wait: (step: Promise<object>) => Promise<unknown>): Promise<WeakRef<object>> {
  const value = { payload: new Uint8Array(1024) };
  const ref = new WeakRef(value);
  await wait(Promise.resolve(value));
  return ref;
}

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
    const ours = await waitedValue((step) => untilAborted(step, signal));
    const stopped = new Promise<undefined>((resolve) => signal.addEventListener("abort", () => resolve(undefined)));
    const raced = await waitedValue((step) => Promise.race([step, stopped]));
    // WeakRef targets stay alive until the current job ends; JSC also scans the stack conservatively.
    for (let i = 0; i < 5 && ours.deref() !== undefined; i++) {
      await new Promise((r) => setImmediate(r));
      Bun.gc(true);
    }
    assert.equal(ours.deref(), undefined, "the value of a wait through untilAborted was collected");
    assert.notEqual(raced.deref(), undefined, "control: a race keeps the value reachable from the long-lived promise");
  });
});
