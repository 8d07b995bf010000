/** lib/daemon/log.ts: text and JSON lines, levels, timestamps, multi-line messages, field quoting. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createLogger, type LoggerOptions } from "../../lib/daemon/log.ts";

const T = new Date("2026-12-01T18:50:53.123Z");
function capture(opts: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  const log = createLogger({ format: "text", timestamps: true, now: () => T, write: (l) => lines.push(l), ...opts });
  return { log, lines };
}

describe("createLogger() text", () => {
  it("puts an ISO timestamp and the level on every line", () => {
    const { log, lines } = capture();
    log.debug("d");
    log.info("discovery: answering on 0.0.0.0:8765");
    log.warn("w");
    log.error("e");
    assert.deepEqual(lines, [
      "2026-12-01T18:50:53.123Z debug d",
      "2026-12-01T18:50:53.123Z info  discovery: answering on 0.0.0.0:8765",
      "2026-12-01T18:50:53.123Z warn  w",
      "2026-12-01T18:50:53.123Z error e",
    ]);
  });
  it("leaves the timestamp out when timestamps is false (journald stamps lines)", () => {
    const { log, lines } = capture({ timestamps: false });
    log.info("config reloaded", { generation: 3 });
    assert.deepEqual(lines, ["info  config reloaded generation=3"]);
  });
  it("appends fields as key=value, quoting what needs it", () => {
    const { log, lines } = capture({ timestamps: false });
    log.warn("task failed", { task: "discovery", restarts: 2, ok: false, error: 'bind EADDRINUSE "0.0.0.0"', empty: "" });
    assert.deepEqual(lines, [String.raw`warn  task failed task=discovery restarts=2 ok=false error="bind EADDRINUSE \"0.0.0.0\"" empty=""`]);
  });
  it("escapes control and bidi characters a peer put in a message or a field, in text and JSON", () => {
    const { log, lines } = capture({ timestamps: false });
    log.warn("metrics: rejected peer: no\x1b]52;c;aGk=\x07\x1b[2J\u202e", { reason: "x\x9b2J\u202e" });
    assert.deepEqual(lines, [String.raw`warn  metrics: rejected peer: no\x1b]52;c;aGk=\x07\x1b[2J\u202e reason="x\u009b2J\u202e"`]);
    const json = capture({ format: "json", timestamps: false });
    json.log.warn("no\x9b\u202e", { reason: "\u2066" });
    assert.equal(json.lines[0], String.raw`{"level":"warn","msg":"no\u009b\u202e","reason":"\u2066"}`);
    assert.equal(/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/.test(lines.join("") + json.lines.join("")), false);
  });

  it("gives every line of a multi-line message its time and level; fields follow the last", () => {
    const { log, lines } = capture();
    log.error("reload refused, the running config stays:\n  [beacon] port: must be 1..65535", { generation: 1 });
    assert.deepEqual(lines, [
      "2026-12-01T18:50:53.123Z error reload refused, the running config stays:",
      "2026-12-01T18:50:53.123Z error   [beacon] port: must be 1..65535 generation=1",
    ]);
  });
  it("drops lines below the chosen level", () => {
    const { log, lines } = capture({ timestamps: false, level: "warn" });
    log.debug("a");
    log.info("b");
    log.warn("c");
    log.error("d");
    assert.deepEqual(lines, ["warn  c", "error d"]);
  });
  it("prefixes sd-daemon priorities when asked (journald reads and strips them)", () => {
    const { log, lines } = capture({ timestamps: false, syslogPrefix: true });
    log.debug("a");
    log.info("b");
    log.warn("c");
    log.error("d");
    assert.deepEqual(lines, ["<7>debug a", "<6>info  b", "<4>warn  c", "<3>error d"]);
  });
  it("child() adds its fields to every line", () => {
    const { log, lines } = capture({ timestamps: false });
    const c = log.child({ task: "beacons" });
    c.info("sending", { port: 9000 });
    c.child({ generation: 2 }).info("x", { task: "ignored" });
    assert.deepEqual(lines, ["info  sending port=9000 task=beacons", "info  x task=beacons generation=2"]);
  });
  it("reads the clock once per line (the default clock is the real one)", () => {
    const lines: string[] = [];
    const log = createLogger({ format: "text", timestamps: true, write: (l) => lines.push(l) });
    log.info("x");
    assert.match(lines[0] ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info  x$/);
  });
});

describe("createLogger() json", () => {
  it("writes one JSON object a line: time, level, msg, then the fields", () => {
    const { log, lines } = capture({ format: "json" });
    log.info("config reloaded", { generation: 3, ok: true, path: "/etc/disco.toml" });
    assert.equal(lines[0], '{"time":"2026-12-01T18:50:53.123Z","level":"info","msg":"config reloaded","generation":3,"ok":true,"path":"/etc/disco.toml"}');
  });
  it("has no time field without timestamps", () => {
    const { log, lines } = capture({ format: "json", timestamps: false });
    log.error("boom");
    assert.equal(lines[0], '{"level":"error","msg":"boom"}');
  });
  it("keeps a multi-line message on one line and never lets a field replace level/msg/time", () => {
    const { log, lines } = capture({ format: "json", timestamps: false });
    log.warn("a\nb", { level: "debug", msg: "x", time: 1, n: Number.NaN });
    assert.equal(lines.length, 1);
    assert.deepEqual(JSON.parse(lines[0] ?? ""), { level: "warn", msg: "a\nb", _level: "debug", _msg: "x", _time: 1, n: "NaN" });
  });
  it("property: any message and fields parse back", () => {
    fc.assert(
      fc.property(fc.string(), fc.dictionary(fc.string({ minLength: 1 }).filter((k) => !["level", "msg", "time", "__proto__"].includes(k)), fc.oneof(fc.string(), fc.integer(), fc.boolean())), (msg, fields) => {
        const { log, lines } = capture({ format: "json" });
        log.debug(msg, fields);
        assert.equal(lines.length, 1);
        assert.deepEqual(JSON.parse(lines[0] ?? ""), { time: T.toISOString(), level: "debug", msg, ...fields });
      }),
    );
  });
  it("property: text lines never hold a newline and always carry the level", () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom("debug", "info", "warn", "error" as const), (msg, level) => {
        const { log, lines } = capture({ timestamps: false });
        log[level](msg, { k: msg });
        for (const l of lines) {
          assert.ok(!/[\n]/.test(l));
          assert.ok(l.startsWith(level));
        }
      }),
    );
  });
});
