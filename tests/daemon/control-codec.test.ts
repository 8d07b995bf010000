import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  CONTROL_REQUESTS,
  ControlProtocolError,
  decodeEvent,
  decodeLine,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  errorResponse,
  type ControlRequest,
} from "../../lib/daemon/index.ts";
import { DiscoError } from "../../lib/errors.ts";

const enc = new TextEncoder();
const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe("control codec: golden lines", () => {
  it("encodeRequest() writes one JSON object and a newline", () => {
    // {"request":"status","id":7}\n — the request name, the id the response echoes, LF ends the line.
    assert.equal(text(encodeRequest({ request: "status", id: 7 })), '{"request":"status","id":7}\n');
    assert.equal(text(encodeRequest({ request: "hosts", watch: true })), '{"request":"hosts","watch":true}\n');
  });

  it("encodeResponse() writes results, errors and events", () => {
    assert.equal(text(encodeResponse({ ok: true, id: "a", result: { generation: 2 } })), '{"ok":true,"id":"a","result":{"generation":2}}\n');
    assert.equal(text(encodeResponse({ ok: false, error: { code: "unknown-request", message: "x" } })), '{"ok":false,"error":{"code":"unknown-request","message":"x"}}\n');
    assert.equal(text(encodeResponse({ event: { type: "join" } })), '{"event":{"type":"join"}}\n');
  });

  it("decodeRequest() reads the golden request", () => {
    assert.deepEqual(decodeRequest(enc.encode('{"request":"reload","id":"r1"}')), { request: "reload", id: "r1" });
    assert.deepEqual(decodeRequest(enc.encode('{"request":"hosts","watch":false}')), { request: "hosts" });
  });

  it("decodeResponse() and decodeEvent() read the golden lines", () => {
    assert.deepEqual(decodeResponse(enc.encode('{"ok":true,"id":3,"result":[1]}')), { ok: true, id: 3, result: [1] });
    assert.deepEqual(decodeResponse(enc.encode('{"ok":false,"error":{"code":"timeout","message":"late"}}')), { ok: false, error: { code: "timeout", message: "late" } });
    assert.deepEqual(decodeEvent(enc.encode('{"event":null}')), { event: null });
  });
});

describe("decodeLine()", () => {
  const two = enc.encode('{"request":"status"}\n{"request":"hosts"}\n');

  it("finds lines one after another and says when the rest has no newline yet", () => {
    const a = decodeLine(two)!;
    assert.equal(text(a.line), '{"request":"status"}');
    const b = decodeLine(two, a.next)!;
    assert.equal(text(b.line), '{"request":"hosts"}');
    assert.equal(decodeLine(two, b.next), undefined);
  });

  it("gives the same lines whatever the split (fed byte by byte or cut at any offset)", () => {
    for (let cut = 0; cut <= two.length; cut++) {
      const lines: string[] = [];
      let buf = new Uint8Array(0);
      for (const part of [two.subarray(0, cut), two.subarray(cut)]) {
        const next = new Uint8Array(buf.length + part.length);
        next.set(buf);
        next.set(part, buf.length);
        buf = next;
        let found;
        while ((found = decodeLine(buf))) {
          lines.push(text(found.line));
          buf = buf.slice(found.next);
        }
      }
      assert.deepEqual(lines, ['{"request":"status"}', '{"request":"hosts"}'], `cut at ${cut}`);
    }
  });

  it("refuses a line over the limit, complete or not", () => {
    assert.throws(() => decodeLine(new Uint8Array(20).fill(0x61), 0, 10), { name: "ControlProtocolError", code: "too-long" });
    const long = new Uint8Array(21).fill(0x61);
    long[20] = 0x0a;
    assert.throws(() => decodeLine(long, 0, 10), { code: "too-long" });
  });
});

describe("decodeRequest(): malformed input", () => {
  const table: [string, string, string][] = [
    ["not JSON", "{", "malformed"],
    ["not an object", "[1]", "malformed"],
    ["no request", '{"id":1}', "malformed"],
    ["a request that is not a string", '{"request":5}', "malformed"],
    ["an unknown request", '{"request":"reboot","id":4}', "unknown-request"],
    ["a bad id", '{"request":"status","id":{}}', "malformed"],
    ["a bad watch", '{"request":"hosts","watch":"yes"}', "malformed"],
  ];
  for (const [what, line, code] of table) {
    it(`refuses ${what} with code ${code}`, () => {
      assert.throws(() => decodeRequest(enc.encode(line)), (e: unknown) => e instanceof ControlProtocolError && e.code === code);
    });
  }

  it("refuses bytes that are not UTF-8", () => {
    assert.throws(() => decodeRequest(new Uint8Array([0x7b, 0xff, 0x7d])), { code: "malformed" });
  });

  it("errorResponse() echoes the id when it could be read", () => {
    try {
      decodeRequest(enc.encode('{"request":"reboot","id":4}'));
      assert.fail("expected a refusal");
    } catch (err) {
      assert.deepEqual(errorResponse(err as ControlProtocolError), { ok: false, id: 4, error: { code: "unknown-request", message: 'unknown request "reboot" (known: status, hosts, reload)' } });
    }
  });
});

describe("control codec: properties", () => {
  const request = fc.record(
    { request: fc.constantFrom(...CONTROL_REQUESTS), id: fc.oneof(fc.string({ maxLength: 256 }), fc.integer()), watch: fc.constant(true) },
    { requiredKeys: ["request"] },
  ) as fc.Arbitrary<ControlRequest>;

  it("requests round-trip", () => {
    fc.assert(
      fc.property(request, (r) => {
        const bytes = encodeRequest(r);
        const line = decodeLine(bytes)!;
        assert.equal(line.next, bytes.length);
        assert.deepEqual(decodeRequest(line.line), { ...r });
      }),
    );
  });

  it("responses round-trip", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.option(fc.integer(), { nil: undefined }), (result, id) => {
        const r = { ok: true as const, ...(id !== undefined && { id }), result: JSON.parse(JSON.stringify(result)) as unknown };
        assert.deepEqual(decodeResponse(decodeLine(encodeResponse(r))!.line), r);
      }),
    );
  });

  it("arbitrary bytes give a request or a DiscoError, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        for (const decode of [decodeRequest, decodeResponse, decodeEvent]) {
          try {
            decode(bytes);
          } catch (err) {
            assert.ok(err instanceof DiscoError, String(err));
          }
        }
      }),
    );
  });
});
