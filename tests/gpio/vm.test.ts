/**
 * The real-kernel target: boots Debian's kernel with gpio-sim under qemu once, runs the contract suite against
 * cdev and sysfs (tests/gpio/vm/runner.ts, bundled) and the CLI end-to-end checks (tests/gpio/vm/test.sh,
 * with the real dist/disco), and asserts every expected PASS line and no FAIL line on the serial console.
 * Skips only when qemu or the cached kernel/modules cannot be had (see tests/gpio/vm/prepare.sh).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CONTRACT_CASES } from "./_contract.ts";
import { bootVm, vmUnavailable, type VmRun } from "./vm/_vm.ts";

const why = vmUnavailable();
if (why) console.log(why);

const CLI_CHECKS = [
  "info names the chip",
  "info shows the hog's consumer",
  "info --json has the consumer",
  "get sees pull-up",
  "get sees pull-down",
  "get via sysfs driver",
  "set --hold drives the line (sim value)",
  "busy message names the consumer",
  "sysfs busy message",
  "released line returns to its pull",
  "set without --hold holds the line",
  "set says it holds until Ctrl-C",
  "set without --hold exits 0 on SIGTERM",
  "set --exit exits 0 at once",
  "set --exit leaves the sysfs line driven",
  "set --exit with the cdev driver is a usage error",
  "busy hog names its consumer",
  "bad value exits 2",
  "missing chip lists the chips",
  "watch reports the rising edge",
  "watch reports the falling edge",
  "named active-low output: 1 drives the line low",
  "set --hold 3s exits 0 when the time is up",
  "the held line returns to its pull",
  "named input with bias pull-up reads 1",
  "info marks declared lines",
  "remote set of a remote = true line exits 0",
  "remote set drives the real line (sim value)",
  "remote get reads it back",
  "remote set of a local-only line exits 2",
  "remote set of a local-only line says why",
  "the local-only line is unchanged",
  "the target logs the remote write with its source",
  "the serving disco-server exits 0 on SIGTERM",
  "permission message suggests the gpio group",
];

describe("gpio-sim VM (real kernel)", { skip: why }, () => {
  let run: VmRun;
  let lines: string[];
  // Booting and running everything under TCG takes about a minute alone and over two on a loaded machine.
  // The boot is this first test (bun applies its global --timeout to hooks, 120 s under npm test, but honours
  // a test's own), with bootVm()'s 240 s kill of qemu inside the 300 s here; the tests below read its log.
  it("boots the VM and runs the suite inside", { timeout: 300_000 }, async () => {
    run = await bootVm();
    lines = run.log.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "").split(/\r?\n/);
    console.log(`VM boot + tests: ${(run.wallMs / 1000).toFixed(1)} s wall`);
    for (const l of lines.filter((x) => x.startsWith("BENCH "))) console.log(l);
  });
  it("ran to the end with no FAIL line", () => {
    assert.ok(lines.some((l) => l.includes("VM-DONE")), `the VM did not finish:\n${run.log.slice(-3000)}`);
    assert.ok(lines.some((l) => l.startsWith("RUNNER-DONE")), "the runner did not finish");
    assert.ok(lines.some((l) => l.startsWith("CLI-DONE")), "test.sh did not finish");
    assert.deepEqual(lines.filter((l) => l.startsWith("FAIL")), []);
  });
  for (const driver of ["cdev", "sysfs", "sysfs-scan"]) {
    for (const c of CONTRACT_CASES) {
      it(`contract on the real kernel, ${driver}: ${c.name}`, () => {
        assert.ok(lines.includes(`PASS ${driver}: ${c.name}`), `missing PASS ${driver}: ${c.name}`);
      });
    }
  }
  for (const name of CLI_CHECKS) {
    it(`CLI end-to-end: ${name}`, () => assert.ok(lines.includes(`PASS cli: ${name}`), `missing PASS cli: ${name}`));
  }
  it("benchmarks printed their figures", () => {
    for (const b of ["edge-latency cdev", "toggles cdev", "pwm-jitter cdev", "edge-latency sysfs-interrupt", "edge-latency sysfs-scan-2ms"]) assert.ok(lines.some((l) => l.startsWith(`BENCH ${b}`)), b);
  });
});
