import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createKeyring,
  generateKey,
  importAeadKey,
  KeyError,
  openAesGcmSync,
  openWithKeyringSync,
  OpenError,
  randomNonce,
  sealAesGcmSync,
  sealingKey,
} from "../../lib/crypto/index.ts";

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));
const toHex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("sealAesGcmSync() / openAesGcmSync()", () => {
  // The GCM specification (McGrew & Viega), test case 16: AES-256, 96-bit IV, with additional data.
  const K = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const IV = hex("cafebabefacedbaddecaf888");
  const P = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  const A = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const C = "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662";
  const T = "76fc6ece0f4e1768cddf8853bb2d551b";

  it("matches GCM spec test case 16", () => {
    const key = importAeadKey(K);
    const sealed = sealAesGcmSync(key, IV, A, P);
    assert.equal(toHex(sealed), C + T);
    assert.deepEqual(openAesGcmSync(key, IV, A, sealed), P);
  });

  it("rejects altered ciphertext, tag or additional data with OpenError('auth')", () => {
    const key = importAeadKey(K);
    const sealed = sealAesGcmSync(key, IV, A, P);
    for (const i of [0, 30, sealed.length - 1]) {
      const bad = sealed.slice();
      bad[i]! ^= 1;
      assert.throws(() => openAesGcmSync(key, IV, A, bad), (e: unknown) => e instanceof OpenError && e.reason === "auth");
    }
    const badA = A.slice();
    badA[0]! ^= 0x80;
    assert.throws(() => openAesGcmSync(key, IV, badA, sealed), OpenError);
    assert.throws(() => openAesGcmSync(key, IV, A, sealed.subarray(0, 15)), (e: unknown) => e instanceof OpenError && e.reason === "auth");
  });
});

describe("createKeyring()", () => {
  it("seals with the first key and opens with any key of a ring that holds it", async () => {
    const k1 = generateKey();
    const k2 = generateKey();
    const sender = await createKeyring([k1], "discovery");
    const rotated = await createKeyring([k2, k1], "discovery");
    const nonce = randomNonce();
    const aad = new Uint8Array([1, 2, 3]);
    const key = sealingKey(sender);
    const sealed = sealAesGcmSync(key.aead, nonce, aad, new TextEncoder().encode("hi"));
    const opened = openWithKeyringSync(rotated, key.id, nonce, aad, sealed);
    assert.equal(new TextDecoder().decode(opened), "hi");
    assert.notEqual(toHex(sealingKey(rotated).id), toHex(key.id));
  });

  it("reports an unknown key id as OpenError('unknown-key')", async () => {
    const ring = await createKeyring([generateKey()], "discovery");
    const other = await createKeyring([generateKey()], "discovery");
    const nonce = randomNonce();
    const sealed = sealAesGcmSync(sealingKey(other).aead, nonce, new Uint8Array(0), new Uint8Array(4));
    assert.throws(() => openWithKeyringSync(ring, sealingKey(other).id, nonce, new Uint8Array(0), sealed), (e: unknown) => e instanceof OpenError && e.reason === "unknown-key");
  });

  it("separates purposes: a beacon key does not open discovery frames", async () => {
    const raw = generateKey();
    const discovery = await createKeyring([raw], "discovery");
    const beacon = await createKeyring([raw], "beacon");
    assert.equal(toHex(sealingKey(discovery).id), toHex(sealingKey(beacon).id));
    const nonce = randomNonce();
    const sealed = sealAesGcmSync(sealingKey(beacon).aead, nonce, new Uint8Array(0), new Uint8Array(8));
    assert.throws(() => openWithKeyringSync(discovery, sealingKey(beacon).id, nonce, new Uint8Array(0), sealed), (e: unknown) => e instanceof OpenError && e.reason === "auth");
  });

  it("refuses an empty ring and keys that are not 32 bytes", async () => {
    await assert.rejects(createKeyring([], "x"), KeyError);
    await assert.rejects(createKeyring([new Uint8Array(16)], "x"), KeyError);
  });

  it("randomNonce() is 12 bytes and fresh", () => {
    const a = randomNonce();
    assert.equal(a.length, 12);
    assert.notEqual(toHex(a), toHex(randomNonce()));
  });
});
