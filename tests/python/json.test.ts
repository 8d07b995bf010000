import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pyJsonDumps, pyNumber } from "../../lib/python/index.ts";

describe("pyJsonDumps()", () => {
  it("matches Python's json.dumps for strings, numbers and nesting", () => {
    assert.equal(pyJsonDumps({ a: "é\n\"\\", b: [1, 2.5, null, true], c: {} }), '{"a": "\\u00e9\\n\\"\\\\", "b": [1, 2.5, null, true], "c": {}}');
    assert.equal(pyJsonDumps("😀"), '"\\ud83d\\ude00"');
  });

  it("pyNumber() formats floats like Python's repr", () => {
    assert.equal(pyNumber(1, true), "1.0");
    assert.equal(pyNumber(1e16, true), "1e+16");
    assert.equal(pyNumber(1.5e-7, true), "1.5e-07");
    assert.equal(pyNumber(0.0001, true), "0.0001");
    assert.equal(pyNumber(123.456, true), "123.456");
    assert.equal(pyNumber(-0.5, false), "-0.5");
    assert.equal(pyNumber(42, false), "42");
  });
});
