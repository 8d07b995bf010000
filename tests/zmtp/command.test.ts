import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeCommand,
  decodeSubscription,
  encodeCommand,
  encodeSubscription,
  FrameError,
  metadataText,
  ProtocolError,
  type Command,
} from "../../lib/zmtp/index.ts";
import { ascii, bytes } from "./_hex.ts";
import { assertDiscoErrorOnly } from "./_fuzz.ts";

const te = new TextEncoder();

// Command bodies (RFC 23 / RFC 37); the frame header around them is tested in frame.test.ts.
const READY_SUB = bytes(`
  05 ${ascii("READY")}          # name-size 5, "READY"
  0b ${ascii("Socket-Type")}    # property name-size 11, "Socket-Type"
  00 00 00 03 ${ascii("SUB")}   # value-size 3 (4 bytes BE), "SUB"
`);
const READY_PUB_IDENTITY = bytes(`
  05 ${ascii("READY")}
  0b ${ascii("Socket-Type")} 00 00 00 03 ${ascii("PUB")}
  08 ${ascii("Identity")}    00 00 00 04 ${ascii("shed")}   # Identity "shed"
`);
const ERROR = bytes(`
  05 ${ascii("ERROR")}          # name-size 5, "ERROR"
  13 ${ascii("Invalid socket type")}   # reason-size 19, reason
`);
const PING = bytes(`
  04 ${ascii("PING")}           # name-size 4, "PING"
  00 64                         # ttl 100 deciseconds (10 s), 2 bytes BE
  ${ascii("ctx")}               # context "ctx"
`);
const PONG = bytes(`
  04 ${ascii("PONG")}           # name-size 4, "PONG"
  ${ascii("ctx")}               # the PING's context echoed
`);
const SUBSCRIBE = bytes(`
  09 ${ascii("SUBSCRIBE")}      # name-size 9, "SUBSCRIBE" (ZMTP 3.1)
  ${ascii("metric")}            # topic "metric" (rest of the frame)
`);
const CANCEL = bytes(`
  06 ${ascii("CANCEL")}         # name-size 6, "CANCEL" (ZMTP 3.1)
  ${ascii("metric")}            # topic
`);

const golden: [string, Uint8Array, Command][] = [
  ["READY (Socket-Type)", READY_SUB, { type: "READY", metadata: [["Socket-Type", te.encode("SUB")]] }],
  ["READY (Socket-Type, Identity)", READY_PUB_IDENTITY, { type: "READY", metadata: [["Socket-Type", te.encode("PUB")], ["Identity", te.encode("shed")]] }],
  ["ERROR", ERROR, { type: "ERROR", reason: "Invalid socket type" }],
  ["PING", PING, { type: "PING", ttlDs: 100, context: te.encode("ctx") }],
  ["PONG", PONG, { type: "PONG", context: te.encode("ctx") }],
  ["SUBSCRIBE", SUBSCRIBE, { type: "SUBSCRIBE", topic: te.encode("metric") }],
  ["CANCEL", CANCEL, { type: "CANCEL", topic: te.encode("metric") }],
];

describe("command", () => {
  for (const [what, wire, value] of golden) {
    it(`encodeCommand()/decodeCommand() ${what} match the golden bytes`, () => {
      assert.deepEqual(encodeCommand(value as Exclude<Command, { type: "UNKNOWN" }>), wire);
      assert.deepEqual(decodeCommand(wire), value);
    });
  }

  it("decodeCommand() returns unknown commands for the caller to ignore", () => {
    const wire = bytes(`05 ${ascii("HELLO")} 01 02`);
    assert.deepEqual(decodeCommand(wire), { type: "UNKNOWN", name: "HELLO", data: Uint8Array.of(1, 2) });
  });

  it("metadataText() finds properties ignoring case", () => {
    const c = decodeCommand(READY_PUB_IDENTITY);
    assert.equal(c.type, "READY");
    if (c.type !== "READY") return;
    assert.equal(metadataText(c.metadata, "socket-type"), "PUB");
    assert.equal(metadataText(c.metadata, "IDENTITY"), "shed");
    assert.equal(metadataText(c.metadata, "Resource"), undefined);
  });

  it("encodeSubscription()/decodeSubscription() use the ZMTP 3.0 message form", () => {
    assert.deepEqual(encodeSubscription(true, te.encode("ab")), bytes("01 6162   # subscribe, topic 'ab'"));
    assert.deepEqual(encodeSubscription(false, te.encode("ab")), bytes("00 6162   # cancel, topic 'ab'"));
    assert.deepEqual(decodeSubscription(bytes("01")), { subscribe: true, topic: new Uint8Array(0) });
    assert.equal(decodeSubscription(bytes("02 61")), undefined);
    assert.equal(decodeSubscription(new Uint8Array(0)), undefined);
  });

  const malformed: [string, Uint8Array, new (...a: never[]) => Error][] = [
    ["an empty body", new Uint8Array(0), FrameError],
    ["a name running past the body", bytes("09 5245"), FrameError],
    ["a zero-length name", bytes("00"), FrameError],
    ["READY with a truncated property", bytes(`05 ${ascii("READY")} 0b ${ascii("Socket")}`), ProtocolError],
    ["READY with a value running past the body", bytes(`05 ${ascii("READY")} 01 ${ascii("a")} 00 00 00 09 41`), ProtocolError],
    ["READY with a bad property name", bytes(`05 ${ascii("READY")} 01 20 00 00 00 00`), ProtocolError],
    ["ERROR with a reason running past the body", bytes(`05 ${ascii("ERROR")} 09 41`), ProtocolError],
    ["PING without a ttl", bytes(`04 ${ascii("PING")} 00`), ProtocolError],
    ["PING with a 17-byte context", bytes(`04 ${ascii("PING")} 00 01 ${"00".repeat(17)}`), ProtocolError],
  ];
  for (const [what, input, cls] of malformed) {
    it(`decodeCommand() rejects ${what}`, () => assert.throws(() => decodeCommand(input), cls));
  }

  it("encodeCommand() refuses values the wire cannot carry", () => {
    assert.throws(() => encodeCommand({ type: "ERROR", reason: "x".repeat(256) }), RangeError);
    assert.throws(() => encodeCommand({ type: "PING", ttlDs: 0, context: new Uint8Array(17) }), RangeError);
    assert.throws(() => encodeCommand({ type: "READY", metadata: [["bad name", new Uint8Array(0)]] }), RangeError);
  });

  it("READY metadata round-trips", () => {
    const name = fc.stringMatching(/^[A-Za-z0-9\-_.+]{1,30}$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(name, fc.uint8Array({ maxLength: 40 })), { maxLength: 5 }), (metadata) => {
        const c: Command = { type: "READY", metadata };
        assert.deepEqual(decodeCommand(encodeCommand(c)), c);
      }),
    );
  });

  it("decodeCommand() yields a command or a DiscoError for arbitrary bytes", () => {
    const names = fc.constantFrom("READY", "ERROR", "PING", "PONG", "SUBSCRIBE", "CANCEL", "X");
    fc.assert(
      fc.property(names, fc.uint8Array({ maxLength: 40 }), fc.boolean(), (name, data, raw) => {
        const input = raw ? data : Uint8Array.from([name.length, ...te.encode(name), ...data]);
        assertDiscoErrorOnly(() => decodeCommand(input));
      }),
      { numRuns: 3000 },
    );
  });
});
