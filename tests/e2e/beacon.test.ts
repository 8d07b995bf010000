import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { openUdp } from "../../lib/net/index.ts";
import { ensureBuilt, freeUdpPort, spawn } from "../_bin.ts";
import { LineReader } from "../_lines.ts";

let disco = "";

describe("disco broadcast (compiled binary, loopback)", () => {
  before(() => {
    disco = ensureBuilt();
  });

  it("--send --to 127.255.255.255 is printed by --receive in disco.py's format, goodbye included", async () => {
    const port = await freeUdpPort();
    await using rx = spawn([disco, "broadcast", "--receive", "--port", String(port), "--debug"]);
    await new LineReader(rx.proc.stderr).nextLine((l) => l.startsWith(`listening on UDP ${port}`), { timeoutMs: 10_000, what: "the receiver to listen" });
    const out = new LineReader(rx.proc.stdout);
    await using tx = spawn([disco, "broadcast", "--send", "--to", "127.255.255.255", "--port", String(port), "--delay", "1", "--name", "e2e-host"]);
    const before = Math.floor(Date.now() / 1000);
    const first = await out.nextLine(() => true, { timeoutMs: 10_000, what: "a beacon" });
    const m = /^Received broadcast from 127\.0\.0\.1 : HOST e2e-host (\d+)$/.exec(first);
    assert.ok(m, `unexpected line ${JSON.stringify(first)}`);
    assert.ok(Math.abs(Number(m[1]) - before) <= 2, "the beacon carries the sender's unix seconds");
    await out.nextLine((l) => /: HOST e2e-host \d+$/.test(l), { timeoutMs: 5000, what: "a second beacon a delay later" });
    tx.proc.kill("SIGTERM");
    await out.nextLine((l) => /^Received broadcast from 127\.0\.0\.1 : BYE e2e-host \d+$/.test(l), { timeoutMs: 5000, what: "the goodbye" });
    assert.equal(await tx.proc.exited, 0);
  });

  it("--receive sees hand-made disco.py datagrams and survives garbage", async () => {
    const port = await freeUdpPort();
    await using rx = spawn([disco, "broadcast", "--receive", "--port", String(port), "--json", "--debug"]);
    const err = new LineReader(rx.proc.stderr);
    await err.nextLine((l) => l.startsWith("listening"), { timeoutMs: 10_000, what: "the receiver to listen" });
    await using s = await openUdp({ address: "127.0.0.1" });
    const send = (b: Uint8Array | string) => s.send(typeof b === "string" ? new TextEncoder().encode(b) : b, port, "127.0.0.1");
    await send(new Uint8Array([0xff, 0xfe, 0x00]));
    await send(new Uint8Array(20_000).fill(0x41));
    await send("HOST a b c");
    await send("hello");
    await send(new Uint8Array([0xfe, 1, 0, 0, 9, 9, 9, 9, 0x7b, 0x7d]));
    await send("HOST py-host 1700000000");
    const line = await new LineReader(rx.proc.stdout).nextLine(() => true, { timeoutMs: 5000, what: "the beacon" });
    assert.deepEqual(JSON.parse(line), { from: "127.0.0.1", format: "disco.py", sealed: false, host: "py-host", bye: false, time: 1700000000 });
    const reasons = ["not-utf8", "oversized", "malformed", "unknown-format", "foreign-channel"];
    await err.waitText((t) => reasons.every((r) => t.includes(`: ${r} (`)), { timeoutMs: 5000, what: "a drop line for each bad datagram" });
    assert.equal(rx.proc.exitCode, null, "the receiver is still running");
  });

  it("refuses bad usage with exit 2", () => {
    for (const args of [["broadcast"], ["broadcast", "--send", "--receive"], ["broadcast", "--send", "--to", "nowhere"], ["broadcast", "--receive", "--port", "70000"]]) {
      const p = Bun.spawnSync([disco, ...args], { stdout: "pipe", stderr: "pipe" });
      assert.equal(p.exitCode, 2, `${args.join(" ")}: ${p.stderr}`);
    }
    const help = Bun.spawnSync([disco, "broadcast", "--help"], { stdout: "pipe" });
    assert.match(help.stdout.toString(), /Examples:/);
  });
});
