import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { encodeCommand, encodeFrame, encodeGreeting, encodeMessage, FrameError, ProtocolError, ZmtpDecoder, type DecoderEvent } from "../../lib/zmtp/index.ts";
import { assertDiscoErrorOnly } from "./_fuzz.ts";

const te = new TextEncoder();

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => [...p]));
}

// A whole conversation as a libzmq PUB peer would send it: greeting, READY, one multipart message,
// a PING, one long single-frame message.
const STREAM = concat(
  encodeGreeting(),
  encodeFrame(encodeCommand({ type: "READY", metadata: [["Socket-Type", te.encode("PUB")]] }), { command: true }),
  encodeMessage([te.encode("metric"), te.encode("shed")]),
  encodeFrame(encodeCommand({ type: "PING", ttlDs: 0, context: te.encode("c") }), { command: true }),
  encodeMessage([new Uint8Array(1000).fill(7)]),
);

function summary(events: DecoderEvent[]): string[] {
  return events.map((e) =>
    e.type === "greeting" ? `greeting ${e.greeting.major}.${e.greeting.minor}` : e.type === "command" ? `command ${e.command.type}` : `message ${e.parts.map((p) => p.length).join("+")}`,
  );
}

const EXPECTED = ["greeting 3.1", "command READY", "message 6+4", "command PING", "message 1000"];

describe("ZmtpDecoder", () => {
  it("feed() decodes a whole conversation in one chunk", () => {
    assert.deepEqual(summary(new ZmtpDecoder().feed(STREAM)), EXPECTED);
  });

  it("feed() gives the same events fed byte by byte", () => {
    const d = new ZmtpDecoder();
    const events: DecoderEvent[] = [];
    for (const b of STREAM) events.push(...d.feed(Uint8Array.of(b)));
    assert.deepEqual(summary(events), EXPECTED);
    assert.equal(d.bufferedBytes, 0);
  });

  it("feed() gives the same events split at every offset", () => {
    for (let i = 0; i <= STREAM.length; i++) {
      const d = new ZmtpDecoder();
      const events = [...d.feed(STREAM.slice(0, i)), ...d.feed(STREAM.slice(i))];
      assert.deepEqual(summary(events), EXPECTED, `split at ${i}`);
    }
  });

  it("feed() keeps message bodies intact when the chunk's memory is reused", () => {
    const d = new ZmtpDecoder({ greeting: false });
    const chunk = new Uint8Array(encodeMessage([te.encode("abc")]));
    const [ev] = d.feed(chunk);
    chunk.fill(0);
    assert.ok(ev?.type === "message");
    assert.deepEqual(ev.parts[0], te.encode("abc"));
  });

  it("feed() refuses a message over maxMessageBytes counting all its frames", () => {
    const d = new ZmtpDecoder({ greeting: false, maxMessageBytes: 10 });
    assert.deepEqual(summary(d.feed(encodeMessage([new Uint8Array(10)]))), ["message 10"]);
    assert.throws(() => new ZmtpDecoder({ greeting: false, maxMessageBytes: 10 }).feed(encodeMessage([new Uint8Array(6), new Uint8Array(6)])), ProtocolError);
  });

  it("feed() refuses a message with too many frames", () => {
    const d = new ZmtpDecoder({ greeting: false, maxParts: 3 });
    assert.throws(() => d.feed(encodeMessage([new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)])), ProtocolError);
  });

  it("feed() refuses a command inside a multipart message, with the stream offset", () => {
    const input = concat(encodeFrame(te.encode("a"), { more: true }), encodeFrame(encodeCommand({ type: "PONG", context: new Uint8Array(0) }), { command: true }));
    assert.throws(
      () => new ZmtpDecoder({ greeting: false }).feed(input),
      (e: unknown) => e instanceof FrameError && e.offset === 3,
    );
  });

  it("feed() reports offsets counted from the connection's first byte", () => {
    const d = new ZmtpDecoder();
    d.feed(encodeGreeting());
    assert.throws(
      () => d.feed(Uint8Array.of(0, 0, 0xf0)),
      (e: unknown) => e instanceof FrameError && e.offset === 66,
    );
  });

  it("feed() yields events or a DiscoError for arbitrary bytes after a valid greeting, in any chunking", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 20 }), (junk, cuts) => {
        const d = new ZmtpDecoder({ maxMessageBytes: 200 });
        const input = concat(encodeGreeting(), junk);
        let o = 0;
        assertDiscoErrorOnly(() => {
          for (const c of [...cuts, input.length]) {
            d.feed(input.subarray(o, Math.min(input.length, o + c)));
            o = Math.min(input.length, o + c);
          }
        });
        assert.ok(d.bufferedBytes <= input.length);
      }),
      { numRuns: 3000 },
    );
  });

  it("feed() round-trips arbitrary multipart messages", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 4 }), { maxLength: 6 }), (messages) => {
        const d = new ZmtpDecoder({ greeting: false });
        const events = d.feed(concat(...messages.map((m) => encodeMessage(m))));
        assert.deepEqual(
          events.map((e) => (e.type === "message" ? e.parts : [])),
          messages,
        );
      }),
    );
  });

  it("feed() assembles a 1 MiB frame dripped in 100-byte chunks, holding only what arrived", () => {
    const body = new Uint8Array(1 << 20);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) & 0xff;
    const input = encodeMessage([body]);
    const d = new ZmtpDecoder({ greeting: false });
    const events: DecoderEvent[] = [];
    for (let o = 0; o < input.length; o += 100) {
      events.push(...d.feed(input.subarray(o, Math.min(input.length, o + 100))));
      if (o + 100 < input.length) assert.equal(d.bufferedBytes, Math.min(input.length, o + 100) - 9);
    }
    assert.equal(events.length, 1);
    assert.ok(events[0]?.type === "message");
    assert.deepEqual(events[0].parts[0], body);
    assert.equal(d.bufferedBytes, 0);
  });

  it("feed() keeps a dripped body intact when each chunk's memory is reused", () => {
    const input = encodeMessage([te.encode("x".repeat(1000))]);
    const d = new ZmtpDecoder({ greeting: false });
    const scratch = new Uint8Array(7);
    const events: DecoderEvent[] = [];
    for (let o = 0; o < input.length; o += 7) {
      const n = Math.min(7, input.length - o);
      scratch.set(input.subarray(o, o + n));
      events.push(...d.feed(scratch.subarray(0, n)));
      scratch.fill(0);
    }
    assert.ok(events[0]?.type === "message");
    assert.deepEqual(events[0].parts[0], te.encode("x".repeat(1000)));
  });
});
