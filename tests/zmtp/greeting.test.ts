import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeGreeting, encodeGreeting, FrameError, GREETING_BYTES } from "../../lib/zmtp/index.ts";
import { bytes } from "./_hex.ts";
import { assertDiscoErrorOnly } from "./_fuzz.ts";

// RFC 23 "The Greeting", as libzmq 4.3 sends it for a NULL client announcing ZMTP 3.1.
const LIBZMQ_GREETING = bytes(`
  ff                       # signature start
  00 00 00 00 00 00 00 01  # padding (libzmq: a 1.0-style length of 1)
  7f                       # signature end
  03                       # major version 3
  01                       # minor version 1
  4e 55 4c 4c              # mechanism "NULL"
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # mechanism NUL padding to 20 bytes
  00                       # as-server: false
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00   # filler (31 zero bytes)
  00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
`);

describe("greeting", () => {
  it("encodeGreeting() produces libzmq's 3.1 NULL greeting byte for byte", () => {
    assert.equal(LIBZMQ_GREETING.length, GREETING_BYTES);
    assert.deepEqual(encodeGreeting(), LIBZMQ_GREETING);
  });

  it("decodeGreeting() reads version, mechanism and as-server", () => {
    assert.deepEqual(decodeGreeting(LIBZMQ_GREETING), { value: { major: 3, minor: 1, mechanism: "NULL", asServer: false }, next: 64 });
    const curve = encodeGreeting({ minor: 0, mechanism: "CURVE", asServer: true });
    assert.deepEqual(decodeGreeting(curve), { value: { major: 3, minor: 0, mechanism: "CURVE", asServer: true }, next: 64 });
  });

  it("decodeGreeting() asks for more bytes at every split of a valid greeting", () => {
    for (let n = 0; n < 64; n++) {
      const r = decodeGreeting(LIBZMQ_GREETING.subarray(0, n));
      assert.deepEqual(r, { need: 64 - n });
    }
  });

  it("decodeGreeting() decodes at an offset", () => {
    const buf = new Uint8Array(70);
    buf.set(LIBZMQ_GREETING, 3);
    const r = decodeGreeting(buf, 3);
    assert.ok("value" in r);
    assert.equal(r.next, 67);
  });

  const bad: [string, Uint8Array, number][] = [
    ["HTTP instead of ZMTP", new TextEncoder().encode("GET / HTTP/1.1\r\n"), 0],
    ["a ZMTP 1.0 signature (no 0x7F)", bytes("ff 00 00 00 00 00 00 00 01 00"), 9],
    ["a ZMTP 2.0 major version", bytes("ff 00 00 00 00 00 00 00 01 7f 01"), 10],
  ];
  for (const [what, input, offset] of bad) {
    it(`decodeGreeting() rejects ${what} with FrameError at offset ${offset}`, () => {
      assert.throws(
        () => decodeGreeting(input),
        (e: unknown) => e instanceof FrameError && e.offset === offset,
      );
    });
  }

  it("encodeGreeting() refuses an unusable mechanism name", () => {
    assert.throws(() => encodeGreeting({ mechanism: "" }), RangeError);
    assert.throws(() => encodeGreeting({ mechanism: "X".repeat(21) }), RangeError);
  });

  it("decodeGreeting() yields a greeting, a need, or a DiscoError for arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (input) => {
        assertDiscoErrorOnly(() => decodeGreeting(input));
      }),
      { numRuns: 2000 },
    );
  });

  it("encodeGreeting()/decodeGreeting() round-trip", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 255 }), fc.stringMatching(/^[A-Z]{1,20}$/), fc.boolean(), (minor, mechanism, asServer) => {
        const r = decodeGreeting(encodeGreeting({ minor, mechanism, asServer }));
        assert.deepEqual(r, { value: { major: 3, minor, mechanism, asServer }, next: 64 });
      }),
    );
  });
});
