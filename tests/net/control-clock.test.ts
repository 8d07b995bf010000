import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt } from "../_bin.ts";
import { LineReader } from "../_lines.ts";
import { createSysfsTree } from "../gpio/_sysfs-tree.ts";
import { createLan, netnsUnavailable } from "./_netns.ts";

/** Why the faketime tests cannot run here (CI installs faketime: a skip there fails the run). */
function faketimeUnavailable(): string | undefined {
  // Bun.spawnSync throws (ENOENT) for a missing executable: asked first, so a machine without it skips.
  if (!Bun.which("faketime")) return "faketime is missing (apt-get install faketime)";
  const r = Bun.spawnSync(["faketime", "1970-01-02 00:00:00", "date", "+%Y"], { stdout: "pipe", stderr: "ignore" });
  return r.exitCode === 0 && r.stdout.toString().trim() === "1970" ? undefined : "faketime is missing (apt-get install faketime)";
}

const skip = netnsUnavailable() ?? faketimeUnavailable();

/**
 * faketime keeps its settings in /dev/shm under the PID of the faketime process and removes them only when
 * it exits by itself. The LAN ends a long-running one with SIGKILL, and a stale pair makes a later faketime
 * that is given the same PID fail (`shm_open failed: File exists`). Disposing removes the pairs of the PIDs
 * listed (processes this test started).
 */
function faketimeLeftovers(): AsyncDisposable & { pids: number[] } {
  const pids: number[] = [];
  return {
    pids,
    [Symbol.asyncDispose]: async () => {
      for (const pid of pids) for (const f of [`faketime_shm_${pid}`, `sem.faketime_sem_${pid}`]) rmSync(join("/dev/shm", f), { force: true });
    },
  };
}
// A device without an RTC after boot. DONT_FAKE_MONOTONIC keeps the monotonic clock real, as it is on such a device.
const AT_1970 = ["env", "DONT_FAKE_MONOTONIC=1", "faketime", "1970-01-01 00:05:00"];

describe("clocks at 1970 on a LAN of network namespaces (faketime)", { skip }, () => {
  let disco = "";
  const tmp = mkdtempSync(join(tmpdir(), "disco-net-clock-"));
  let key = "";
  before(() => {
    disco = ensureBuilt();
    key = join(tmp, "key");
    writeFileSync(key, Bun.spawnSync([disco, "keygen"]).stdout.toString());
  });

  it("a server at 1970 is found (with one challenge round, shown by -v) and driven; a client at 1970 finds every server", async () => {
    using tree = createSysfsTree();
    // Declared before the LAN, so it runs after the LAN has ended its processes.
    await using _shm = faketimeLeftovers();
    await using lan = await createLan(3);
    const [old, fresh, client] = lan.hosts;
    const cfg = (name: string, gpio: string) => {
      const p = join(tmp, `${name}.toml`);
      writeFileSync(p, `[host]\nname = "${name}"\n[discovery]\nmagic = "lan"\nkey_file = "${key}"\n${gpio}`);
      return p;
    };
    const gpio = `[gpio]\ndriver = "sysfs"\nsysfs_root = "${tree.root}"\n[[gpio.output]]\nname = "pump"\nline = 1\nremote = true\n`;
    const oldServer = old!.spawn([...AT_1970, disco, "server", "-c", cfg("rtc-less", gpio), "-v"]);
    _shm.pids.push(oldServer.pid);
    const oldLog = new LineReader(oldServer.stderr);
    const freshLog = new LineReader(fresh!.spawn([disco, "server", "-c", cfg("fresh", ""), "-v"]).stderr);
    await Promise.all([oldLog.waitFor(/control: listening/), freshLog.waitFor(/listening on 0\.0\.0\.0:40000/)]);
    assert.equal(old!.exec([...AT_1970, "date", "+%Y"]).stdout.trim(), "1970");

    const ask = (prefix: string[]) => client!.exec([...prefix, disco, "client", "-m", "lan", "--key-file", key, "-i", "eth0", "-t", "1", "-v", "--json"]);
    const now = ask([]);
    assert.equal(now.exitCode, 0, now.stderr);
    assert.deepEqual((JSON.parse(now.stdout) as { hosts: { host: string }[] }).hosts.map((h) => h.host).sort(), ["fresh", "rtc-less"]);
    assert.match(now.stderr, /challenge from 10\.77\.0\.1:40000 .*query sent again with it/);
    assert.doesNotMatch(now.stderr, /challenge from 10\.77\.0\.2/, "a server with a good clock answers at once");
    await oldLog.waitFor(/challenged \(our clock is before this version's date\)/);

    const from1970 = ask(AT_1970);
    assert.equal(from1970.exitCode, 0, from1970.stderr);
    assert.deepEqual((JSON.parse(from1970.stdout) as { hosts: { host: string }[] }).hosts.map((h) => h.host).sort(), ["fresh", "rtc-less"]);
    await freshLog.waitFor(/challenged \(its time is outside max_skew\)/);

    // Driven: remote GPIO needs no clock at all, on either side.
    const set = client!.exec([...AT_1970, disco, "gpio", "-m", "lan", "--key-file", key, "--host", "rtc-less", "set", "pump", "1", "-v"]);
    assert.equal(set.exitCode, 0, set.stderr);
    assert.match(set.stderr, /'rtc-less' is at 10\.77\.0\.1/);
    assert.equal(readFileSync(join(tree.lineDir(1), "value"), "utf8").trim(), "1");
  });
});
