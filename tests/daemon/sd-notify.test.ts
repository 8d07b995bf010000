/**
 * lib/daemon/sd-notify.ts: the message encoder (golden bytes, refusals, a property), the sockaddr_un
 * encoding, the watchdog interval, and real datagrams to unix sockets a python3 listener binds (a path and
 * an abstract name), as systemd's notify socket receives them.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { encodeNotify, encodeSockaddrUn, openNotifier, watchdogIntervalMs } from "../../lib/daemon/sd-notify.ts";
import { LineReader } from "../_lines.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("encodeNotify()", () => {
  it("encodes fields as KEY=value lines in order (golden bytes)", () => {
    const b = encodeNotify({ READY: "1", STATUS: "3 hosts alive, 4/4 tasks ok" });
    // "READY=1" \n "STATUS=3 hosts alive, 4/4 tasks ok": no trailing newline, as sd_notify(3) sends it
    assert.equal(hex(b), "52454144593d31" + "0a" + Buffer.from("STATUS=3 hosts alive, 4/4 tasks ok").toString("hex"));
    assert.equal(new TextDecoder().decode(encodeNotify({ WATCHDOG: "1" })), "WATCHDOG=1");
    assert.equal(new TextDecoder().decode(encodeNotify({ RELOADING: "1", MONOTONIC_USEC: "12345" })), "RELOADING=1\nMONOTONIC_USEC=12345");
  });
  it("encodes values as UTF-8", () => {
    assert.equal(hex(encodeNotify({ STATUS: "é" })), Buffer.from("STATUS=é").toString("hex"));
  });
  it("an empty object encodes to no bytes", () => assert.equal(encodeNotify({}).length, 0));
  it("refuses a value with a newline, CR or NUL (it would forge a field)", () => {
    for (const v of ["a\nREADY=1", "a\r", "a\0b"]) assert.throws(() => encodeNotify({ STATUS: v }), TypeError);
  });
  it("refuses a key that is empty, lower-case or holds '='", () => {
    for (const k of ["", "ready", "A=B", "A B", "A\nB"]) assert.throws(() => encodeNotify({ [k]: "1" }), TypeError);
  });
  it("property: every one-line value round-trips through the line split", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), fc.string().filter((s) => !/[\n\r\0]/.test(s))), (fields) => {
        const text = new TextDecoder().decode(encodeNotify(fields));
        const back = Object.fromEntries(text === "" ? [] : text.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
        assert.deepEqual(back, { ...fields });
      }),
    );
  });
});

describe("encodeSockaddrUn()", () => {
  it("a path: family 1 (LE), the path, its NUL; length 2 + path + 1", () => {
    const a = encodeSockaddrUn("/run/systemd/notify");
    assert.equal(a.length, 2 + 19 + 1);
    assert.equal(hex(a.bytes.subarray(0, a.length)), "0100" + Buffer.from("/run/systemd/notify").toString("hex") + "00");
    assert.equal(a.bytes.length, 110);
  });
  it("an abstract name: family, a leading NUL, the name without '@' and unterminated", () => {
    const a = encodeSockaddrUn("@sd-notify");
    assert.equal(a.length, 2 + 1 + 9);
    assert.equal(hex(a.bytes.subarray(0, a.length)), "0100" + "00" + Buffer.from("sd-notify").toString("hex"));
  });
  it("refuses a relative name and one longer than sun_path", () => {
    assert.throws(() => encodeSockaddrUn("run/notify"), TypeError);
    assert.throws(() => encodeSockaddrUn("/" + "a".repeat(107)), RangeError);
    assert.equal(encodeSockaddrUn("/" + "a".repeat(106)).length, 110);
    assert.throws(() => encodeSockaddrUn("@" + "a".repeat(108)), RangeError);
    assert.equal(encodeSockaddrUn("@" + "a".repeat(107)).length, 110);
  });
});

describe("watchdogIntervalMs()", () => {
  it("is half of WATCHDOG_USEC in ms", () => {
    assert.equal(watchdogIntervalMs("30000000", undefined, 42), 15_000);
    assert.equal(watchdogIntervalMs("1000", "42", 42), 1);
    assert.equal(watchdogIntervalMs("1", undefined, 42), 1);
  });
  it("is undefined when unset, zero, malformed or for another PID", () => {
    assert.equal(watchdogIntervalMs(undefined, undefined, 42), undefined);
    assert.equal(watchdogIntervalMs("", undefined, 42), undefined);
    assert.equal(watchdogIntervalMs("0", undefined, 42), undefined);
    assert.equal(watchdogIntervalMs("-5", undefined, 42), undefined);
    assert.equal(watchdogIntervalMs("10s", undefined, 42), undefined);
    assert.equal(watchdogIntervalMs("30000000", "41", 42), undefined);
    assert.equal(watchdogIntervalMs("30000000", "x", 42), undefined);
  });
});

/** A python3 unix datagram listener: prints "BOUND" then each datagram as hex, one a line. */
function listen(name: string) {
  const script = [
    "import socket, sys",
    "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
    "n = sys.argv[1]",
    "s.bind('\\0' + n[1:] if n.startswith('@') else n)",
    "print('BOUND', flush=True)",
    "while True:",
    "    print(s.recv(65536).hex(), flush=True)",
  ].join("\n");
  const proc = Bun.spawn(["python3", "-c", script, name], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const out = new LineReader(proc.stdout);
  return {
    out,
    async [Symbol.asyncDispose]() {
      proc.kill("SIGKILL");
      await proc.exited;
      await out[Symbol.asyncDispose]();
    },
  };
}

describe("openNotifier() (real unix datagram sockets)", () => {
  it("is undefined without a socket name", () => {
    assert.equal(openNotifier(undefined), undefined);
    assert.equal(openNotifier(""), undefined);
  });
  it("delivers each message as one datagram to a socket path", async () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-notify-"));
    try {
      const path = join(dir, "notify");
      await using l = listen(path);
      await l.out.nextLine(/^BOUND$/);
      const n = openNotifier(path);
      assert.ok(n);
      n.send({ READY: "1", STATUS: "2 hosts alive" });
      n.send({ WATCHDOG: "1" });
      assert.equal(await l.out.nextLine(), hex(encodeNotify({ READY: "1", STATUS: "2 hosts alive" })));
      assert.equal(await l.out.nextLine(), hex(encodeNotify({ WATCHDOG: "1" })));
      assert.equal(n.failures, 0);
      n.close();
      n.close();
      n.send({ STOPPING: "1" });
      assert.equal(n.failures, 1, "a send after close is dropped and counted");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("delivers to an abstract @name", async () => {
    const name = `@disco-test-notify-${process.pid}-${Math.random().toString(36).slice(2)}`;
    await using l = listen(name);
    await l.out.nextLine(/^BOUND$/);
    const n = openNotifier(name);
    assert.ok(n);
    n.send({ STOPPING: "1" });
    assert.equal(await l.out.nextLine(), hex(encodeNotify({ STOPPING: "1" })));
    n.close();
  });
  it("send() never throws: no listener, a bad field", () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-notify-"));
    try {
      const n = openNotifier(join(dir, "nobody-listens"));
      assert.ok(n);
      n.send({ READY: "1" });
      n.send({ STATUS: "two\nlines" });
      assert.equal(n.failures, 2);
      n.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("refuses a relative socket name", () => assert.throws(() => openNotifier("notify"), TypeError));
});
