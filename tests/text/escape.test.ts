import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { escapeForTerminal, escapeLinesForTerminal, jsonForTerminal } from "../../lib/text/index.ts";

const UNSAFE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe("escapeForTerminal()", () => {
  it("returns safe text unchanged", () => {
    for (const s of ["", "pi-shed", "temperature 21.5 °C", "http://10.0.0.5:8080/a?b=c", "日本語", "\\x1b stays as typed"]) {
      assert.equal(escapeForTerminal(s), s);
    }
  });

  it("writes ESC/OSC/BEL, NUL, DEL, C1 and bidi controls as visible escapes", () => {
    assert.equal(escapeForTerminal("pi\x1b]52;c;aGk=\x07"), "pi\\x1b]52;c;aGk=\\x07");
    assert.equal(escapeForTerminal("\x1b[2J\x1b[H"), "\\x1b[2J\\x1b[H");
    assert.equal(escapeForTerminal("a\x00b\x7fc\x9bd"), "a\\x00b\\x7fc\\x9bd");
    assert.equal(escapeForTerminal("line\nnext\r\t"), "line\\x0anext\\x0d\\x09");
    assert.equal(escapeForTerminal("abc\u202egnp.exe"), "abc\\u202egnp.exe");
    assert.equal(escapeForTerminal("\u200e\u200f\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069\u061c\u2028\u2029"), "\\u200e\\u200f\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069\\u061c\\u2028\\u2029");
  });

  it("leaves no control or bidi character in any string, and changes nothing else (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        const e = escapeForTerminal(s);
        assert.ok(!UNSAFE.test(e));
        // Removing the escapes from both sides leaves the same safe characters.
        const stripped = e.replace(/\\x[0-9a-f]{2}|\\u[0-9a-f]{4}/g, "");
        const safeOnly = s.replace(new RegExp(UNSAFE.source, "g"), "");
        if (!/\\[xu]/.test(s)) assert.equal(stripped, safeOnly);
      }),
    );
  });
});

describe("escapeLinesForTerminal()", () => {
  it("keeps the lines and tabs of a command's output and escapes every other control and bidi character", () => {
    assert.equal(escapeLinesForTerminal("up 3 days\nload\t0.1\n"), "up 3 days\nload\t0.1\n");
    assert.equal(escapeLinesForTerminal("ok\n\x1b]52;c;aGk=\x07\x1b[2J\n"), "ok\n\\x1b]52;c;aGk=\\x07\\x1b[2J\n");
    assert.equal(escapeLinesForTerminal("fake\rreal\x9b\u202e\u2028"), "fake\\x0dreal\\x9b\\u202e\\u2028", "a carriage return would overprint the line");
  });

  it("leaves no control or bidi character but newline and tab, and changes nothing else (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        const e = escapeLinesForTerminal(s);
        assert.ok(!UNSAFE.test(e.replace(/[\n\t]/g, "")));
        assert.equal(e.split("\n").length, s.split("\n").length, "the same lines");
        if (!/\\[xu]/.test(s)) assert.equal(e.replace(/\\x[0-9a-f]{2}|\\u[0-9a-f]{4}/g, ""), s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, ""));
      }),
    );
  });
});

describe("jsonForTerminal()", () => {
  it("escapes what JSON.stringify leaves raw for a terminal (DEL, C1, bidi)", () => {
    assert.equal(jsonForTerminal({ h: "a\x1b\x7f\x9b\u202eb" }), '{"h":"a\\u001b\\u007f\\u009b\\u202eb"}');
    assert.equal(jsonForTerminal([1, "x"], 2), JSON.stringify([1, "x"], null, 2));
  });

  it("parses back to the same value, with no control or bidi character in the text (property)", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: "binary", maxLength: 50 }), (v, s) => {
        for (const value of [v, { s, v }]) {
          const text = jsonForTerminal(value);
          assert.ok(!UNSAFE.test(text));
          assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(value)));
        }
      }),
    );
  });
});
