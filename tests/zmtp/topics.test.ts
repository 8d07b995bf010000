import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { TopicIndex, TopicSet } from "../../lib/zmtp/topics.ts";

const te = new TextEncoder();

function isPrefix(topic: Uint8Array, data: Uint8Array): boolean {
  return topic.length <= data.length && topic.every((b, i) => data[i] === b);
}

describe("TopicIndex", () => {
  it("forEachMatch() calls each peer holding a prefix of the message once", () => {
    const index = new TopicIndex<string>();
    index.add(te.encode("metric"), "a");
    index.add(te.encode("metric shed"), "a");
    index.add(te.encode(""), "b");
    index.add(te.encode("met"), "c");
    index.add(te.encode("junk"), "d");
    const got: string[] = [];
    index.forEachMatch(te.encode("metric shed {}"), (p) => got.push(p));
    assert.deepEqual(got.sort(), ["a", "b", "c"]);
    index.remove(te.encode(""), "b");
    index.remove(te.encode("met"), "c");
    const again: string[] = [];
    index.forEachMatch(te.encode("metric shed {}"), (p) => again.push(p));
    assert.deepEqual(again, ["a"]);
  });

  it("forEachMatch() agrees with matching each peer's TopicSet, after any adds and removes", () => {
    const bytes = fc.uint8Array({ maxLength: 6 }).map((b) => b.map((x) => x % 3));
    const op = fc.record({ add: fc.boolean(), peer: fc.integer({ min: 0, max: 4 }), topic: bytes });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), fc.array(bytes, { minLength: 1, maxLength: 5 }), (ops, messages) => {
        const index = new TopicIndex<number>();
        const sets = new Map<number, TopicSet>();
        for (const o of ops) {
          const t = sets.get(o.peer) ?? new TopicSet();
          sets.set(o.peer, t);
          if (o.add) {
            if (t.add(o.topic)) index.add(o.topic, o.peer);
          } else if (t.remove(o.topic)) index.remove(o.topic, o.peer);
        }
        for (const m of messages) {
          const got: number[] = [];
          index.forEachMatch(m, (p) => got.push(p));
          const want = [...sets].filter(([, t]) => t.topics().some((x) => isPrefix(x, m))).map(([p]) => p);
          assert.deepEqual(got.sort(), want.sort());
          for (const [, t] of sets) assert.equal(t.matches(m), t.topics().some((x) => isPrefix(x, m)));
        }
      }),
      { numRuns: 5000 },
    );
  });
});
