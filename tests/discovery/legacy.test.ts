import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  encodeLegacyAnswer,
  encodeLegacyRequest,
  importLegacyKey,
  legacyCrypt,
  legacyDecodeText,
  legacyKeyBytes,
  parseLegacyAnswer,
  parseLegacyRequest,
  ProtocolError,
} from "../../lib/discovery/index.ts";
import { toHex } from "../../lib/bytes.ts";
import { pyJsonDumps, pyNumber } from "../../lib/python/index.ts";

const enc = new TextEncoder();
const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));

// Vectors from independent implementations: Python `cryptography` AES-256-CTR with a counter block of
// integer 1, cross-checked with `openssl enc -aes-256-ctr -K <hex of password padded with '0'> -iv 0...01`.
const VECTORS: { password: string; text: string; cipher: string }[] = [
  { password: "x", text: "magic1700000000.123", cipher: "9b0a1e61639369343e1e914a5279822a29184d" },
  { password: "x", text: 'magic#OK#{"web": "http://10.0.0.5/"}', cipher: "9b0a1e616381114f2d55830d072b903e380816d240e85d28bfce48ca6ff2840bd77fe2df" },
  // A 40-character password is cut to 32.
  { password: "p".repeat(40), text: "fna349fn1700000000.5", cipher: "8fbcec5650228d06fff4bc70a1108ead436499b6" },
];

describe("PyDiscover legacy codec", () => {
  for (const v of VECTORS) {
    it(`legacyCrypt() matches the pinned AES-256-CTR bytes for ${JSON.stringify(v.text.slice(0, 20))}`, async () => {
      const key = await importLegacyKey(v.password);
      assert.equal(toHex(await legacyCrypt(key, enc.encode(v.text))), v.cipher);
      assert.equal(legacyDecodeText(await legacyCrypt(key, hex(v.cipher))), v.text);
    });
  }

  it("legacyKeyBytes() pads with '0' and cuts at 32 characters, and refuses non-ASCII", () => {
    assert.equal(new TextDecoder().decode(legacyKeyBytes("abc")), "abc" + "0".repeat(29));
    assert.equal(new TextDecoder().decode(legacyKeyBytes("q".repeat(33))), "q".repeat(32));
    assert.throws(() => legacyKeyBytes("café"), RangeError);
    assert.throws(() => legacyKeyBytes(""), RangeError);
  });

  it("legacyCrypt() without a password is plain UTF-8", async () => {
    const b = enc.encode("magic1.5");
    assert.equal(await legacyCrypt(undefined, b), b);
  });

  it("request times print as Python's str(float)", () => {
    assert.equal(pyNumber(1700000000, true), "1700000000.0");
    assert.equal(pyNumber(1700000000.5, true), "1700000000.5");
    assert.equal(pyNumber(1700000000.1234567, true), "1700000000.1234567");
    assert.equal(encodeLegacyRequest("fna349fn", 1700000000123), "fna349fn1700000000.123");
  });

  it("answers format services as Python's json.dumps", () => {
    // Expected text printed by Python 3: json.dumps({"web": "http://10.0.0.5/", "café": "1", "n": 1.5})
    assert.equal(pyJsonDumps({ web: "http://10.0.0.5/", "café": "1", n: 1.5 }), '{"web": "http://10.0.0.5/", "caf\\u00e9": "1", "n": 1.5}');
    assert.equal(pyJsonDumps({ a: [1, true, null], b: {} }), '{"a": [1, true, null], "b": {}}');
    assert.equal(encodeLegacyAnswer("m", { x: "1" }), 'm#OK#{"x": "1"}');
    assert.equal(encodeLegacyAnswer("m", { at: new Date(0) }), 'm#OK#{"at": "1970-01-01T00:00:00.000Z"}', "TOML dates as their JSON text");
  });

  it("parseLegacyRequest() accepts Python float text and tells foreign and bad times apart", () => {
    assert.deepEqual(parseLegacyRequest("magic1700000000.5", "magic"), { kind: "ok", timeMs: 1700000000500 });
    assert.deepEqual(parseLegacyRequest("magic 17e8 ", "magic"), { kind: "ok", timeMs: 1.7e12 });
    assert.deepEqual(parseLegacyRequest("other1700000000.5", "magic"), { kind: "foreign" });
    assert.deepEqual(parseLegacyRequest("magicabc", "magic"), { kind: "bad-time" });
    assert.deepEqual(parseLegacyRequest("magic", "magic"), { kind: "bad-time" });
  });

  it("parseLegacyAnswer() reads #OK# JSON and #ERROR# text, and rejects the rest", () => {
    assert.deepEqual(parseLegacyAnswer('m#OK#{"a": "b"}', "m"), { kind: "ok", services: { a: "b" } });
    assert.deepEqual(parseLegacyAnswer("m#ERROR#Timestamp is too old", "m"), { kind: "error", message: "Timestamp is too old" });
    for (const bad of ["x#OK#{}", "m#OK#[1]", "m#OK#{", "m#NO#"]) {
      assert.throws(() => parseLegacyAnswer(bad, "m"), (e) => e instanceof ProtocolError && e.reason === "legacy", bad);
    }
  });
});
