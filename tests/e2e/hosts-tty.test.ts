import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeRichBeacon, encodeUnsealedEnvelope } from "../../lib/beacon/index.ts";
import { deriveChannelId } from "../../lib/crypto/index.ts";
import { openUdp } from "../../lib/net/index.ts";
import { ensureBuilt, freeUdpPort, spawn } from "../_bin.ts";
import { LineReader } from "../_lines.ts";

// Names and services from the LAN must never reach a terminal raw (issue 9 #6): an OSC 52 sequence would
// write the viewer's clipboard, ESC [2J would wipe the screen.
const OSC52 = "x\x1b]52;c;aGk=\x07";
const OSC52_SHOWN = "x\\x1b]52;c;aGk=\\x07";

let disco = "";
const dir = mkdtempSync(join(tmpdir(), "disco-tty-"));
const enc = new TextEncoder();

async function sendHostile(port: number): Promise<void> {
  await using s = await openUdp({ address: "127.0.0.1" });
  // First a disco.py beacon whose name carries ESC: dropped as bad-name. Then an unsealed rich beacon with a
  // valid name and a service key carrying OSC 52: shown, escaped. Loopback keeps the order.
  await s.send(enc.encode("HOST bad\x1b[2J 1700000000"), port, "127.0.0.1");
  const payload = encodeRichBeacon({ host: "evil", boot: "0123456789abcdef", seq: 1, intervalMs: 60_000, addresses: [], services: { [OSC52]: 1 } });
  await s.send(encodeUnsealedEnvelope(await deriveChannelId("disco"), payload), port, "127.0.0.1");
}

describe("disco hosts on a terminal (compiled binary in a pty, loopback)", () => {
  before(() => {
    disco = ensureBuilt();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("--watch draws a hostile service name escaped, and drops a name with ESC", { timeout: 60_000 }, async () => {
    const port = await freeUdpPort();
    const cfg = join(dir, "empty.toml");
    writeFileSync(cfg, "");
    // script(1) from util-linux gives the command a pty, as a person's terminal would.
    await using tty = spawn(["script", "-q", "-e", "-c", `${disco} hosts --listen --watch --stats --debug -c ${cfg} --port ${port}`, "/dev/null"]);
    const out = new LineReader(tty.proc.stdout);
    // --debug says when the socket is bound (the view's own status line is drawn before that).
    await out.waitText((t) => t.includes(`listening on UDP ${port}\r\n`) || t.includes(`listening on UDP ${port}\n`), { timeoutMs: 10_000, what: "the socket bound" });
    await sendHostile(port);
    await out.waitText((t) => t.includes("evil") && t.includes("bad-name=1"), { timeoutMs: 10_000, what: "the evil row and the dropped bad name" });
    assert.ok(out.text.includes(OSC52_SHOWN), "the service is shown with visible escapes");
    assert.ok(!out.text.includes("\x1b]52"), "no OSC 52 sequence reached the terminal");
    assert.ok(!out.text.includes("\x1b[2J1") && !out.text.includes("bad\x1b"), "the ESC name was not drawn");
    tty.proc.kill("SIGTERM");
    await tty.proc.exited;
  });

  it("the one-shot table escapes it too", { timeout: 60_000 }, async () => {
    const port = await freeUdpPort();
    const cfg = join(dir, "empty.toml");
    writeFileSync(cfg, "");
    await using once = spawn([disco, "hosts", "--listen", "-c", cfg, "--port", String(port), "--timeout", "3", "--debug"]);
    const err = new LineReader(once.proc.stderr);
    const out = new LineReader(once.proc.stdout);
    await err.nextLine((l) => l.startsWith("listening"), { timeoutMs: 10_000, what: "the listener" });
    await sendHostile(port);
    assert.equal(await once.proc.exited, 0);
    const row = await out.nextLine((l) => l.startsWith("evil"), { timeoutMs: 5000, what: "the evil row" });
    assert.ok(row.endsWith(OSC52_SHOWN), row);
    assert.ok(!out.text.includes("\x1b"), "no ESC at all in the table");
    assert.ok(err.text.includes(": bad-name ("), `the ESC name was dropped as bad-name: ${err.text}`);
    assert.ok(!err.text.includes("\x1b"), "nor in the --debug lines");
  });
});
