/**
 * A temp tree that looks like `/sys/class/gpio` with one chip, and a harness that plays the kernel and the
 * outside world on it (values in files, active_low applied on the harness side).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SysfsGpio, type LineValue } from "../../lib/gpio/index.ts";
import type { ContractHarness } from "./_contract.ts";

export interface SysfsTree extends Disposable {
  readonly root: string;
  readonly base: number;
  lineDir(line: number): string;
}

/**
 * Creates `<root>/class/gpio/{export,unexport,gpiochip<base>/{base,ngpio,label,device}}` and one exported
 * directory per line (the driver's export write is a plain file write here).
 */
export function createSysfsTree(options: { base?: number; lines?: number; label?: string; chipName?: string } = {}): SysfsTree {
  const root = mkdtempSync(join(tmpdir(), "disco-sysfs-"));
  const base = options.base ?? 512;
  const lines = options.lines ?? 8;
  const cls = join(root, "class", "gpio");
  const dev = join(root, "devices", "platform", "gpio-sim.0", options.chipName ?? "gpiochip0");
  mkdirSync(cls, { recursive: true });
  mkdirSync(dev, { recursive: true });
  writeFileSync(join(cls, "export"), "");
  writeFileSync(join(cls, "unexport"), "");
  const chip = join(cls, `gpiochip${base}`);
  mkdirSync(chip);
  writeFileSync(join(chip, "base"), `${base}\n`);
  writeFileSync(join(chip, "ngpio"), `${lines}\n`);
  writeFileSync(join(chip, "label"), `${options.label ?? "sim-bank0"}\n`);
  symlinkSync(dev, join(chip, "device"));
  for (let i = 0; i < lines; i++) {
    const d = join(cls, `gpio${base + i}`);
    mkdirSync(d);
    writeFileSync(join(d, "value"), "0\n");
    writeFileSync(join(d, "direction"), "in\n");
    writeFileSync(join(d, "active_low"), "0\n");
    writeFileSync(join(d, "edge"), "none\n");
  }
  return {
    root,
    base,
    lineDir: (line) => join(cls, `gpio${base + line}`),
    [Symbol.dispose]: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** The contract harness over a tree: the harness writes logical values as the kernel would show them. */
export function sysfsTreeHarness(tree: SysfsTree): ContractHarness {
  const activeLow = (line: number) => readFileSync(join(tree.lineDir(line), "active_low"), "utf8").trim() === "1";
  return {
    name: "sysfs (temp tree)",
    chip: "gpiochip0",
    supportsBias: false,
    driver: async () => new SysfsGpio({ root: tree.root, scanIntervalMs: 2 }),
    setPull: async (line, level) => {
      const logical = activeLow(line) ? 1 - level : level;
      writeFileSync(join(tree.lineDir(line), "value"), `${logical}\n`);
    },
    physical: async (line) => {
      const v = readFileSync(join(tree.lineDir(line), "value"), "utf8").trim() === "1" ? 1 : 0;
      return (activeLow(line) ? 1 - v : v) as LineValue;
    },
    expectedConsumer: () => "sysfs",
    observesRelease: false,
  };
}
