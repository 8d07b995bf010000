/**
 * The contract suite and the benchmarks, run inside the gpio-sim VM against the real kernel: cdev
 * (/dev/gpiochipN) and sysfs (/sys/class/gpio). Bundled with `bun build --target=bun` and run by dist/disco's
 * own Bun (`BUN_BE_BUN=1`), so the initramfs holds one Bun runtime. Prints one line per case:
 * `PASS <driver>: <case>` or `FAIL <driver>: <case>: <why>`, then `BENCH <name> <figures>` lines.
 *
 * Usage (inside the VM): BUN_BE_BUN=1 disco /usr/lib/gpio-runner.js CHIP SIM_DIR
 *   e.g. CHIP=gpiochip0 SIM_DIR=/sys/devices/platform/gpio-sim.0/gpiochip0
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CdevGpio, monotonicNs, SysfsGpio, type GpioDriver, type LineValue } from "../../../lib/gpio/index.ts";
import { CONTRACT_CASES, nextEvent, type ContractHarness } from "../_contract.ts";
import { measurePwmJitter, measureToggles, summarize } from "../_measure.ts";

const [chip = "gpiochip0", sim = "/sys/devices/platform/gpio-sim.0/gpiochip0"] = process.argv.slice(2);

const setPull = async (line: number, level: LineValue) => writeFileSync(join(sim, `sim_gpio${line}`, "pull"), level ? "pull-up" : "pull-down");
const physical = async (line: number): Promise<LineValue> => (readFileSync(join(sim, `sim_gpio${line}`, "value"), "utf8").trim() === "1" ? 1 : 0);

function harness(name: string, make: () => GpioDriver, supportsBias: boolean, consumer: (l: string) => string): ContractHarness {
  return { name, chip, supportsBias, driver: async () => make(), setPull, physical, expectedConsumer: consumer, observesRelease: true };
}

const harnesses = [
  harness("cdev", () => new CdevGpio(), true, (l) => l),
  harness("sysfs", () => new SysfsGpio(), false, () => "sysfs"),
  harness("sysfs-scan", () => new SysfsGpio({ edgeWait: "scan", scanIntervalMs: 2 }), false, () => "sysfs"),
];

let failures = 0;
for (const h of harnesses) {
  for (const c of CONTRACT_CASES) {
    // Every case starts from pulled-down lines, as a fresh gpio-sim bank does.
    for (let i = 0; i < 7; i++) await setPull(i, 0);
    try {
      await c.run(h);
      console.log(`PASS ${h.name}: ${c.name}`);
    } catch (err) {
      failures++;
      console.log(`FAIL ${h.name}: ${c.name}: ${String(err instanceof Error ? err.message : err).split("\n").slice(0, 6).join(" | ")}`);
    }
  }
}

const fmt = (n: number) => n.toFixed(3);

async function benchEdgeLatency(name: string, d: GpioDriver, n: number): Promise<void> {
  await setPull(5, 0);
  const l = await d.request(chip, 5, { direction: "input", edge: "both" });
  const it = l.events()[Symbol.asyncIterator]();
  const delivered: number[] = [];
  const kernel: number[] = [];
  let level: LineValue = 0;
  for (let i = 0; i < n; i++) {
    level = level ? 0 : 1;
    const t0 = monotonicNs();
    await setPull(5, level);
    const e = await nextEvent(it, "edge");
    const t1 = monotonicNs();
    delivered.push(Number(t1 - t0) / 1e6);
    kernel.push(Number(e.timestampNs - t0) / 1e6);
  }
  await l.close();
  const dl = summarize(delivered);
  console.log(`BENCH edge-latency ${name} n=${n} p50_ms=${fmt(dl.p50)} p99_ms=${fmt(dl.p99)} kernel_ts_p50_ms=${fmt(summarize(kernel).p50)}`);
}

async function benchToggles(name: string, d: GpioDriver, ms: number): Promise<void> {
  const l = await d.request(chip, 2, { direction: "output" });
  const perS = await measureToggles(l, ms);
  await l.close();
  console.log(`BENCH toggles ${name} per_s=${perS}`);
}

async function benchPwm(name: string, d: GpioDriver, periods: number): Promise<void> {
  const l = await d.request(chip, 3, { direction: "output" });
  const j = await measurePwmJitter(l, periods);
  await l.close();
  console.log(`BENCH pwm-jitter ${name} hz=50 periods=${periods} p50_ms=${fmt(j.p50)} p99_ms=${fmt(j.p99)} max_ms=${fmt(j.max)}`);
}

if (!process.env["GPIO_RUNNER_NO_BENCH"]) {
  try {
    const cdev = new CdevGpio();
    await benchEdgeLatency("cdev", cdev, 200);
    await benchToggles("cdev", cdev, 1000);
    await benchPwm("cdev", cdev, 150);
    await cdev.close();
    const sysfs = new SysfsGpio();
    await benchEdgeLatency("sysfs-interrupt", sysfs, 100);
    await benchToggles("sysfs", sysfs, 1000);
    await sysfs.close();
    const scan = new SysfsGpio({ edgeWait: "scan", scanIntervalMs: 2 });
    await benchEdgeLatency("sysfs-scan-2ms", scan, 100);
    await scan.close();
  } catch (err) {
    console.log(`FAIL bench: ${String(err)}`);
    failures++;
  }
}
console.log(`RUNNER-DONE failures=${failures}`);
process.exitCode = failures ? 1 : 0;
