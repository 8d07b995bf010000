import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { HOST_NAME_PATTERN, MAX_HOST_NAME_BYTES, isValidHostName } from "../../lib/text/index.ts";

describe("isValidHostName()", () => {
  it("accepts letters, digits, '.', '_' and '-' up to 253 bytes", () => {
    for (const name of ["pi", "PiZero2", "shed-1.local", "_svc", "9lives", "a", "x".repeat(MAX_HOST_NAME_BYTES), "10.0.0.7"]) {
      assert.equal(isValidHostName(name), true, name);
    }
  });

  it("refuses what a terminal, a shell or a path would read specially", () => {
    const bad = [
      "",
      "x".repeat(MAX_HOST_NAME_BYTES + 1),
      "-rf", // an option
      ".", // path components
      "..",
      ".hidden",
      "../etc",
      "a/b",
      "*",
      "pi?",
      "[ab]",
      "pi shed",
      "pi\tshed",
      "pi\x1b]52;c;aGk=\x07",
      "pi\x00",
      "pi\x7f",
      "pi\u0085",
      "pi\u202egnp.exe",
      "pi\u2066x",
      "pi\u200e",
      "é",
      "p\u0131", // dotless i: a look-alike
      "$(reboot)",
      "`id`",
      "a;b",
      "a:b",
    ];
    for (const name of bad) assert.equal(isValidHostName(name), false, JSON.stringify(name));
  });

  it("is the pattern HOST_NAME_PATTERN, so lib/config and the wire agree (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (s) => {
        assert.equal(isValidHostName(s), HOST_NAME_PATTERN.test(s));
        if (isValidHostName(s)) {
          assert.ok(new TextEncoder().encode(s).length <= MAX_HOST_NAME_BYTES);
          assert.match(s, /^[A-Za-z0-9._-]+$/);
          assert.ok(!s.startsWith("-") && !s.startsWith("."));
        }
      }),
    );
  });
});
