/**
 * `disco status` in-process against a fake daemon's control socket: what the status quotes (a task's last
 * error, which can name what a peer sent; a refused reload's problems) reaches the terminal escaped, one
 * line per entry, and `--json` is terminal-safe.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { command, formatStatus } from "../../lib/cli/status.ts";
import { openControlServer, type DaemonStatus } from "../../lib/daemon/index.ts";
import { captureIo, RAW_CONTROL } from "./_io.ts";

const dir = mkdtempSync(join(tmpdir(), "disco-cli-status-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const STATUS: DaemonStatus = {
  version: "0.2.0",
  pid: 42,
  host: "pi-1",
  startedUnixMs: 1_700_000_000_000,
  uptimeMs: 60_000,
  generation: 2,
  lastReload: { ok: false, generation: 2, atUnixMs: 1_700_000_050_000, problems: ["services.web: bad\x1b]0;title\x07"] },
  tasks: [{ name: "metrics", state: "backoff", sinceUnixMs: 1_700_000_000_000, restarts: 3, lastError: "peer said \x1b[2J\u202ehi\nfake line", retryAtUnixMs: 1_700_000_061_000 }],
  hosts: { alive: 1, suspect: 0, failed: 0 },
};

describe("formatStatus()", () => {
  it("escapes each line; a newline inside an error cannot start a line of its own", () => {
    const text = formatStatus(STATUS, 1_700_000_060_000);
    assert.ok(!RAW_CONTROL.test(text), JSON.stringify(text));
    assert.match(text, /last error: peer said \\x1b\[2J\\u202ehi\\x0afake line\n/);
    assert.match(text, /\n {4}services\.web: bad\\x1b\]0;title\\x07\n/);
  });
});

describe("disco status (fake daemon)", () => {
  const path = join(dir, "daemon.sock");
  const status: DaemonStatus = { ...STATUS, tasks: [{ ...STATUS.tasks[0]!, lastError: "bad\x9b2J\u2066" }] };
  const ask = async (...args: string[]) => {
    await using _server = await openControlServer({ path, handle: async () => status });
    const c = captureIo();
    assert.equal(await command.run(["--socket", path, ...args], c.io, new AbortController().signal), 0, c.err);
    assert.ok(!RAW_CONTROL.test(c.out), JSON.stringify(c.out));
    return c.out;
  };
  it("prints the status escaped", { timeout: 20_000 }, async () => {
    assert.match(await ask(), /last error: bad\\x9b2J\\u2066/);
  });
  it("--json is terminal-safe JSON of the same status", { timeout: 20_000 }, async () => {
    assert.deepEqual(JSON.parse(await ask("--json")), status);
  });
});
