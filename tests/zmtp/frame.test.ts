import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeFrame, encodeFrame, encodeMessage, FrameError, ProtocolError } from "../../lib/zmtp/index.ts";
import { ascii, bytes } from "./_hex.ts";
import { assertDiscoErrorOnly } from "./_fuzz.ts";

const SHORT_LAST = bytes(`
  00          # flags: last frame, short, message
  05          # size 5
  ${ascii("hello")}
`);
const SHORT_MORE = bytes(`
  01          # flags: MORE, short, message
  03          # size 3
  ${ascii("top")}
`);
const LONG_300 = bytes(`
  02                        # flags: LONG, last, message
  00 00 00 00 00 00 01 2c   # size 300, 8 bytes big-endian
  ${"ab".repeat(300)}
`);
const COMMAND = bytes(`
  04          # flags: COMMAND, short
  05          # size 5
  04 ${ascii("PING")}  # name-size 4, "PING" (no ttl: the frame codec does not care)
`);
const EMPTY_FRAME = bytes(`
  00 00       # flags 0, size 0: an empty last frame
`);

describe("frame", () => {
  it("encodeFrame() writes short, long, MORE and COMMAND frames (golden)", () => {
    assert.deepEqual(encodeFrame(new TextEncoder().encode("hello")), SHORT_LAST);
    assert.deepEqual(encodeFrame(new TextEncoder().encode("top"), { more: true }), SHORT_MORE);
    assert.deepEqual(encodeFrame(new Uint8Array(300).fill(0xab)), LONG_300);
    assert.deepEqual(encodeFrame(bytes(`04 ${ascii("PING")}`), { command: true }), COMMAND);
    assert.deepEqual(encodeFrame(new Uint8Array(0)), EMPTY_FRAME);
  });

  it("encodeFrame() switches to a long frame above 255 bytes", () => {
    assert.equal(encodeFrame(new Uint8Array(255)).length, 257);
    assert.equal(encodeFrame(new Uint8Array(256)).length, 265);
    assert.equal(encodeFrame(new Uint8Array(256))[0], 0x02);
  });

  it("encodeMessage() sets MORE on every frame but the last", () => {
    assert.deepEqual(encodeMessage([new TextEncoder().encode("top"), new TextEncoder().encode("hello")]), Uint8Array.from([...SHORT_MORE, ...SHORT_LAST]));
    assert.throws(() => encodeMessage([]), RangeError);
    assert.throws(() => encodeFrame(new Uint8Array(1), { more: true, command: true }), RangeError);
  });

  it("decodeFrame() reads each golden frame", () => {
    const cases: [Uint8Array, boolean, boolean, number][] = [
      [SHORT_LAST, false, false, 5],
      [SHORT_MORE, true, false, 3],
      [LONG_300, false, false, 300],
      [COMMAND, false, true, 5],
      [EMPTY_FRAME, false, false, 0],
    ];
    for (const [input, more, command, size] of cases) {
      const r = decodeFrame(input, 0, 1 << 20);
      assert.ok("value" in r);
      assert.equal(r.value.more, more);
      assert.equal(r.value.command, command);
      assert.equal(r.value.body.length, size);
      assert.equal(r.next, input.length);
    }
  });

  it("decodeFrame() asks for more at every split offset", () => {
    for (const input of [SHORT_LAST, LONG_300, COMMAND]) {
      for (let n = 0; n < input.length; n++) {
        const r = decodeFrame(input.subarray(0, n), 0, 1 << 20);
        assert.ok("need" in r, `split at ${n}`);
        assert.ok(r.need >= 1);
      }
    }
  });

  const malformed: [string, Uint8Array, unknown][] = [
    ["reserved flag bits", bytes("08 00"), FrameError],
    ["a command with MORE", bytes("05 00"), FrameError],
    ["a short frame over the limit", bytes("00 ff"), ProtocolError],
    ["a long frame over the limit (refused before its body)", bytes("02 00 00 00 01 00 00 00 00"), ProtocolError],
    ["a long frame of 2^63 bytes", bytes("02 80 00 00 00 00 00 00 00"), ProtocolError],
  ];
  for (const [what, input, cls] of malformed) {
    it(`decodeFrame() rejects ${what}`, () => {
      assert.throws(() => decodeFrame(input, 0, 100), cls as new () => Error);
    });
  }

  it("encodeFrame()/decodeFrame() round-trip any body and flags", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (body, more) => {
        const r = decodeFrame(encodeFrame(body, { more }), 0, 1 << 20);
        assert.ok("value" in r);
        assert.deepEqual(r.value.body, body);
        assert.equal(r.value.more, more);
      }),
    );
  });

  it("decodeFrame() yields a frame, a need or a DiscoError for arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 1000 }), (input, max) => {
        assertDiscoErrorOnly(() => decodeFrame(input, 0, max));
      }),
      { numRuns: 3000 },
    );
  });
});
