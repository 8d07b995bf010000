/**
 * `disco gpio info` in-process over a sysfs tree: a chip label is whatever a driver (or whoever can write
 * the tree) set, so it reaches the terminal escaped, in text and in `--json`.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { command } from "../../lib/cli/gpio.ts";
import { createSysfsTree } from "../gpio/_sysfs-tree.ts";
import { captureIo, RAW_CONTROL } from "./_io.ts";

describe("disco gpio info and a hostile chip label (sysfs tree)", () => {
  const LABEL = "sim\x1b]52;c;aGk=\x07\u202e\x9b";
  const info = async (...args: string[]) => {
    using tree = createSysfsTree({ lines: 2, label: LABEL });
    const config = join(tree.root, "empty.toml");
    writeFileSync(config, "");
    const c = captureIo();
    const code = await command.run(["info", "-c", config, "--driver", "sysfs", "--sysfs-root", tree.root, ...args], c.io, new AbortController().signal);
    assert.equal(code, 0, c.err);
    assert.ok(!RAW_CONTROL.test(c.out), JSON.stringify(c.out));
    return c.out;
  };
  it("escapes the label in the text", { timeout: 20_000 }, async () => {
    assert.match(await info(), /^gpiochip0 \[sim\\x1b\]52;c;aGk=\\x07\\u202e\\x9b\] \(2 lines\)\n/);
  });
  it("--json is terminal-safe JSON with the label as it is", { timeout: 20_000 }, async () => {
    assert.equal((JSON.parse(await info("--json")) as { chips: { label: string }[] }).chips[0]?.label, LABEL);
  });
});
