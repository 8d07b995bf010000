import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { command } from "../../lib/cli/gpio.ts";
import { UsageError, type CliIo } from "../../lib/cli/index.ts";
import { createSysfsTree, type SysfsTree } from "./_sysfs-tree.ts";

function capture(onOut?: (text: string) => void, onErr?: (text: string) => void): { io: CliIo; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  return {
    io: {
      out: (t) => {
        out += t;
        onOut?.(t);
      },
      err: (t) => {
        err += t;
        onErr?.(t);
      },
      env: {},
      stdoutIsTTY: false,
    },
    out: () => out,
    err: () => err,
  };
}

/** Writes a config into the tree's temp dir, so it goes when the tree does. */
function configFile(tree: SysfsTree, text: string): string {
  const f = join(tree.root, "disco.toml");
  writeFileSync(f, text);
  return f;
}

const never = new AbortController().signal;

describe("disco gpio (sysfs driver over a temp tree)", () => {
  it("info lists the chip and its lines, and --json gives the same", async () => {
    using tree = createSysfsTree({ base: 512 });
    const c = capture();
    assert.equal(await command.run(["info", "--driver", "sysfs", "--sysfs-root", tree.root], c.io, never), 0);
    assert.match(c.out(), /^gpiochip0 \[sim-bank0\] \(8 lines\)/);
    const j = capture();
    assert.equal(await command.run(["info", "--json", "--driver", "sysfs", "--sysfs-root", tree.root], j.io, never), 0);
    const parsed = JSON.parse(j.out());
    assert.equal(parsed.driver, "sysfs");
    assert.equal(parsed.chips[0].info.length, 8);
  });
  it("get reads a raw chip:line", async () => {
    using tree = createSysfsTree();
    writeFileSync(join(tree.lineDir(3), "value"), "1\n");
    const c = capture();
    assert.equal(await command.run(["get", "gpiochip0:3", "--driver", "sysfs", "--sysfs-root", tree.root], c.io, never), 0);
    assert.equal(c.out(), "1\n");
  });
  it("set drives a declared output by name and holds it until the signal, then releases it", async () => {
    using tree = createSysfsTree();
    const cfg = configFile(tree, `[gpio]\ndriver = "sysfs"\nsysfs_root = "${tree.root}"\n[[gpio.output]]\nname = "pump"\nline = 2\n`);
    const stop = new AbortController();
    let holding!: () => void;
    const held = new Promise<void>((r) => (holding = r));
    const c = capture(undefined, (t) => t.includes("holding") && holding());
    const run = command.run(["set", "pump", "1", "-c", cfg], c.io, stop.signal);
    await held;
    assert.match(c.err(), /pump = 1, holding until Ctrl-C \/ SIGTERM/);
    assert.equal(readFileSync(join(tree.lineDir(2), "value"), "utf8"), "1");
    assert.equal(readFileSync(join(tree.root, "class", "gpio", "unexport"), "utf8"), "", "released while holding");
    stop.abort();
    assert.equal(await run, 0);
    assert.equal(readFileSync(join(tree.root, "class", "gpio", "unexport"), "utf8"), String(tree.base + 2));
  });
  it("set --exit sets and exits at once, leaving the sysfs line exported with its value", async () => {
    using tree = createSysfsTree();
    const c = capture();
    assert.equal(await command.run(["set", "gpiochip0:5", "1", "--exit", "--driver", "sysfs", "--sysfs-root", tree.root], c.io, never), 0);
    assert.equal(readFileSync(join(tree.lineDir(5), "value"), "utf8"), "1");
    assert.equal(readFileSync(join(tree.root, "class", "gpio", "unexport"), "utf8"), "");
    assert.match(c.err(), /left set/);
  });
  it("set --exit is refused for the cdev driver, and with --hold", async () => {
    const empty = mkdtempSync(join(tmpdir(), "disco-dev-"));
    await assert.rejects(command.run(["set", "gpiochip0:5", "1", "--exit", "--driver", "cdev", "--dev-dir", empty], capture().io, never), (e) => e instanceof UsageError && /--exit needs the sysfs driver/.test(e.message));
    await assert.rejects(command.run(["set", "gpiochip0:5", "1", "--exit", "--hold", "1s"], capture().io, never), (e) => e instanceof UsageError && /not both/.test(e.message));
  });
  it("set refuses a value other than 0/1, and an unknown name, as usage errors", async () => {
    using tree = createSysfsTree();
    await assert.rejects(command.run(["set", "gpiochip0:2", "2", "--sysfs-root", tree.root], capture().io, never), (e) => e instanceof UsageError && /0 or 1/.test(e.message));
    await assert.rejects(command.run(["get", "pump"], capture().io, never), (e) => e instanceof UsageError && /CHIP:LINE/.test(e.message));
  });
  it("a missing chip is exit 1 with the chips that exist", async () => {
    using tree = createSysfsTree();
    const c = capture();
    assert.equal(await command.run(["get", "gpiochip7:1", "--driver", "sysfs", "--sysfs-root", tree.root], c.io, never), 1);
    assert.match(c.err(), /gpiochip7' not found \(available: gpiochip0\).*disco gpio info/);
  });
  it("watch prints NDJSON: the initial value, then each change, and stops after --count", async () => {
    using tree = createSysfsTree();
    const cfg = configFile(tree, `[[gpio.input]]\nname = "door"\nline = 4\nedge = "both"\n`);
    let sawInitial!: () => void;
    const initial = new Promise<void>((r) => (sawInitial = r));
    const c = capture((t) => t.includes('"initial"') && sawInitial());
    const run = command.run(["watch", "door", "--json", "--count", "1", "-c", cfg, "--driver", "sysfs", "--sysfs-root", tree.root], c.io, never);
    await initial;
    writeFileSync(join(tree.lineDir(4), "value"), "1\n");
    assert.equal(await run, 0);
    const lines = c.out().trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.name, l.value, l.cause, l.line]), [["door", 0, "initial", 4], ["door", 1, "rising", 4]]);
  });
  it("cdev with no chips says so", async () => {
    const empty = mkdtempSync(join(tmpdir(), "disco-dev-"));
    const c = capture();
    assert.equal(await command.run(["info", "--driver", "cdev", "--dev-dir", empty], c.io, never), 0);
    assert.match(c.out(), /no GPIO chips found \(driver cdev\)/);
  });
  it("--help has examples", async () => {
    const c = capture();
    assert.equal(await command.run(["--help"], c.io, never), 0);
    assert.match(c.out(), /Examples:[\s\S]*disco gpio set pump_drive 1 --hold 5s/);
  });
});

describe("disco gpio info against the config", () => {
  it("reports a declared line whose chip does not exist (exit 1), naming the chips that do", async () => {
    using tree = createSysfsTree();
    const cfg = configFile(tree, `[[gpio.input]]\nname = "door"\nchip = "gpiochip4"\nline = 1\n`);
    const c = capture();
    assert.equal(await command.run(["info", "-c", cfg, "--driver", "sysfs", "--sysfs-root", tree.root], c.io, never), 1);
    assert.match(c.err(), /config line 'door' uses chip 'gpiochip4', which does not exist here \(chips: gpiochip0\)/);
  });
});

describe("disco gpio flag values", () => {
  it("--sysfs-root and --dev-dir that are not directories are usage errors", async () => {
    await assert.rejects(command.run(["info", "--driver", "sysfs", "--sysfs-root", "/nonexist"], capture().io, never), (e) => e instanceof UsageError && /--sysfs-root: no such directory '\/nonexist'/.test(e.message));
    await assert.rejects(command.run(["info", "--driver", "cdev", "--dev-dir", "/nonexist"], capture().io, never), (e) => e instanceof UsageError && /--dev-dir/.test(e.message));
  });
});
