import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, renameSync, rmSync, symlinkSync } from "node:fs";
import { dirname, join } from "node:path";
import { ChipNotFoundError, GpioValueError, SysfsGpio } from "../../lib/gpio/index.ts";
import { createSysfsTree } from "./_sysfs-tree.ts";

describe("SysfsGpio over a temp tree", () => {
  it("chips() finds the base from the chip's device link, not from a guess (base 571)", async () => {
    using tree = createSysfsTree({ base: 571, label: "pinctrl-bcm2711", chipName: "gpiochip0" });
    const d = new SysfsGpio({ root: tree.root });
    assert.deepEqual(await d.chips(), [{ name: "gpiochip0", label: "pinctrl-bcm2711", lines: 8 }]);
    const l = await d.request("gpiochip0", 3, { direction: "output", initial: 1 });
    assert.equal(readFileSync(join(tree.root, "class/gpio/export"), "utf8"), "574");
    assert.equal(readFileSync(join(tree.lineDir(3), "value"), "utf8"), "1");
    await d.close();
  });
  it("finds the chip name from the entry's real path, as the kernel lays it out (device -> platform device)", async () => {
    using tree = createSysfsTree({ base: 600, chipName: "gpiochip3" });
    const cls = join(tree.root, "class/gpio");
    const real = join(tree.root, "devices/platform/gpio-sim.0/gpiochip3/gpio/gpiochip600");
    mkdirSync(dirname(real), { recursive: true });
    renameSync(join(cls, "gpiochip600"), real);
    rmSync(join(real, "device"));
    symlinkSync(join(tree.root, "devices/platform/gpio-sim.0"), join(real, "device"));
    symlinkSync(real, join(cls, "gpiochip600"));
    const d = new SysfsGpio({ root: tree.root });
    assert.deepEqual((await d.chips()).map((c) => c.name), ["gpiochip3"]);
  });
  it("a chip is also found by its label", async () => {
    using tree = createSysfsTree({ label: "sim-bank0" });
    const d = new SysfsGpio({ root: tree.root });
    assert.equal((await d.chip("sim-bank0")).name, "gpiochip0");
    await assert.rejects(d.chip("nope"), (e) => e instanceof ChipNotFoundError && e.available.includes("gpiochip0"));
  });
  it("without a device link the label names the chip", async () => {
    using tree = createSysfsTree({ base: 100, label: "old-chip" });
    rmSync(join(tree.root, "class/gpio/gpiochip100/device"));
    const d = new SysfsGpio({ root: tree.root });
    assert.deepEqual((await d.chips()).map((c) => c.name), ["old-chip"]);
  });
  it("release writes the line number to unexport", async () => {
    using tree = createSysfsTree({ base: 512 });
    const d = new SysfsGpio({ root: tree.root });
    const l = await d.request("gpiochip0", 5, { direction: "input" });
    await l.close();
    assert.equal(readFileSync(join(tree.root, "class/gpio/unexport"), "utf8"), "517");
  });
  it("outputs set direction high/low with the physical level, honouring active_low", async () => {
    using tree = createSysfsTree();
    const d = new SysfsGpio({ root: tree.root });
    await d.request("gpiochip0", 1, { direction: "output", activeLow: true, initial: 1 });
    assert.equal(readFileSync(join(tree.lineDir(1), "active_low"), "utf8"), "1");
    assert.equal(readFileSync(join(tree.lineDir(1), "direction"), "utf8"), "low");
    await d.close();
  });
  it("bias and drive are refused with a message that says what to use", async () => {
    using tree = createSysfsTree();
    const d = new SysfsGpio({ root: tree.root });
    await assert.rejects(d.request("gpiochip0", 1, { direction: "output", drive: "open-drain" }), GpioValueError);
    await assert.rejects(d.request("gpiochip0", 1, { direction: "input", bias: "pull-down" }), /cdev/);
  });
  it("a tree without class/gpio has no chips", async () => {
    using tree = createSysfsTree();
    const d = new SysfsGpio({ root: join(tree.root, "missing") });
    assert.deepEqual(await d.chips(), []);
  });
});
