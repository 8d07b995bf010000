/**
 * `disco metrics --proxy -v` and `--receive -v` in-process on loopback: what a ZMTP peer sends in its
 * handshake (an ERROR reason, a READY Socket-Type, an unknown command's name) reaches the log escaped.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { command, describeEvent } from "../../lib/cli/metrics.ts";
import { encodeCommand, encodeFrame, encodeGreeting, ProtocolError } from "../../lib/zmtp/index.ts";
import { RawClient, commandFrame, joinFrames } from "../zmtp/_raw.ts";
import { captureIo, RAW_CONTROL } from "./_io.ts";

const dir = mkdtempSync(join(tmpdir(), "disco-cli-metrics-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const CONFIG = join(dir, "empty.toml");
writeFileSync(CONFIG, "");

const te = new TextEncoder();
const OSC = "\x1b]52;c;aGVsbG8=\x07";

/** A command frame with any name (an unknown command's name is the peer's bytes, one character each). */
function namedCommand(name: string): Uint8Array {
  const n = Uint8Array.from(name, (ch) => ch.charCodeAt(0));
  return encodeFrame(Uint8Array.of(n.length, ...n), { command: true });
}

/** Three hostile handshakes: a READY with a Socket-Type of escapes, an ERROR, an unknown command. */
const HOSTILE = [
  joinFrames([encodeGreeting(), commandFrame({ type: "READY", metadata: [["Socket-Type", te.encode(`SUB${OSC}`)]] })]),
  joinFrames([encodeGreeting(), encodeFrame(encodeCommand({ type: "ERROR", reason: `go away\x1b[2J\u202e` }), { command: true })]),
  joinFrames([encodeGreeting(), namedCommand("\x1b[2J\x9b")]),
];

describe("describeEvent()", () => {
  it("escapes what a peer put in an error", () => {
    const line = describeEvent({ type: "rejected", endpoint: "tcp://127.0.0.1:9000", remote: "127.0.0.1:5000", reason: "peer-error", error: new ProtocolError(`peer error: ${OSC}\u202e`, "peer-error") });
    assert.equal(line, "rejected 127.0.0.1:5000 on tcp://127.0.0.1:9000: peer-error: peer error: \\x1b]52;c;aGVsbG8=\\x07\\u202e");
  });
});

describe("disco metrics -v and hostile ZMTP peers (loopback)", () => {
  it("--proxy -v logs the backend's rejected peers escaped", { timeout: 20_000 }, async () => {
    const c = captureIo();
    const ac = new AbortController();
    const run = command.run(["--proxy", "--frontend", `ipc://${dir}/front`, "--backend", "tcp://127.0.0.1:0", "-v", "-c", CONFIG], c.io, ac.signal);
    try {
      const backend = await c.until(() => /backend (tcp:\/\/127\.0\.0\.1:\d+)/.exec(c.err)?.[1], "the proxy's backend");
      for (const bytes of HOSTILE) {
        await using peer = await RawClient.open(backend);
        peer.write(bytes);
        await peer.until(() => peer.ended);
      }
      await c.until(() => (c.err.match(/rejected /g)?.length ?? 0) >= 3, "three rejected peers in the log");
    } finally {
      ac.abort();
      assert.equal(await run, 0, c.err);
    }
    assert.ok(!RAW_CONTROL.test(c.err), JSON.stringify(c.err));
    assert.ok(c.err.includes("SUB\\x1b]52;c;aGVsbG8=\\x07"), c.err);
    assert.ok(c.err.includes("go away\\x1b[2J\\u202e"), c.err);
    assert.ok(c.err.includes("got \\x1b[2J\\x9b"), c.err);
  });

  it("--receive -v logs a backend that refuses the handshake escaped", { timeout: 20_000 }, async () => {
    // A "backend" that answers every receiver with a greeting and an ERROR of escapes, then hangs up.
    const sockets = new Set<Socket>();
    const server = createServer((s) => {
      sockets.add(s);
      s.on("error", () => undefined);
      s.end(HOSTILE[1]!);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as { port: number }).port;
    const c = captureIo();
    const ac = new AbortController();
    const run = command.run(["--receive", "--no-beacons", "--connect", `tcp://127.0.0.1:${port}`, "-v", "-c", CONFIG], c.io, ac.signal);
    try {
      await c.until(() => c.err.includes("go away"), "the refused handshake in the log");
    } finally {
      ac.abort();
      assert.equal(await run, 0, c.err);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
    assert.ok(!RAW_CONTROL.test(c.err), JSON.stringify(c.err));
    assert.ok(c.err.includes("go away\\x1b[2J\\u202e"), c.err);
  });
});
