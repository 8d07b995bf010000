import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { AsyncQueue, Subscribers } from "../../lib/async/index.ts";

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe("AsyncQueue", () => {
  it("hands a pushed item to a waiting reader first", async () => {
    const q = new AsyncQueue<number>({ capacity: 1 });
    const waiting = q.next();
    assert.equal(q.push(1), true);
    assert.deepEqual(await waiting, { value: 1, done: false });
    assert.equal(q.length, 0);
  });

  it("drop-newest refuses and counts an item when full (a high-water mark)", async () => {
    const q = new AsyncQueue<number>({ capacity: 2 });
    assert.deepEqual([q.push(1), q.push(2), q.push(3)], [true, true, false]);
    assert.equal(q.dropped, 1);
    q.close();
    assert.deepEqual(await drain(q), [1, 2]);
  });

  it("drop-oldest keeps the newest items when full (a live view)", async () => {
    const q = new AsyncQueue<number>({ capacity: 2, overflow: "drop-oldest" });
    for (const i of [1, 2, 3, 4]) q.push(i);
    assert.equal(q.dropped, 2);
    q.close();
    assert.deepEqual(await drain(q.iterate()), [3, 4]);
  });

  it("close() lets the kept items be read, then ends; pushes after it are refused", async () => {
    const q = new AsyncQueue<number>();
    q.push(1);
    q.close();
    assert.equal(q.push(2), false);
    assert.deepEqual(await q.next(), { value: 1, done: false });
    assert.equal((await q.next()).done, true);
  });

  it("an abort ends a waiting read and removes the waiter", async () => {
    const q = new AsyncQueue<number>();
    const ac = new AbortController();
    const waiting = q.next(ac.signal);
    ac.abort();
    assert.equal((await waiting).done, true);
    q.push(5);
    assert.equal(q.length, 1, "the item was kept, not handed to the aborted reader");
  });

  it("takeAll() empties the queue in order, across compactions", async () => {
    const q = new AsyncQueue<number>({ capacity: 5000 });
    for (let i = 0; i < 3000; i++) q.push(i);
    for (let i = 0; i < 2000; i++) assert.equal((await q.next()).value, i);
    const rest = q.takeAll();
    assert.equal(rest.length, 1000);
    assert.equal(rest[0], 2000);
    assert.equal(q.length, 0);
  });

  it("refuses a capacity below 1", () => {
    assert.throws(() => new AsyncQueue({ capacity: 0 }), RangeError);
  });
});

describe("Subscribers", () => {
  it("gives each subscription every item, starting with its initial ones", async () => {
    const s = new Subscribers<string>();
    const a = s.subscribe({ initial: ["now"] });
    const b = s.subscribe();
    s.emit("x");
    s.close();
    assert.deepEqual(await drain(a), ["now", "x"]);
    assert.deepEqual(await drain(b), ["x"]);
  });

  it("a slow subscriber loses the oldest items beyond its capacity", async () => {
    const s = new Subscribers<number>();
    const ac = new AbortController();
    const it = s.subscribe({ signal: ac.signal, capacity: 2 });
    for (const i of [1, 2, 3]) s.emit(i);
    ac.abort();
    assert.deepEqual(await drain(it), [2, 3], "items queued before the abort are still read");
  });

  it("break stops delivery to that subscription; a subscription after close() ends at once", async () => {
    const s = new Subscribers<number>();
    const it = s.subscribe();
    s.emit(1);
    for await (const x of it) {
      assert.equal(x, 1);
      break;
    }
    s.emit(2);
    assert.equal((await it.next()).done, true);
    s.close();
    assert.deepEqual(await drain(s.subscribe()), []);
  });
});
