import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  decodeAnswer,
  decodeError,
  decodeQuery,
  describeErrorCode,
  describeHost,
  encodeAnswer,
  encodeError,
  encodeQuery,
  ERROR_CODE,
  MAX_DESCRIPTION_BYTES,
  ProtocolError,
  toSelfDescription,
} from "../../lib/discovery/index.ts";
import { toHex } from "../../lib/bytes.ts";
import fc from "fast-check";

const enc = new TextEncoder();
const id = Uint8Array.from({ length: 16 }, (_, i) => i);

describe("payload codec", () => {
  it("encodeAnswer() writes id, time and the description JSON (golden bytes)", () => {
    const description = describeHost({ host: "pi", addresses: ["10.0.0.5"], version: "0.1.0", uptimeSec: 12.34, services: { web: "http://pi/" } });
    const bytes = encodeAnswer({ id, timeMs: 1, description });
    const json = '{"host":"pi","addresses":["10.0.0.5"],"version":"0.1.0","uptimeSec":12.3,"services":{"web":"http://pi/"},"interfaces":{}}';
    assert.equal(
      toHex(bytes),
      "000102030405060708090a0b0c0d0e0f" + // query id, echoed
        "0000000000000001" + // responder time ms, big-endian
        toHex(enc.encode(json)), // self-description, UTF-8 JSON
    );
    assert.deepEqual(decodeAnswer(bytes), { id: bytes.subarray(0, 16), timeMs: 1, description });
  });

  it("describeHost() includes the metrics endpoint and GPIO lines when given", () => {
    const d = describeHost({ host: "h", addresses: [], version: "v", uptimeSec: 0, metricsEndpoint: "tcp://10.0.0.5:9000", gpio: [{ name: "led", direction: "out" }] });
    assert.deepEqual(d.interfaces, { metrics: "tcp://10.0.0.5:9000", gpio: [{ name: "led", direction: "out" }] });
    assert.deepEqual(toSelfDescription(JSON.parse(JSON.stringify(d))), d);
  });

  it("toSelfDescription() takes IP literals only as addresses, and bounds the interfaces' strings", () => {
    const d = describeHost({ host: "h", addresses: ["10.0.0.5", "fe80::1"], version: "v", uptimeSec: 0 });
    assert.deepEqual(toSelfDescription(JSON.parse(JSON.stringify(d))).addresses, ["10.0.0.5", "fe80::1"]);
    for (const addresses of [["1.2.3.4\x1b]52;c;aGVsbG8=\x07"], ["evil.example"], ["1.2.3.4 +2"]]) {
      assert.throws(() => toSelfDescription({ ...d, addresses }), { name: "ProtocolError", message: /addresses must be a list of IP addresses/ });
    }
    assert.throws(() => toSelfDescription({ ...d, interfaces: { metrics: `tcp://${"x".repeat(300)}` } }), /at most 256/);
    assert.throws(() => toSelfDescription({ ...d, interfaces: { gpio: [{ name: "x".repeat(65), direction: "out" }] } }), /at most 64/);
  });

  it("encodeError() / decodeError() round-trip, and unknown codes decode as unknown", () => {
    const nonce = new Uint8Array(12).fill(3);
    const b = encodeError({ nonce, code: "stale" });
    assert.equal(toHex(b), "030303030303030303030303" + "05");
    assert.equal(decodeError(b).code, "stale");
    b[12] = 99;
    assert.equal(decodeError(b).code, "unknown");
  });

  it("encodeError() writes code 7 'refused' (golden bytes), the one code sent before authentication", () => {
    const b = encodeError({ nonce: new Uint8Array(12).fill(0xab), code: "refused" });
    assert.equal(toHex(b), "abababababababababababab" + "07");
    assert.equal(decodeError(b).code, "refused");
    assert.match(describeErrorCode("refused"), /not for this server/);
  });

  it("error payloads round-trip for any nonce and every code; any 13 bytes decode to a known code or 'unknown'", () => {
    const codes = Object.keys(ERROR_CODE) as (keyof typeof ERROR_CODE)[];
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.constantFrom(...codes), (nonce, code) => {
        const e = decodeError(encodeError({ nonce, code }));
        assert.equal(e.code, code);
        assert.equal(toHex(e.nonce), toHex(nonce));
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 13, maxLength: 13 }), (bytes) => {
        const code = decodeError(bytes).code;
        assert.ok(code === "unknown" || ERROR_CODE[code] === bytes[12]);
      }),
    );
  });

  it("query payloads round-trip for any id and time", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), (qid, timeMs) => {
        const q = decodeQuery(encodeQuery({ id: qid, timeMs }));
        assert.equal(q.timeMs, timeMs);
        assert.equal(toHex(q.id), toHex(qid));
      }),
    );
  });

  const bad: [string, unknown][] = [
    ["not an object", [1]],
    ["empty host", { host: "", addresses: [], version: "v", uptimeSec: 0, services: {} }],
    ["a host name with an escape sequence", { host: "h\u001b]52;c;aGk=\u0007", addresses: [], version: "v", uptimeSec: 0, services: {} }],
    ["a host name that traverses", { host: "../etc", addresses: [], version: "v", uptimeSec: 0, services: {} }],
    ["a host name with a leading dash", { host: "-rf", addresses: [], version: "v", uptimeSec: 0, services: {} }],
    ["addresses not strings", { host: "h", addresses: [1], version: "v", uptimeSec: 0, services: {} }],
    ["negative uptime", { host: "h", addresses: [], version: "v", uptimeSec: -1, services: {} }],
    ["services a list", { host: "h", addresses: [], version: "v", uptimeSec: 0, services: [] }],
    ["gpio without direction", { host: "h", addresses: [], version: "v", uptimeSec: 0, services: {}, interfaces: { gpio: [{ name: "x" }] } }],
  ];
  for (const [name, value] of bad) {
    it(`decodeAnswer() rejects a description with ${name}`, () => {
      const b = new Uint8Array([...id, ...new Uint8Array(8), ...enc.encode(JSON.stringify(value))]);
      assert.throws(() => decodeAnswer(b), (e) => e instanceof ProtocolError && e.reason === "payload");
    });
  }

  it("decodeAnswer() rejects invalid UTF-8 and short payloads; decodeQuery() wrong sizes", () => {
    assert.throws(() => decodeAnswer(new Uint8Array([...id, ...new Uint8Array(8), 0xff, 0xfe])), ProtocolError);
    assert.throws(() => decodeAnswer(new Uint8Array(10)), ProtocolError);
    assert.throws(() => decodeQuery(new Uint8Array(23)), ProtocolError);
    assert.throws(() => decodeError(new Uint8Array(14)), ProtocolError);
  });

  it("encodeAnswer() refuses a description that would not fit a datagram", () => {
    const description = describeHost({ host: "h", addresses: [], version: "v", uptimeSec: 0, services: { big: "x".repeat(MAX_DESCRIPTION_BYTES) } });
    assert.throws(() => encodeAnswer({ id, timeMs: 0, description }), RangeError);
  });
});
