/**
 * GPIO figures. Inside the gpio-sim VM (real kernel, qemu TCG): edge-to-event latency (simulator pull change
 * -> event delivered to a subscriber), output toggles per second from a long-lived process, software PWM
 * jitter at 50 Hz. Those come from the runner's BENCH lines: the console of the last VM boot when it is
 * newer than the code, else one fresh boot. On the host: software PWM jitter and toggles on the fake driver
 * and sysfs over a temp tree, for comparison. Prints figures; never fails on time.
 */
import { FakeGpio, monotonicNs, startSoftPwm, SysfsGpio, type LineHandle, type LineValue } from "../lib/gpio/index.ts";
import { createSysfsTree } from "../tests/gpio/_sysfs-tree.ts";
import { bootVm, freshConsoleLog, vmUnavailable } from "../tests/gpio/vm/_vm.ts";

const pct = (s: number[], p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;

async function toggles(h: LineHandle, ms: number): Promise<number> {
  let n = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) await h.write((n++ & 1) as LineValue);
  return Math.round((n * 1000) / ms);
}

async function pwmJitter(h: LineHandle, periods: number): Promise<{ p50: number; p99: number; max: number }> {
  const starts: bigint[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const pwm = startSoftPwm(h, { periodMs: 20, duty: 0.2, onPeriodStart: (t) => (starts.push(t) === periods + 1 ? done() : undefined) });
  await finished;
  await pwm.close();
  const dev = starts.slice(1).map((t, i) => Math.abs(Number(t - starts[i]!) / 1e6 - 20)).sort((a, b) => a - b);
  return { p50: pct(dev, 50), p99: pct(dev, 99), max: dev.at(-1)! };
}

console.log("host (no kernel GPIO; for comparison):");
{
  const fake = new FakeGpio();
  const out = await fake.request("gpiochip0", 0, { direction: "output" });
  console.log(`  toggles/s, fake driver:                 ${await toggles(out, 500)}`);
  const j = await pwmJitter(out, 100);
  console.log(`  soft PWM 50 Hz jitter, fake driver:     p50 ${j.p50.toFixed(3)} ms  p99 ${j.p99.toFixed(3)} ms  max ${j.max.toFixed(3)} ms (100 periods)`);
  await fake.close();
  using tree = createSysfsTree();
  const sysfs = new SysfsGpio({ root: tree.root });
  const s = await sysfs.request("gpiochip0", 1, { direction: "output" });
  console.log(`  toggles/s, sysfs over a temp tree:      ${await toggles(s, 500)}`);
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
