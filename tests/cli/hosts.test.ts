/**
 * `disco hosts` in-process on loopback: what a stranger puts in a discovery answer reaches the table (one-shot
 * and live) escaped, an answer whose addresses are not IP literals does not reach it at all, and the live table of the daemon's hosts keeps its ages current although the daemon's
 * stream announces membership changes only, not each beacon.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostRecord } from "../../lib/beacon/index.ts";
import { command } from "../../lib/cli/hosts.ts";
import { parseConfig } from "../../lib/config/index.ts";
import { openControlServer, type ControlRequest } from "../../lib/daemon/index.ts";
import { serveDiscovery } from "../../lib/discovery/index.ts";
import { freeUdpPort } from "../_bin.ts";
import { captureIo, lastFrame, RAW_CONTROL } from "./_io.ts";

const dir = mkdtempSync(join(tmpdir(), "disco-cli-hosts-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An OSC 52 clipboard write and a screen clear, as a hostile responder's version. */
const EVIL_VERSION = "1.2\x1b]52;c;aGVsbG8=\x07\x1b[2J";
const EVIL_ESCAPED = "1.2\\x1b]52;c;aGVsbG8=\\x07\\x1b[2J";
/** The same as an address: such an answer is malformed (addresses are IP literals) and dropped. */
const EVIL_ADDRESS = "1.2.3.4\x1b]52;c;aGVsbG8=\x07\x1b[2J";

describe("disco hosts --ask and a hostile discovery responder (loopback)", () => {
  let asker = "";
  const stop = new AbortController();
  let serving: Promise<unknown>[] = [];
  let badAsker = "";
  before(async () => {
    // Unsealed responders on loopback: one answers with terminal escapes in its version and services, the
    // other with them in its address.
    const serve = async (address: string, version: string) => {
      const port = await freeUdpPort();
      const config = parseConfig(`[discovery]\nport = ${port}\nlisten = "127.0.0.1"\n`).discovery;
      let listening!: () => void;
      const ready = new Promise<void>((r) => (listening = r));
      serving.push(
        serveDiscovery({
          signal: stop.signal,
          config,
          describe: () => ({ host: "evil", addresses: [address], version, uptimeSec: 5, services: { "web\x1b[31m": "http://x/" }, interfaces: {} }),
          onListening: () => listening(),
        }),
      );
      await ready;
      const file = join(dir, `asker-${port}.toml`);
      writeFileSync(file, `[discovery]\nport = ${port}\ninterfaces = ["lo"]\ntimeout = "1s"\n`);
      return file;
    };
    asker = await serve("127.0.0.1", EVIL_VERSION);
    badAsker = await serve(EVIL_ADDRESS, "0.2.0");
  });
  after(async () => {
    stop.abort();
    await Promise.all(serving);
  });

  it("an answer whose address is not an IP literal is dropped, not shown", { timeout: 20_000 }, async () => {
    const c = captureIo();
    const code = await command.run(["--ask", "--listen", "--port", String(await freeUdpPort()), "--timeout", "1.2", "-c", badAsker], c.io, new AbortController().signal);
    assert.equal(code, 1, `nobody found: ${c.err}`);
    assert.ok(!c.out.includes("1.2.3.4"), c.out);
    assert.ok(!RAW_CONTROL.test(c.out + c.err), `raw control characters in ${JSON.stringify(c.out + c.err)}`);
  });

  it("the one-shot table escapes the answer's version (and every other cell)", { timeout: 20_000 }, async () => {
    const c = captureIo();
    const code = await command.run(["--ask", "--listen", "--port", String(await freeUdpPort()), "--timeout", "1.2", "-c", asker], c.io, new AbortController().signal);
    assert.equal(code, 0, c.err);
    assert.ok(c.out.includes(EVIL_ESCAPED), c.out);
    assert.ok(!RAW_CONTROL.test(c.out), `raw control characters in ${JSON.stringify(c.out)}`);
  });

  it("the live table escapes the answer's version", { timeout: 20_000 }, async () => {
    const c = captureIo({ tty: true, columns: 160, rows: 24 });
    const ac = new AbortController();
    const run = command.run(["--ask", "--listen", "--watch", "--port", String(await freeUdpPort()), "--delay", "5", "-c", asker], c.io, ac.signal);
    await c.until(() => lastFrame(c.out).includes("answered in"), "the answer in the live table");
    const frame = lastFrame(c.out);
    ac.abort();
    assert.equal(await run, 0);
    assert.ok(frame.includes(EVIL_ESCAPED), frame);
    assert.ok(!RAW_CONTROL.test(frame), `raw control characters in ${JSON.stringify(frame)}`);
  });
});

describe("disco hosts --watch answered by the daemon", () => {
  it("keeps an alive host's LAST SEEN current with fresh snapshots (the stream carries no beacons)", { timeout: 30_000 }, async () => {
    // A fake daemon whose host beacons all the time: every snapshot has it heard just now; its stream
    // announces nothing after the first answer, as the daemon's does for a host that stays alive.
    const path = join(dir, "daemon.sock");
    const record = (): HostRecord => ({ host: "pi-1", addresses: ["127.0.0.1"], state: "alive", lastSeenMs: performance.now(), lastSeenUnixMs: Date.now(), intervalMs: 1000, source: "disco-json" });
    let asked = 0;
    await using _server = await openControlServer({
      path,
      handle: async (r: ControlRequest) => {
        asked++;
        return r.request === "hosts" ? { nowMs: performance.now(), hosts: [record()] } : {};
      },
      watch: async function* (_r, signal) {
        await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      },
    });
    const c = captureIo({ tty: true, columns: 120, rows: 24 });
    const ac = new AbortController();
    const run = command.run(["--watch", "--socket", path], c.io, ac.signal);
    try {
      const ageOf = () => /pi-1 .* (\d+)s ago/.exec(lastFrame(c.out))?.[1];
      // The redraws every second show the age growing until a snapshot refreshes it: it must come before the
      // age passes 5 s (a refresh is due every 2 s).
      await c.until(() => asked >= 2 || Number(ageOf() ?? 0) >= 5, "a second hosts request, or an age of 5 s");
      assert.ok(asked >= 2, `no fresh snapshot was asked for; the table shows ${ageOf()}s ago for a host that beacons all the time`);
      // The frame the refresh draws shows the host heard just now (the daemon's own age for it).
      const age = await c.until(() => {
        const a = ageOf();
        return a === "0" || Number(a) >= 5 ? a : undefined;
      }, "the refreshed age");
      assert.equal(age, "0", lastFrame(c.out));
    } finally {
      ac.abort();
      assert.equal(await run, 0, c.err);
    }
  });
});
