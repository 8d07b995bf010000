/**
 * `disco run` under a fake systemd: a python3 unix datagram socket as $NOTIFY_SOCKET receives READY, STATUS,
 * WATCHDOG (at half of $WATCHDOG_USEC), RELOADING + MONOTONIC_USEC ... READY around a reload, and STOPPING;
 * with $JOURNAL_STREAM set, log lines carry their priority and no timestamp.
 */
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LineReader } from "../_lines.ts";
import { ensureBuilt, freeUdpPort } from "../_bin.ts";

let disco = "";
const dir = mkdtempSync(join(tmpdir(), "disco-notify-"));

/** A python3 unix datagram listener printing each datagram as hex, one a line (after "BOUND"). */
function listen(path: string) {
  const script = [
    "import socket, sys",
    "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)",
    "s.bind(sys.argv[1])",
    "print('BOUND', flush=True)",
    "while True:",
    "    print(s.recv(65536).hex(), flush=True)",
  ].join("\n");
  const proc = Bun.spawn(["python3", "-c", script, path], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const out = new LineReader(proc.stdout);
  return {
    out,
    /** The messages so far, decoded, as objects of their fields. */
    messages: () => out.lines.filter((l) => l !== "BOUND").map((l) => Object.fromEntries(Buffer.from(l, "hex").toString().split("\n").map((f) => [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)])) as Record<string, string>),
    async [Symbol.asyncDispose]() {
      proc.kill("SIGKILL");
      await proc.exited;
      await out[Symbol.asyncDispose]();
    },
  };
}

describe("disco run speaks sd_notify (compiled binary, fake NOTIFY_SOCKET)", () => {
  before(() => {
    disco = ensureBuilt();
  });

  it("READY, STATUS, WATCHDOG, RELOADING ... READY around a reload (good and refused), STOPPING; journald-style logs", async () => {
    const notify = join(dir, "notify.sock");
    await using sd = listen(notify);
    await sd.out.waitFor(/^BOUND$/);
    const beaconPort = await freeUdpPort();
    const file = join(dir, "disco.toml");
    const config = (services: string) =>
      `[host]\nname = "sd-1"\n[daemon]\ncontrol_socket = "${dir}/d.sock"\nstate_directory = "${dir}/state"\n[discovery]\nenabled = false\n` +
      `[beacon]\nenabled = true\nport = ${beaconPort}\nbroadcast = ["127.255.255.255"]\ninterval = 0.5\n[services]\n${services}\n`;
    writeFileSync(file, config('web = "one"'));
    const proc = Bun.spawn([disco, "run", "-c", file], {
      stdout: "pipe",
      stderr: "pipe",
      stdin: "ignore",
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", NOTIFY_SOCKET: notify, WATCHDOG_USEC: "400000", JOURNAL_STREAM: "8:12345" },
    });
    try {
      await using err = new LineReader(proc.stderr);
      const ready = await sd.out.waitFor((l) => l !== "BOUND", { what: "the first message" });
      const first = sd.messages()[0]!;
      assert.equal(first["READY"], "1", ready.line);
      assert.match(first["STATUS"] ?? "", /^\d+ hosts? alive; 1\/1 tasks ok; generation 1$/);
      await sd.out.waitText(() => sd.messages().filter((m) => m["WATCHDOG"] === "1").length >= 2, { what: "two WATCHDOG=1 (every 200 ms)" });
      await sd.out.waitText(() => sd.messages().some((m) => /^1 host alive/.test(m["STATUS"] ?? "")), { what: "STATUS once it hears itself" });

      writeFileSync(file, config('web = "two"'));
      const before = sd.messages().length;
      proc.kill("SIGHUP");
      await sd.out.waitText(() => sd.messages().slice(before).some((m) => m["READY"] === "1"), { what: "READY=1 after the reload" });
      const around = sd.messages().slice(before).filter((m) => m["WATCHDOG"] === undefined);
      const reloading = around.find((m) => m["RELOADING"] === "1");
      assert.ok(reloading, JSON.stringify(around));
      // MONOTONIC_USEC is CLOCK_MONOTONIC (the seconds since boot, as /proc/uptime has them, unless suspended).
      const uptimeUs = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1e6;
      assert.ok(Math.abs(Number(reloading["MONOTONIC_USEC"]) - uptimeUs) < 5e6, `${reloading["MONOTONIC_USEC"]} vs ${uptimeUs}`);
      assert.ok(around.indexOf(reloading) < around.findIndex((m) => m["READY"] === "1"), "RELOADING before READY");
      assert.match(around.find((m) => m["READY"] === "1")?.["STATUS"] ?? "", /generation 2/);

      writeFileSync(file, config("web = ").replace("[beacon]", "[beacon]\nbogus = 1"));
      const before2 = sd.messages().length;
      proc.kill("SIGHUP");
      await sd.out.waitText(() => sd.messages().slice(before2).some((m) => m["READY"] === "1"), { what: "READY=1 after the refused reload" });
      assert.match(sd.messages().slice(before2).find((m) => m["READY"] === "1")?.["STATUS"] ?? "", /generation 2; last reload refused: .*disco\.toml/);

      proc.kill("SIGTERM");
      assert.equal(await proc.exited, 0);
      await sd.out.waitText(() => sd.messages().some((m) => m["STOPPING"] === "1"), { what: "STOPPING=1" });
      assert.match(sd.messages().find((m) => m["STOPPING"] === "1")?.["STATUS"] ?? "", /^stopping \(SIGTERM\)$/);
      await err.waitText(() => err.ended, { what: "the end of the log" });
      // journald: a priority prefix, a level, no timestamp.
      assert.ok(err.lines.some((l) => /^<6>info {2}running beacons \(generation 1\)/.test(l)), err.text);
      assert.ok(err.lines.some((l) => /^<3>error reload refused, generation 2 keeps running/.test(l)), err.text);
      assert.ok(!err.lines.some((l) => /\d{4}-\d\d-\d\dT/.test(l)), "no timestamps under journald");
    } finally {
      if (proc.exitCode === null) proc.kill("SIGKILL");
      await proc.exited;
    }
  });
});
