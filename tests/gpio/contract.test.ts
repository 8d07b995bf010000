import { describe, it } from "node:test";
import { FakeGpio } from "../../lib/gpio/index.ts";
import { CONTRACT_CASES, type ContractHarness } from "./_contract.ts";
import { createSysfsTree, sysfsTreeHarness } from "./_sysfs-tree.ts";

function fakeHarness(): ContractHarness {
  let fake = new FakeGpio();
  return {
    name: "fake",
    chip: "gpiochip0",
    supportsBias: true,
    driver: async () => (fake = new FakeGpio()),
    setPull: async (line, level) => fake.setPull("gpiochip0", line, level),
    physical: async (line) => fake.physical("gpiochip0", line),
    expectedConsumer: (label) => label,
    observesRelease: true,
  };
}

describe("GPIO driver contract: fake", () => {
  const h = fakeHarness();
  for (const c of CONTRACT_CASES) it(c.name, () => c.run(h));
});

describe("GPIO driver contract: sysfs over a temp tree", () => {
  for (const c of CONTRACT_CASES) {
    it(c.name, async () => {
      using tree = createSysfsTree();
      await c.run(sysfsTreeHarness(tree));
    });
  }
});
