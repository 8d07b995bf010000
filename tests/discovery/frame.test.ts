import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createKeyring, deriveChannelId } from "../../lib/crypto/index.ts";
import {
  decodeDatagram,
  decodeFrame,
  decodeHeader,
  decodeQuery,
  encodeFrame,
  encodeQuery,
  FrameError,
  openFrame,
  sealFrame,
} from "../../lib/discovery/index.ts";
import { toHex } from "../../lib/bytes.ts";

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!, (h) => parseInt(h, 16));

// Pinned with an independent implementation (Python `cryptography`: HKDF-SHA-256, AES-GCM), see PROTOCOL.md.
const RAW_KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const NONCE = hex("a0a1a2a3a4a5a6a7a8a9aaab");
const QUERY_ID = hex("101112131415161718191a1b1c1d1e1f");
const TIME_MS = 1700000000123;

/** A byte fixture written as [hex, what the bytes are] rows. */
const fixture = (rows: [string, string][]) => hex(rows.map(([h]) => h).join(""));

const SEALED_QUERY = fixture([
  ["d15c", "marker"],
  ["01", "version 1"],
  ["01", "type: query"],
  ["01", "flags: sealed"],
  ["00", "reserved"],
  ["b6c05c01", "channel id = SHA-256('disco/1 channel\\0' || 'shed')[0..4]"],
  ["54322f51", "key id = HKDF-SHA-256(raw key, salt 'disco/1 hkdf', info 'disco/1 key-id')[0..4]"],
  ["a0a1a2a3a4a5a6a7a8a9aaab", "nonce"],
  ["0028", "body length 40 = 24-byte payload + 16-byte tag"],
  ["a8b2fa50af1663e074cf3fed14d49b94a0d1f40a4e07cf02", "AES-256-GCM(query id || time ms), AAD = the 28 header bytes"],
  ["09276a60bc0e86695bd5aeba31fb8526", "GCM tag"],
]);

const UNSEALED_QUERY = fixture([
  ["d15c", "marker"],
  ["01", "version 1"],
  ["01", "type: query"],
  ["00", "flags: unsealed"],
  ["00", "reserved"],
  ["b6c05c01", "channel id ('shed')"],
  ["00000000", "key id: zero when unsealed"],
  ["a0a1a2a3a4a5a6a7a8a9aaab", "nonce (names the frame for error replies)"],
  ["0018", "body length 24"],
  ["101112131415161718191a1b1c1d1e1f", "query id"],
  ["0000018bcfe5687b", "time ms 1700000000123, big-endian"],
]);

describe("frame codec golden bytes", () => {
  it("sealFrame() produces the pinned sealed query and openFrame() recovers it", async () => {
    const ring = await createKeyring([RAW_KEY], "discovery");
    const channelId = await deriveChannelId("shed");
    assert.equal(toHex(channelId), "b6c05c01");
    const frame = await sealFrame("query", channelId, encodeQuery({ id: QUERY_ID, timeMs: TIME_MS }), { key: ring.keys[0]!, nonce: NONCE });
    assert.equal(toHex(frame), toHex(SEALED_QUERY));
    const d = decodeDatagram(SEALED_QUERY);
    assert.equal(d.kind, "ok");
    if (d.kind !== "ok") return;
    assert.equal(d.value.header.type, "query");
    assert.equal(d.value.header.sealed, true);
    assert.equal(toHex(d.value.header.keyId), "54322f51");
    assert.equal(d.value.header.bodyLength, 40);
    const q = decodeQuery((await openFrame(d.value, ring)).payload);
    assert.equal(toHex(q.id), toHex(QUERY_ID));
    assert.equal(q.timeMs, TIME_MS);
  });

  it("encodeFrame() produces the pinned unsealed query and decodeFrame() round-trips it", () => {
    const bytes = encodeFrame({ type: "query", sealed: false, channelId: hex("b6c05c01"), nonce: NONCE }, encodeQuery({ id: QUERY_ID, timeMs: TIME_MS }));
    assert.equal(toHex(bytes), toHex(UNSEALED_QUERY));
    const d = decodeFrame(bytes, 0);
    assert.equal(d.kind, "ok");
    if (d.kind !== "ok") return;
    assert.equal(d.next, bytes.length);
    assert.equal(d.value.header.sealed, false);
    assert.equal(decodeQuery(d.value.body).timeMs, TIME_MS);
  });

  it("decodeFrame() asks for more bytes at every split point, then decodes at an offset", () => {
    for (let cut = 0; cut < SEALED_QUERY.length; cut++) {
      const d = decodeFrame(SEALED_QUERY.subarray(0, cut), 0);
      assert.equal(d.kind, "need-more", `cut at ${cut}`);
      if (d.kind === "need-more") assert.ok(d.needBytes >= 1 && d.needBytes <= SEALED_QUERY.length - cut + 28);
    }
    const padded = new Uint8Array(5 + SEALED_QUERY.length);
    padded.set(SEALED_QUERY, 5);
    const d = decodeFrame(padded, 5);
    assert.equal(d.kind, "ok");
    if (d.kind === "ok") assert.equal(d.next, padded.length);
  });

  it("decodeFrame() returns views into the input, never copies", () => {
    const d = decodeFrame(SEALED_QUERY, 0);
    assert.equal(d.kind, "ok");
    if (d.kind !== "ok") return;
    assert.equal(d.value.body.buffer, SEALED_QUERY.buffer);
    assert.equal(d.value.header.nonce.buffer, SEALED_QUERY.buffer);
  });
});

describe("decodeHeader() / decodeDatagram() malformed inputs", () => {
  const mutate = (at: number, value: number) => {
    const b = SEALED_QUERY.slice();
    b[at] = value;
    return b;
  };
  const table: [string, Uint8Array, number][] = [
    ["bad first marker byte", mutate(0, 0x7b), 0],
    ["bad second marker byte", mutate(1, 0x00), 1],
    ["unknown version", mutate(2, 0x02), 2],
    ["unknown type", mutate(3, 0x09), 3],
    ["unknown flag bit", mutate(4, 0x03), 4],
    ["reserved byte set", mutate(5, 0x01), 5],
    ["unsealed with a key id", (() => { const b = UNSEALED_QUERY.slice(); b[12] = 1; return b; })(), 10],
    ["sealed body shorter than the tag", (() => { const b = SEALED_QUERY.slice(0, 28 + 8); b[26] = 0; b[27] = 8; return b; })(), 26],
    ["truncated", SEALED_QUERY.subarray(0, 40), 40],
    ["trailing bytes", Uint8Array.from([...SEALED_QUERY, 0]), SEALED_QUERY.length],
    ["body length 0xffff", (() => { const b = SEALED_QUERY.slice(); b[26] = 0xff; b[27] = 0xff; return b; })(), 26],
  ];
  for (const [name, bytes, offset] of table) {
    it(`decodeDatagram() rejects ${name} with a FrameError at offset ${offset}`, () => {
      const d = decodeDatagram(bytes);
      assert.equal(d.kind, "error");
      if (d.kind !== "error") return;
      assert.ok(d.error instanceof FrameError);
      assert.equal(d.error.offset, offset);
    });
  }
  it("decodeHeader() fails on the first byte of a PyDiscover text request", () => {
    const d = decodeHeader(new TextEncoder().encode("fna349fn1700000000.5"), 0);
    assert.equal(d.kind, "error");
  });
  it("decodeDatagram() rejects a datagram above the UDP maximum", () => {
    assert.equal(decodeDatagram(new Uint8Array(70_000)).kind, "error");
  });
});
