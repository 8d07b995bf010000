/**
 * GPIO figures. Inside the gpio-sim VM (real kernel, qemu TCG): edge-to-event latency (simulator pull change
 * -> event delivered to a subscriber), output toggles per second from a long-lived process, software PWM
 * jitter at 50 Hz. Those come from the runner's BENCH lines: the console of the last VM boot when it is
 * newer than the code, else one fresh boot. On the host: software PWM jitter and toggles on the fake driver
 * and sysfs over a temp tree, for comparison. Prints figures; never fails on time.
 */
import { FakeGpio, monotonicNs, SysfsGpio } from "../lib/gpio/index.ts";
import { measurePwmJitter, measureToggles } from "../tests/gpio/_measure.ts";
import { createSysfsTree } from "../tests/gpio/_sysfs-tree.ts";
import { bootVm, freshConsoleLog, vmUnavailable } from "../tests/gpio/vm/_vm.ts";

console.log("host (no kernel GPIO; for comparison):");
{
  const fake = new FakeGpio();
  const out = await fake.request("gpiochip0", 0, { direction: "output" });
  console.log(`  toggles/s, fake driver:                 ${await measureToggles(out, 500)}`);
  const j = await measurePwmJitter(out, 100);
  console.log(`  soft PWM 50 Hz jitter, fake driver:     p50 ${j.p50.toFixed(3)} ms  p99 ${j.p99.toFixed(3)} ms  max ${j.max.toFixed(3)} ms (100 periods)`);
  await fake.close();
  using tree = createSysfsTree();
  const sysfs = new SysfsGpio({ root: tree.root });
  const s = await sysfs.request("gpiochip0", 1, { direction: "output" });
  console.log(`  toggles/s, sysfs over a temp tree:      ${await measureToggles(s, 500)}`);
  await sysfs.close();
  const t0 = monotonicNs();
  for (let i = 0; i < 100_000; i++) monotonicNs();
  console.log(`  monotonicNs() (clock_gettime via ffi):  ${(Number(monotonicNs() - t0) / 100_000).toFixed(0)} ns/call`);
}

let log = freshConsoleLog();
if (!log) {
  const why = vmUnavailable();
  if (why) {
    console.log(`\ngpio-sim VM figures: ${why}`);
    process.exit(0);
  }
  console.log("\nbooting the gpio-sim VM once for the in-VM figures ...");
  const r = await bootVm();
  log = r.log;
  console.log(`VM boot + contract suite + CLI checks + bench: ${(r.wallMs / 1000).toFixed(1)} s wall`);
}
console.log("\ngpio-sim VM (Debian 6.1 kernel, qemu TCG -cpu max, 2 vCPU; slow emulation, so absolute figures are pessimistic):");
for (const l of log.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "").split(/\r?\n/)) if (l.startsWith("BENCH ")) console.log(`  ${l.slice(6)}`);
