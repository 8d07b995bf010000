/**
 * `disco query` in-process on loopback against hostile targets: the host name, the message and the
 * command's output of a sealed answer reach the terminal escaped (the output keeping its lines), and the
 * `--json` document is terminal-safe.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { command } from "../../lib/cli/query.ts";
import { CONTROL_PURPOSE, ControlServer, runControlServer, type Outcome, type RemoteQueries } from "../../lib/control/index.ts";
import { createKeyring, deriveChannelId, encodeKey, generateKey } from "../../lib/crypto/index.ts";
import { openUdp } from "../../lib/net/index.ts";
import { captureIo, RAW_CONTROL } from "./_io.ts";

const dir = mkdtempSync(join(tmpdir(), "disco-cli-query-"));
const KEY = generateKey();
const KEY_FILE = join(dir, "key");
writeFileSync(KEY_FILE, `${encodeKey(KEY)}\n`);
const CONFIG = join(dir, "client.toml");
writeFileSync(CONFIG, "");

const OSC = "\x1b]52;c;aGVsbG8=\x07";

/** Queries that answer `outcome` whatever is asked. */
const answering = (outcome: Outcome): RemoteQueries => ({ check: () => undefined, run: async () => outcome });

/** A control target on 127.0.0.1:0 named `host`; stopped at the end of the scope. */
async function target(host: string, outcome: Outcome) {
  const server = new ControlServer({ channelId: await deriveChannelId("q"), keyring: await createKeyring([KEY], CONTROL_PURPOSE), queries: answering(outcome), host });
  const socket = await openUdp({ address: "127.0.0.1", port: 0 });
  const ac = new AbortController();
  const running = runControlServer(socket, server, { signal: ac.signal });
  return {
    port: socket.port,
    async [Symbol.asyncDispose]() {
      ac.abort();
      await running;
    },
  };
}

async function query(port: number, ...args: string[]) {
  const c = captureIo();
  const code = await command.run(["x", "-c", CONFIG, "--host", `127.0.0.1:${port}`, "-m", "q", "--key-file", KEY_FILE, "-t", "2", ...args], c.io, new AbortController().signal);
  return { code, out: c.out, err: c.err };
}

describe("disco query and a hostile target (loopback)", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints the host, the output and the message escaped; the output keeps its lines and tabs", { timeout: 20_000 }, async () => {
    await using t = await target(`evil${OSC}`, {
      status: "ok",
      body: { exitCode: 0, output: `up 3 days\nload\t0.1\n${OSC}\x1b[2J\u202eoverwritten\rfake\n`, truncated: false, outputBytes: 40, message: `done\x1b[H\x9b` },
    });
    const r = await query(t.port);
    assert.equal(r.code, 0, r.err);
    assert.ok(!RAW_CONTROL.test(r.out), JSON.stringify(r.out));
    const lines = r.out.split("\n");
    assert.match(lines[0]!, /^== evil\\x1b\]52;c;aGVsbG8=\\x07 \(127\.0\.0\.1\) exit 0, [\d.]+ ms$/);
    assert.deepEqual(lines.slice(1), ["up 3 days", "load\t0.1", "\\x1b]52;c;aGVsbG8=\\x07\\x1b[2J\\u202eoverwritten\\x0dfake", "[done\\x1b[H\\x9b]", ""]);
  });

  it("--json is terminal-safe and parses back to the answer", { timeout: 20_000 }, async () => {
    await using t = await target("pi-1", { status: "ok", body: { exitCode: 0, output: `a\u202eb\x9bc\n`, truncated: false, outputBytes: 6 } });
    const r = await query(t.port, "--json");
    assert.equal(r.code, 0, r.err);
    assert.ok(!RAW_CONTROL.test(r.out), JSON.stringify(r.out));
    const doc = JSON.parse(r.out) as { answers: { output: string }[] };
    assert.equal(doc.answers[0]?.output, `a\u202eb\x9bc\n`);
  });

  it("a refusal's host and message are escaped", { timeout: 20_000 }, async () => {
    await using t = await target(`evil\u202e`, { status: "failed", body: { message: `cannot start${OSC}` } });
    const r = await query(t.port);
    assert.equal(r.code, 1);
    assert.ok(!RAW_CONTROL.test(r.err), JSON.stringify(r.err));
    assert.match(r.err, /evil\\u202e \(127\.0\.0\.1:\d+\) refused: cannot start\\x1b\]52;c;aGVsbG8=\\x07 \[failed\]/);
  });
});
