/**
 * A real systemd: boots Debian's kernel under qemu with a Debian root file system whose PID 1 is systemd
 * (tests/systemd/vm/), installs the compiled dist/disco there with scripts/install.sh, and runs the checks of
 * tests/systemd/vm/vmtest.sh: Type=notify start, reload with a good and a bad config, the STATUS line,
 * restart after kill -9, the watchdog after SIGSTOP, the goodbye a second disco sees on stop, uninstall.
 * Asserts every expected PASS line and no FAIL line on the serial console. Skips only when qemu or the
 * cached kernel/root cannot be had (see tests/systemd/vm/prepare.sh).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bootVm, vmUnavailable, type VmRun } from "./vm/_vm.ts";

const why = vmUnavailable();
if (why) console.log(why);

const CHECKS = [
  "install.sh exits 0",
  "install.sh: the unit is enabled",
  "install.sh: the disco system user exists",
  "install.sh: the links dispatch (disco-server --version)",
  "the binary seals with the system's OpenSSL (libcrypto.so.3 from Debian's libssl3)",
  "install.sh again exits 0",
  "install.sh again changes nothing",
  "start: active",
  "start: 'activating' until READY (Type=notify)",
  "start: the beacon socket is bound when active",
  "start: the control socket exists when active",
  "start: runs as user disco",
  "start: the second disco sees the daemon join",
  "status: shows the daemon's STATUS line",
  "start: the daemon gives back its start-up pages (user disco, the unit's filters)",
  "reload (good config): systemctl reload exits 0",
  "reload (good config): same process",
  "reload (good config): active",
  "reload (bad config): systemctl reload fails",
  "reload (bad config): the daemon keeps running",
  "reload (bad config): same process",
  "reload (bad config): the journal names the problem",
  "kill -9: restarted and active",
  "kill -9: a new process",
  "kill -9: NRestarts is 1",
  "SIGSTOP: restarted and active",
  "SIGSTOP: a new process",
  "SIGSTOP: systemd logged the watchdog timeout",
  "the watchdog never fired while the daemon ran (one timeout only)",
  "stop: inactive",
  "stop: the second disco sees the goodbye (leave)",
  "stop: not a failure (no 'failed' event)",
  "stop: exit status 0 (a clean stop)",
  "uninstall.sh exits 0",
  "uninstall.sh: no unit any more",
  "uninstall.sh: the config stays",
];

describe("systemd VM (Debian's systemd as PID 1)", { skip: why }, () => {
  let run: VmRun | undefined;
  let lines: string[] = [];
  // The boot is a test of its own (bun's node:test hooks take no timeout option; a test does).
  it("boots, runs the checks and powers off", { timeout: 420_000 }, async () => {
    run = await bootVm();
    lines = run.log.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "").split(/\r?\n/);
    console.log(`systemd VM boot + checks: ${(run.wallMs / 1000).toFixed(1)} s wall`);
    for (const l of lines.filter((x) => x.startsWith("BENCH "))) console.log(l);
    assert.ok(lines.some((l) => l.includes("VMTEST-DONE")), `the VM did not finish:\n${run.log.slice(-4000)}`);
  });
  it("ran to the end with no FAIL line", () => {
    assert.ok(run, "the VM did not boot");
    assert.ok(lines.some((l) => l.includes("VMTEST-DONE")), `the VM did not finish:\n${run.log.slice(-4000)}`);
    assert.deepEqual(lines.filter((l) => l.startsWith("FAIL")), [], run.log.slice(-4000));
  });
  for (const name of CHECKS) {
    it(`systemd: ${name}`, () => assert.ok(lines.includes(`PASS systemd: ${name}`), `missing PASS systemd: ${name}\n${lines.filter((l) => l.startsWith("FAIL")).join("\n")}`));
  }
});
