/**
 * `disco hosts --watch` on a real terminal (a pty from `script`, bsdutils) of 80x24, with 40 disco.py hosts
 * made by hand: "HOST <name> <unix seconds>" datagrams sent to its ephemeral port on loopback. Every frame
 * must fit the screen (so nothing scrolls and the header never repeats in the scrollback), show each
 * host's interval, colour the state, and sum up the hosts that do not fit.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { DISCO, ensureBuilt, freeUdpPort, spawn } from "../_bin.ts";
import { LineReader } from "../_lines.ts";

const hasScript = Bun.spawnSync(["script", "--version"], { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
const skip = hasScript ? undefined : "needs script(1) from bsdutils (apt-get install bsdutils) for a pty";

/** What a terminal shows of a frame: no escape sequences, no carriage returns. */
function visible(frame: string): string[] {
  return frame
    .replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "")
    .replace(/\r/g, "")
    .split("\n");
}

describe("disco hosts --watch on an 80x24 terminal with 40 hosts", { skip }, () => {
  before(() => {
    ensureBuilt();
  });

  it("fits the screen, '+N more' for the rest, interval and colour shown", { timeout: 30_000 }, async () => {
    const port = await freeUdpPort();
    // --debug says when the socket is bound, so no datagram is sent before anyone listens.
    const cmd = `stty rows 24 cols 80; exec ${DISCO} hosts --watch --port ${port} --delay 5 --debug`;
    await using pty = spawn(["script", "-q", "-f", "-e", "-c", cmd, "/dev/null"]);
    const out = new LineReader(pty.proc.stdout);
    await out.waitText((t) => /listening on UDP \d+\r?\n/.test(t), { timeoutMs: 10_000, what: "the listener to be bound" });

    // Each host from its own loopback address, as 40 devices would be (the table bounds names per source).
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 40; i++) {
      const socket = createSocket("udp4");
      await new Promise<void>((r) => socket.bind(0, `127.0.0.${i + 2}`, () => r()));
      const datagram = Buffer.from(`HOST h${String(i).padStart(2, "0")} ${now}`);
      await new Promise<void>((r, j) => socket.send(datagram, port, "127.0.0.1", (err) => (err ? j(err) : r())));
      socket.close();
    }

    // The frame after the 40th join: 24 rows = header, 20 hosts, "+20 more", a blank line, the status.
    const last = await out.waitText(
      (t) => {
        const f = t.split("\x1b[H").pop()!;
        return f.includes("+20 more") && f.endsWith("\x1b[J") ? f : undefined;
      },
      { timeoutMs: 10_000, what: "a frame with all 40 hosts counted" },
    );
    const lines = visible(last);
    assert.ok(lines.length <= 24, `${lines.length} lines in a 24-row terminal:\n${lines.join("\n")}`);
    for (const l of lines) assert.ok(l.length <= 80, `a line wider than 80 columns: ${JSON.stringify(l)}`);
    assert.equal(lines.filter((l) => l.startsWith("HOST")).length, 1, "one header");
    assert.match(lines[0]!, /^HOST\s+ADDRESS\s+STATE\s+EVERY\s+VERSION\s+LAST SEEN/);
    assert.equal(lines.length, 24, "the whole screen, and no more");
    assert.equal(lines.filter((l) => /^h\d\d\s/.test(l)).length, 20, "the rows that fit");
    assert.ok(lines.includes("+20 more (20 alive)"), lines.join("\n"));
    assert.match(lines.find((l) => l.startsWith("h00"))!, /^h00\s+127\.0\.0\.2\s+alive\s+5s\s+-\s+\d+s ago/);
    assert.ok(last.includes("\x1b[32malive\x1b[0m"), "the state column is coloured");
    assert.match(lines[lines.length - 1]!, /^disco \S+: listening on UDP \d+, beacons every 5 s/);
    // A frame as tall as the screen ends without a newline: it never scrolls the terminal.
    assert.ok(!/\n\x1b\[J$/.test(last), "no newline after the last line");

    const children = readFileSync(`/proc/${pty.proc.pid}/task/${pty.proc.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    for (const pid of children) process.kill(pid, "SIGTERM");
    assert.equal(await pty.proc.exited, 0);
  });

  it("NO_COLOR turns the colour off", { timeout: 30_000 }, async () => {
    const port = await freeUdpPort();
    const cmd = `stty rows 24 cols 80; NO_COLOR=1 exec ${DISCO} hosts --watch --port ${port} --delay 5 --debug`;
    await using pty = spawn(["script", "-q", "-f", "-e", "-c", cmd, "/dev/null"]);
    const out = new LineReader(pty.proc.stdout);
    await out.waitText((t) => /listening on UDP \d+\r?\n/.test(t), { timeoutMs: 10_000, what: "the listener to be bound" });
    const socket = createSocket("udp4");
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
    await new Promise<void>((r, j) => socket.send(Buffer.from(`HOST plain ${Math.floor(Date.now() / 1000)}`), port, "127.0.0.1", (err) => (err ? j(err) : r())));
    socket.close();
    await out.waitText((t) => t.includes("plain"), { timeoutMs: 10_000, what: "the host" });
    assert.ok(!out.text.includes("\x1b[32m"), "no colour under NO_COLOR");
    const children = readFileSync(`/proc/${pty.proc.pid}/task/${pty.proc.pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
    for (const pid of children) process.kill(pid, "SIGTERM");
    assert.equal(await pty.proc.exited, 0);
  });
});
