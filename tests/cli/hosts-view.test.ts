import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostRecord } from "../../lib/beacon/index.ts";
import { applyHostEvent, colorEnabled, frame, hostJson, liveLines, mergeAnswers, refreshHosts, renderHosts, sortHosts } from "../../lib/cli/_hosts-view.ts";
import { command } from "../../lib/cli/hosts.ts";
import type { CliIo } from "../../lib/cli/index.ts";
import { freeUdpPort } from "../_bin.ts";

function host(name: string, state: HostRecord["state"], extra: Partial<HostRecord> = {}): HostRecord {
  return { host: name, addresses: ["10.0.0.1"], state, lastSeenMs: 1000, lastSeenUnixMs: 1_700_000_000_000, intervalMs: 15_000, source: "disco.py", ...extra };
}

describe("renderHosts()", () => {
  it("puts failed, then suspect, then alive hosts first, by name within a state", () => {
    const order = sortHosts([host("b", "alive"), host("z", "failed"), host("a", "alive"), host("m", "suspect")]).map((h) => h.host);
    assert.deepEqual(order, ["z", "m", "a", "b"]);
  });
  it("fits the lines it is given: the header, the hosts that fit, one '+N more' line by state", () => {
    const hosts = [...Array.from({ length: 10 }, (_, i) => host(`a${i}`, "alive")), host("f", "failed"), host("s", "suspect")];
    const lines = renderHosts(hosts, { nowMs: 4000, maxLines: 6 });
    assert.equal(lines.length, 6);
    assert.match(lines[0]!, /^HOST\s+ADDRESS\s+STATE\s+EVERY\s+VERSION\s+LAST SEEN\s+SERVICES$/);
    assert.deepEqual(lines.slice(1, 5).map((l) => l.split(/\s+/)[0]), ["f", "s", "a0", "a1"]);
    assert.equal(lines[5], "+8 more (8 alive)");
  });
  it("cuts lines to the width, shows the interval (~ when learned) and escapes what strangers sent", () => {
    const lines = renderHosts([host("evil\x1b]52;c;x\x07", "alive", { version: "1\x1b[2J", intervalMs: 1000, learnedIntervalMs: 1000, addresses: ["10.0.0.1", "10.0.0.2"] })], { nowMs: 6000, columns: 60 });
    assert.ok(lines.every((l) => l.length <= 60));
    assert.ok(!lines.join("").includes("\x1b"), "no escape sequence from the wire reaches the terminal");
    assert.match(lines[1]!, /^evil\\x1b\]52;c;x\\x07\s+10\.0\.0\.1 \+1\s+alive\s+~1s\s+1\\x1b\[2J/);
  });
  it("escapes every cell, the address of a discovery answer too", () => {
    const evil = "1.2.3.4\x1b]52;c;aGVsbG8=\x07\x1b[2J";
    const rows = mergeAnswers([], [{ host: "srv", addresses: [evil], services: { "a\u202eb": 1 }, interfaces: {}, rttMs: 2, from: "127.0.0.1:40000", legacy: false, version: "1\x9b" }]);
    for (const lines of [renderHosts(rows, { nowMs: 0 }), liveLines(rows, ["status"], { nowMs: 0, rows: 24, columns: 120 })]) {
      const text = lines.join("\n");
      assert.ok(!/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/.test(text), JSON.stringify(text));
      assert.match(text, /srv\s+1\.2\.3\.4\\x1b\]52;c;aGVsbG8=\\x07\\x1b\[2J\s+answered\s+-\s+1\\x9b\s+answered in 2 ms\s+a\\u202eb/);
    }
  });
  it("colours only the state cell, and only when asked", () => {
    const plain = renderHosts([host("a", "failed")], { nowMs: 1000 });
    const colored = renderHosts([host("a", "failed")], { nowMs: 1000, color: true });
    assert.ok(!plain[1]!.includes("\x1b"));
    assert.equal(colored[1]!.replace(/\x1b\[[0-9;]*m/g, ""), plain[1]);
    assert.ok(colored[1]!.includes("\x1b[31mfailed\x1b[0m"));
  });
});

describe("liveLines() and frame()", () => {
  it("a frame fills at most the terminal's rows and ends without a newline", () => {
    const hosts = Array.from({ length: 40 }, (_, i) => host(`h${i}`, "alive"));
    const lines = liveLines(hosts, ["status"], { nowMs: 1000, rows: 24, columns: 80 });
    assert.equal(lines.length, 24);
    assert.equal(lines[23], "status");
    const f = frame(lines);
    assert.ok(f.startsWith("\x1b[H") && f.endsWith("\x1b[J") && !f.endsWith("\n\x1b[J"));
  });
  it("drops the counters before the table when the terminal is short", () => {
    const lines = liveLines([host("a", "alive")], ["status", "", "c1", "c2", "c3", "c4"], { nowMs: 1000, rows: 6 });
    assert.ok(lines.length <= 6, lines.join("\n"));
    assert.ok(lines.includes("status") && !lines.includes("c1"));
  });
});

describe("colorEnabled()", () => {
  const io = (env: Record<string, string>, tty = true): CliIo => ({ out: () => undefined, err: () => undefined, env, stdoutIsTTY: tty });
  it("on a terminal, unless NO_COLOR is set or TERM is dumb", () => {
    assert.equal(colorEnabled(io({})), true);
    assert.equal(colorEnabled(io({ NO_COLOR: "1" })), false);
    assert.equal(colorEnabled(io({ TERM: "dumb" })), false);
    assert.equal(colorEnabled(io({}, false)), false);
  });
});

describe("hostJson()", () => {
  it("adds the age and the ISO time of the last beacon", () => {
    const j = hostJson(host("a", "alive"), 3500);
    assert.equal(j.ageMs, 2500);
    assert.equal(j.lastSeen, "2023-11-14T22:13:20.000Z");
  });
});

describe("disco hosts --watch and a resize", () => {
  const tmp = mkdtempSync(join(tmpdir(), "disco-hosts-view-"));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  it("redraws from a clear screen, fitted to the new size", async () => {
    const cfg = join(tmp, "empty.toml");
    writeFileSync(cfg, "");
    let out = "";
    let rows = 24;
    let resize: (() => void) | undefined;
    let wake: (() => void) | undefined;
    const io: CliIo = {
      out: (t) => {
        out += t;
        wake?.();
      },
      err: () => undefined,
      env: { NO_COLOR: "1" },
      stdoutIsTTY: true,
      columns: 80,
      get rows() {
        return rows;
      },
      onResize: (l) => {
        resize = l;
        return () => (resize = undefined);
      },
    };
    const until = async (ok: () => boolean) => {
      while (!ok()) await new Promise<void>((r) => (wake = r));
    };
    const stop = new AbortController();
    const run = command.run(["--watch", "--port", String(await freeUdpPort()), "--delay", "5", "-c", cfg], io, stop.signal);
    await until(() => resize !== undefined && out.includes("listening on UDP"));
    rows = 5;
    const before = out.length;
    resize!();
    await until(() => out.length > before);
    const after = out.slice(before);
    assert.ok(after.startsWith("\x1b[2J\x1b[H"), "a resize clears the screen first");
    const lines = after.split("\x1b[H").pop()!.split("\n");
    assert.ok(lines.length <= 5, `${lines.length} lines after a resize to 5 rows`);
    stop.abort();
    assert.equal(await run, 0);
    assert.equal(resize, undefined, "the resize listener is removed on exit");
  });
});

describe("applyHostEvent() and refreshHosts(): the watcher's copy of the daemon's table", () => {
  const table = (...hosts: HostRecord[]) => new Map(hosts.map((h) => [h.host, h]));
  it("a snapshot brings last seen (and what changes with each beacon) up to date", () => {
    const hosts = table(host("a", "alive", { lastSeenMs: 1000 }), host("b", "suspect", { lastSeenMs: 500 }));
    refreshHosts(hosts, [host("a", "alive", { lastSeenMs: 9000, learnedIntervalMs: 980, addresses: ["10.0.0.2", "10.0.0.1"] }), host("b", "suspect", { lastSeenMs: 500 })]);
    assert.equal(hosts.get("a")?.lastSeenMs, 9000);
    assert.equal(hosts.get("a")?.learnedIntervalMs, 980);
    assert.deepEqual(hosts.get("a")?.addresses, ["10.0.0.2", "10.0.0.1"]);
    assert.equal(hosts.get("b")?.lastSeenMs, 500);
  });
  it("membership stays the stream's: no host added or brought back; a forgotten failed host goes", () => {
    const hosts = table(host("a", "alive", { lastSeenMs: 1000 }), host("f", "failed", { lastSeenMs: 10 }), host("n", "alive", { lastSeenMs: 2000 }));
    // "n" joined after the snapshot was taken; "x" is a join the stream has not delivered yet.
    refreshHosts(hosts, [host("a", "alive", { lastSeenMs: 1000 }), host("x", "alive", { lastSeenMs: 3000 })]);
    assert.deepEqual([...hosts.keys()].sort(), ["a", "n"]);
  });
  it("an event older than the snapshot already shown is skipped; a leave always applies", () => {
    const hosts = table(host("a", "alive", { lastSeenMs: 9000 }));
    applyHostEvent(hosts, { type: "suspect", host: host("a", "suspect", { lastSeenMs: 1000 }) });
    assert.equal(hosts.get("a")?.state, "alive", "the snapshot heard it after that event");
    applyHostEvent(hosts, { type: "suspect", host: host("a", "suspect", { lastSeenMs: 9000 }) });
    assert.equal(hosts.get("a")?.state, "suspect");
    applyHostEvent(hosts, { type: "leave", host: host("a", "alive", { lastSeenMs: 1 }) });
    assert.equal(hosts.has("a"), false);
    applyHostEvent(hosts, { type: "join", host: host("a", "alive", { lastSeenMs: 2 }) });
    assert.equal(hosts.get("a")?.lastSeenMs, 2);
  });
});

describe("mergeAnswers()", () => {
  const answer = (name: string, extra: Record<string, unknown> = {}) =>
    ({ host: name, addresses: ["10.0.0.9"], services: { web: "http://x/" }, interfaces: {}, rttMs: 3, from: "10.0.0.9:40000", legacy: false, version: "0.2.0", ...extra }) as Parameters<typeof mergeAnswers>[1][number];
  it("adds an answer's services, version and addresses to the beacon host of that name", () => {
    const [h] = mergeAnswers([host("a", "alive")], [answer("a")]);
    assert.equal(h?.state, "alive");
    assert.equal(h?.version, "0.2.0");
    assert.deepEqual(h?.services, { web: "http://x/" });
    assert.deepEqual(h?.addresses, ["10.0.0.1", "10.0.0.9"]);
    assert.equal(h?.answer?.rttMs, 3);
  });
  it("keeps what the beacons announced, and gives a host that only answered its own 'answered' row", () => {
    const rows = mergeAnswers([host("a", "alive", { version: "1.0", services: { ssh: 22 } })], [answer("a"), answer("b")]);
    assert.deepEqual(rows.map((r) => [r.host, r.state, r.version]), [["a", "alive", "1.0"], ["b", "answered", "0.2.0"]]);
    assert.deepEqual(rows[0]?.services, { ssh: 22 });
    const lines = renderHosts(rows, { nowMs: 2000 });
    assert.match(lines[2]!, /^b\s+10\.0\.0\.9\s+answered\s+-\s+0\.2\.0\s+answered in 3 ms\s+web$/);
  });
});
