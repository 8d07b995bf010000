import { describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseConfig } from "../../lib/config/index.ts";
import { DEFAULT_BUILDERS, planReload, sameSlice, sameSliceExcept, type DaemonInput } from "../../lib/daemon/index.ts";

const KEY = new Uint8Array(32).fill(7) as Uint8Array<ArrayBuffer>;

function input(toml: string, rawKeys: readonly Uint8Array<ArrayBuffer>[] = [KEY]): DaemonInput {
  return { config: parseConfig(toml), host: "pi-1", secrets: { rawKeys } };
}

const BASE = `
[discovery]
magic = "m"
port = 40000
[beacon]
enabled = true
broadcast = ["127.255.255.255"]
format = "json"
[metrics]
enabled = true
[[gpio.output]]
name = "pump"
chip = "gpiochip0"
line = 3
[services]
web = "http://one"
[control]
enabled = false
`;

/** The plan from BASE to `next`, as "name:action[!]" (! = conflicting). */
function plan(next: DaemonInput, from: DaemonInput = input(BASE)): string[] {
  const slices = (i: DaemonInput) => new Map(DEFAULT_BUILDERS.flatMap((b) => { const s = b.slice(i); return s === undefined ? [] : [[b.name, s] as const]; }));
  return planReload(DEFAULT_BUILDERS, slices(from), slices(next)).map((s) => `${s.name}:${s.action}${s.conflict ? "!" : ""}`);
}

describe("sameSlice()", () => {
  it("compares plain data structurally, byte arrays by content, ignoring key order and undefined keys", () => {
    assert.ok(sameSlice({ a: 1, b: [1, { c: "x" }] }, { b: [1, { c: "x" }], a: 1 }));
    assert.ok(sameSlice({ a: 1, b: undefined }, { a: 1 }));
    assert.ok(sameSlice(new Uint8Array([1, 2]), new Uint8Array([1, 2])));
    assert.ok(!sameSlice(new Uint8Array([1, 2]), new Uint8Array([1, 3])));
    assert.ok(!sameSlice(new Uint8Array([1]), [1]));
    assert.ok(!sameSlice([1, 2], [2, 1]));
    assert.ok(!sameSlice({ a: 1 }, { a: 1, b: 2 }));
    assert.ok(!sameSlice(null, {}));
  });

  it("is true for a value and its structured clone, whatever the value", () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => sameSlice(v, structuredClone(v))));
  });
});

describe("sameSliceExcept()", () => {
  it("ignores the named key only", () => {
    const a = { port: 1, self: { host: "a" } };
    assert.equal(sameSliceExcept(a, { port: 1, self: { host: "b" } }, "self"), true);
    assert.equal(sameSliceExcept(a, { port: 2, self: { host: "a" } }, "self"), false);
    assert.equal(sameSliceExcept(a, { port: 1, self: { host: "b" } }, "port"), false);
  });
});

describe("planReload() over the daemon's builders", () => {
  it("keeps every task when nothing changed (also across a re-parse)", () => {
    assert.deepEqual(plan(input(BASE)), ["discovery:keep", "beacons:keep", "metrics:keep", "gpio:keep"]);
  });

  it("a [services] change changes only discovery and beacons (their update applies it in place)", () => {
    assert.deepEqual(plan(input(BASE.replace("http://one", "http://two"))), ["discovery:change!", "beacons:change", "metrics:keep", "gpio:keep"]);
  });

  it("a new discovery port is a change beside the old socket; the same port with a new key conflicts", () => {
    assert.deepEqual(plan(input(BASE.replace("port = 40000", "port = 40001"))), ["discovery:change", "beacons:keep", "metrics:keep", "gpio:keep"]);
    const other = new Uint8Array(32).fill(9) as Uint8Array<ArrayBuffer>;
    assert.deepEqual(plan(input(BASE, [other])), ["discovery:change!", "beacons:change", "metrics:keep", "gpio:keep"]);
  });

  it("a GPIO change conflicts (the lines are held) and is a self-description change for discovery and beacons", () => {
    assert.deepEqual(plan(input(BASE.replace('name = "pump"', 'name = "valve"'))), ["discovery:change!", "beacons:change", "metrics:keep", "gpio:change!"]);
  });

  it("a metrics interval change restarts metrics on the same endpoints (conflict); a receiver-only key changes nothing", () => {
    assert.deepEqual(plan(input(BASE.replace("enabled = true\n[[gpio", "enabled = true\ninterval = 30\n[[gpio"))), ["discovery:keep", "beacons:keep", "metrics:change!", "gpio:keep"]);
    assert.deepEqual(plan(input(BASE.replace("[metrics]\n", '[metrics]\nconnect = ["tcp://10.0.0.9:9000"]\n'))), ["discovery:keep", "beacons:keep", "metrics:keep", "gpio:keep"]);
  });

  it("starts and stops capabilities that are switched on and off (GPIO then publishes its changes elsewhere)", () => {
    assert.deepEqual(plan(input(BASE.replace("[beacon]\nenabled = true", "[beacon]\nenabled = false"))), ["discovery:keep", "beacons:stop", "metrics:keep", "gpio:keep"]);
    assert.deepEqual(plan(input(BASE), input(BASE.replace("[metrics]\nenabled = true", "[metrics]\nenabled = false"))), ["discovery:change!", "beacons:change", "metrics:start", "gpio:change!"]);
  });
});
