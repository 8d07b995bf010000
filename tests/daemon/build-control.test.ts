import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config/index.ts";
import { controlBuilder, DEFAULT_BUILDERS, planReload, type DaemonInput } from "../../lib/daemon/index.ts";

const KEY = new Uint8Array(32).fill(7) as Uint8Array<ArrayBuffer>;
const input = (toml: string, rawKeys: readonly Uint8Array<ArrayBuffer>[] = [KEY]): DaemonInput => ({ config: parseConfig(toml), host: "pi-1", secrets: { rawKeys } });

const BASE = `
[discovery]
magic = "m"
[control]
port = 40001
[[gpio.output]]
name = "pump"
line = 3
remote = true
[[query]]
name = "uptime"
command = ["cat", "/proc/uptime"]
`;

/** The control task's step from BASE to `next`, as "action[!]" (! = conflicting), or "-" when absent. */
function step(next: string, from = BASE, keys?: readonly Uint8Array<ArrayBuffer>[]): string {
  const slices = (i: DaemonInput) => new Map(DEFAULT_BUILDERS.flatMap((b) => { const s = b.slice(i); return s === undefined ? [] : [[b.name, s] as const]; }));
  const s = planReload(DEFAULT_BUILDERS, slices(input(from)), slices(input(next, keys))).find((x) => x.name === "control");
  return s ? `${s.action}${s.conflict ? "!" : ""}` : "-";
}

describe("controlBuilder", () => {
  it("is enabled by declared GPIO lines or queries with a key, and off with [control] enabled = false", () => {
    assert.ok(controlBuilder.slice(input(BASE)));
    assert.ok(controlBuilder.slice(input(`[[query]]\nname = "q"\ncommand = "true"\n`)));
    assert.ok(controlBuilder.slice(input(`[[gpio.input]]\nname = "door"\nline = 1\n`)));
    assert.equal(controlBuilder.slice(input("")), undefined, "nothing to serve");
    assert.equal(controlBuilder.slice(input(BASE, [])), undefined, "no key: nothing could be served");
    assert.equal(controlBuilder.slice(input(`${BASE}`.replace("port = 40001", "port = 40001\nenabled = false"))), undefined);
  });

  it("keeps the task when nothing changed; a query, a line's remote flag or the key restart it on its port (conflict)", () => {
    assert.equal(step(BASE), "keep");
    assert.equal(step(BASE.replace('"/proc/uptime"', '"/proc/loadavg"')), "change!");
    assert.equal(step(BASE.replace("remote = true", "remote = false")), "change!");
    assert.equal(step(BASE, BASE, [new Uint8Array(32).fill(9) as Uint8Array<ArrayBuffer>]), "change!");
  });

  it("a new port starts beside the old one; switching it off stops it", () => {
    assert.equal(step(BASE.replace("port = 40001", "port = 40002")), "change");
    assert.equal(step(BASE.replace("port = 40001", "port = 40001\nenabled = false")), "stop");
    assert.equal(step(BASE, BASE.replace("port = 40001", "port = 40001\nenabled = false")), "start");
  });
});
