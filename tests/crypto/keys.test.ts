import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeKey,
  deriveChannelId,
  deriveKeyFromPassword,
  encodeKey,
  generateKey,
  hkdfSha256,
  KeyError,
  pbkdf2Sha256,
} from "../../lib/crypto/index.ts";

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const utf8 = (s: string) => new TextEncoder().encode(s);

describe("pbkdf2Sha256()", () => {
  // RFC 7914 section 11: PBKDF2-HMAC-SHA256 test vectors.
  it("matches RFC 7914 vector 1 (P=passwd, S=salt, c=1, dkLen=64)", async () => {
    const dk = await pbkdf2Sha256(utf8("passwd"), utf8("salt"), 1, 64);
    assert.equal(toHex(dk), "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783");
  });
  it("matches RFC 7914 vector 2 (P=Password, S=NaCl, c=80000, dkLen=64)", async () => {
    const dk = await pbkdf2Sha256(utf8("Password"), utf8("NaCl"), 80000, 64);
    assert.equal(toHex(dk), "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d");
  });
});

describe("hkdfSha256()", () => {
  it("matches RFC 5869 test case 1", async () => {
    const okm = await hkdfSha256(new Uint8Array(22).fill(0x0b), hex("000102030405060708090a0b0c"), hex("f0f1f2f3f4f5f6f7f8f9"), 42);
    assert.equal(toHex(okm), "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  });
});

describe("deriveKeyFromPassword()", () => {
  it("binds the key to the channel: same password, other magic, other key", async () => {
    const a = await deriveKeyFromPassword("x", "magic", { iterations: 1000 });
    const b = await deriveKeyFromPassword("x", "magic2", { iterations: 1000 });
    const c = await deriveKeyFromPassword("x", "magic", { iterations: 1000 });
    assert.equal(a.length, 32);
    assert.notEqual(toHex(a), toHex(b));
    assert.equal(toHex(a), toHex(c));
  });
  it("uses 600,000 iterations by default (same as an explicit 600000)", async () => {
    const dflt = await deriveKeyFromPassword("pw", "m");
    const explicit = await deriveKeyFromPassword("pw", "m", { iterations: 600_000 });
    const fewer = await deriveKeyFromPassword("pw", "m", { iterations: 599_999 });
    assert.equal(toHex(dflt), toHex(explicit));
    assert.notEqual(toHex(dflt), toHex(fewer));
  });
  it("rejects zero iterations", async () => {
    await assert.rejects(deriveKeyFromPassword("pw", "m", { iterations: 0 }), RangeError);
  });
});

describe("deriveChannelId()", () => {
  it("is 4 bytes, stable, and differs between channels", async () => {
    const a = await deriveChannelId("magic");
    assert.equal(a.length, 4);
    assert.equal(toHex(a), toHex(await deriveChannelId("magic")));
    assert.notEqual(toHex(a), toHex(await deriveChannelId("magiC")));
  });
  it("golden: SHA-256('disco/1 channel\\0magic')[0..4]", async () => {
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", utf8("disco/1 channel\0magic")));
    assert.equal(toHex(await deriveChannelId("magic")), toHex(digest.slice(0, 4)));
  });
});

describe("decodeKey() / encodeKey()", () => {
  it("round-trips any 32-byte key through base64", () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (k) => {
      assert.deepEqual(decodeKey(encodeKey(k)), k);
    }), { numRuns: 500 });
  });
  it("accepts 64 hex digits and URL-safe base64", () => {
    const k = generateKey();
    assert.deepEqual(decodeKey(toHex(k)), k);
    assert.deepEqual(decodeKey(encodeKey(k).replace(/\+/g, "-").replace(/\//g, "_").replace(/=$/, "")), k);
  });
  it("rejects short, long and non-key text with KeyError", () => {
    for (const bad of ["", "abc", "a".repeat(63), "a".repeat(65), `${encodeKey(generateKey())}AA`, "!".repeat(44)]) {
      assert.throws(() => decodeKey(bad), KeyError, bad);
    }
  });
  it("encodeKey() refuses a key that is not 32 bytes", () => {
    assert.throws(() => encodeKey(new Uint8Array(31)), KeyError);
  });
  it("generateKey() gives distinct keys", () => {
    assert.notEqual(toHex(generateKey()), toHex(generateKey()));
  });
});
