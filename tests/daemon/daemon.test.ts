import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createBeaconIdentity } from "../../lib/beacon/index.ts";
import { parseConfig } from "../../lib/config/index.ts";
import { Daemon, errorMessage, type Builder, type DaemonInput, type Prepared } from "../../lib/daemon/index.ts";
import { NetError } from "../../lib/net/index.ts";
import { TransportError } from "../../lib/zmtp/index.ts";
import { aborted, FakeClock, memoryLogger } from "./_fakes.ts";

/** A fake capability: its slice comes from `input.secrets.password` as JSON, e.g. {"a": {"v": 1}}. */
interface Fake {
  readonly v: number;
  readonly port?: number;
  readonly self?: string;
  readonly fail?: boolean;
}

interface Journal {
  events: string[];
  /** Ports "bound" by running or prepared fakes. */
  bound: Set<number>;
}

function fakeBuilder(name: string, j: Journal): Builder<Fake> {
  return {
    name,
    slice: (input) => (JSON.parse(input.secrets.password ?? "{}") as Record<string, Fake>)[name],
    conflicts: (a, b) => a.port !== undefined && a.port === b.port,
    async prepare(slice): Promise<Prepared<Fake>> {
      if (slice.fail) throw new Error(`${name} cannot start`);
      if (slice.port !== undefined) {
        if (j.bound.has(slice.port)) throw new Error(`EADDRINUSE ${slice.port}`);
        j.bound.add(slice.port);
      }
      j.events.push(`prepare ${name} v${slice.v}`);
      let self = slice.self;
      let closed = false;
      return {
        run: async ({ signal }) => {
          j.events.push(`run ${name} v${slice.v}`);
          await aborted(signal);
          j.events.push(`stop ${name} v${slice.v} (${String(signal.reason)})`);
        },
        update: async (next) => {
          if (next.v !== slice.v || next.port !== slice.port || next.fail) return undefined;
          return () => {
            j.events.push(`update ${name} ${self} -> ${next.self}`);
            self = next.self;
          };
        },
        counters: () => ({ self: self ?? "" }),
        close: async () => {
          if (closed) return;
          closed = true;
          if (slice.port !== undefined) j.bound.delete(slice.port);
        },
      };
    },
  };
}

function input(slices: Record<string, Fake>): DaemonInput {
  return { config: parseConfig(""), host: "h", secrets: { rawKeys: [], password: JSON.stringify(slices) } };
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

function setup() {
  const j: Journal = { events: [], bound: new Set() };
  const log = memoryLogger();
  const clock = new FakeClock();
  const daemon = new Daemon({
    builders: [fakeBuilder("a", j), fakeBuilder("b", j)],
    log,
    identity: createBeaconIdentity(),
    spawnHook: async () => ({ exitCode: 0, timedOut: false }),
    version: "test",
    pid: 1,
    clock,
  });
  return { j, log, clock, daemon };
}

describe("Daemon.reload()", () => {
  it("gives the membership table (which outlives every task) the reloaded [beacon] times; hosts stay", async () => {
    const { daemon } = setup();
    await daemon.start(input({ a: { v: 1 } }));
    const table = daemon.context.membership;
    table.observe({ host: "peer", address: "10.0.0.5", intervalMs: 1000, source: "disco.py" });
    const due = () => table.msUntilNextChange() ?? NaN;
    assert.ok(due() > 1900 && due() <= 2001, `suspect after 2 intervals by default, due in ${due()} ms`);
    const r = await daemon.reload({ ...input({ a: { v: 1 } }), config: parseConfig("[beacon]\nsuspect_after = 5\nfailed_after = 8\n") });
    assert.equal(r.ok, true);
    assert.ok(due() > 4900 && due() <= 5001, `suspect after 5 intervals once reloaded, due in ${due()} ms`);
    assert.equal(table.get("peer")?.state, "alive");
    await daemon.stop();
  });

  it("carries an unchanged task over, updates a self-description in place, replaces a changed one after preparing it", async () => {
    const { j, daemon } = setup();
    await daemon.start(input({ a: { v: 1, self: "x" }, b: { v: 1, port: 10 } }));
    await settle();
    j.events.length = 0;
    const r = await daemon.reload(input({ a: { v: 1, self: "y" }, b: { v: 2, port: 11 } }));
    await settle();
    assert.equal(r.ok, true);
    assert.equal(r.generation, 2);
    assert.deepEqual(r.changes, { replaced: ["b"], updated: ["a"], started: [], stopped: [] });
    assert.deepEqual(j.events, ["prepare b v2", "update a x -> y", "stop b v1 (replaced)", "run b v2"]);
    assert.deepEqual([...j.bound], [11]);
    assert.equal(daemon.status().generation, 2);
    assert.deepEqual(daemon.status().tasks.map((t) => `${t.name}:${t.state}`), ["a:running", "b:running"]);
    await daemon.stop();
  });

  it("refuses a reload whose new task cannot be prepared: nothing stops, nothing updates, every problem is named", async () => {
    const { j, daemon, log } = setup();
    await daemon.start(input({ a: { v: 1, self: "x" }, b: { v: 1, port: 10 } }));
    await settle();
    j.bound.add(99); // another process holds port 99
    j.events.length = 0;
    const r = await daemon.reload(input({ a: { v: 2, fail: true }, b: { v: 2, port: 99 } }));
    assert.equal(r.ok, false);
    assert.deepEqual(r.problems, ["a: a cannot start", "b: EADDRINUSE 99"]);
    assert.deepEqual(j.events, []);
    assert.equal(daemon.status().generation, 1);
    assert.equal(daemon.status().lastReload?.ok, false);
    assert.ok(log.lines.some((l) => /^error: reload refused, generation 1 keeps running: a: a cannot start; b: EADDRINUSE 99/.test(l)));
    assert.deepEqual(daemon.status().tasks.map((t) => `${t.name}:${t.state}`), ["a:running", "b:running"]);
    await daemon.stop();
    assert.deepEqual(j.events, ["stop a v1 (shutdown)", "stop b v1 (shutdown)"]);
  });

  it("stops a conflicting task first, and restores it when its successor cannot be prepared", async () => {
    const { j, daemon } = setup();
    await daemon.start(input({ b: { v: 1, port: 10 } }));
    await settle();
    j.events.length = 0;
    const ok = await daemon.reload(input({ b: { v: 2, port: 10 } }));
    await settle();
    assert.equal(ok.ok, true);
    assert.deepEqual(j.events, ["stop b v1 (replaced)", "prepare b v2", "run b v2"]);
    j.events.length = 0;
    const bad = await daemon.reload(input({ b: { v: 3, port: 10, fail: true } }));
    await settle();
    assert.equal(bad.ok, false);
    assert.deepEqual(j.events, ["stop b v2 (replaced)", "prepare b v2", "run b v2"], "the previous settings come back");
    assert.equal(daemon.status().generation, 2);
    await daemon.stop();
  });

  it("starts and stops capabilities, and refuses a config that enables nothing", async () => {
    const { j, daemon } = setup();
    await daemon.start(input({ a: { v: 1 } }));
    await settle();
    j.events.length = 0;
    const r = await daemon.reload(input({ b: { v: 1 } }));
    await settle();
    assert.deepEqual(r.changes, { replaced: [], updated: [], started: ["b"], stopped: ["a"] });
    assert.deepEqual(j.events, ["prepare b v1", "stop a v1 (removed)", "run b v1"]);
    const none = await daemon.reload(input({}));
    assert.equal(none.ok, false);
    assert.match(none.problems?.[0] ?? "", /enables nothing/);
    await daemon.stop();
  });
});

describe("Daemon.requestReload()", () => {
  it("coalesces requests made while a reload is being prepared into at most one more reload", async () => {
    const { daemon } = setup();
    await daemon.start(input({ a: { v: 1 } }));
    await settle();
    let attempts = 0;
    const gates: (() => void)[] = [];
    const attempt = async () => {
      attempts++;
      const v = attempts + 1;
      await new Promise<void>((resolve) => gates.push(resolve));
      return daemon.reload(input({ a: { v } }));
    };
    const burst = [daemon.requestReload(attempt), daemon.requestReload(attempt), daemon.requestReload(attempt)];
    await settle();
    assert.equal(attempts, 1, "a burst from idle is one reload");
    assert.ok(burst.every((p) => p === burst[0]));
    const during = [daemon.requestReload(attempt), daemon.requestReload(attempt), daemon.requestReload(attempt), daemon.requestReload(attempt)];
    assert.ok(during.every((p) => p === during[0]) && during[0] !== burst[0], "requests while one is prepared join one next reload");
    await settle();
    assert.equal(attempts, 1, "the next one waits for the current one");
    gates[0]!();
    assert.equal((await burst[0]!).generation, 2);
    await settle();
    assert.equal(attempts, 2, "then exactly one more");
    const later = daemon.requestReload(attempt);
    assert.notEqual(later, during[0], "a request after the next one began gets its own");
    gates[1]!();
    const outcomes = await Promise.all(during);
    assert.ok(outcomes.every((o) => o.ok && o.generation === 3));
    await settle();
    assert.equal(attempts, 3);
    gates[2]!();
    assert.equal((await later).generation, 4);
    await settle();
    assert.equal(attempts, 3, "nothing more runs");
    assert.equal(daemon.status().generation, 4);
    await daemon.stop();
  });
});

describe("errorMessage()", () => {
  it("says what a failed bind's errno means, keeping the address and port", () => {
    assert.equal(errorMessage(new NetError("cannot bind UDP 0.0.0.0:9000: EADDRINUSE", { code: "EADDRINUSE" })), "cannot bind UDP 0.0.0.0:9000: EADDRINUSE (address in use)");
    assert.equal(errorMessage(new TransportError("cannot bind tcp://127.0.0.1:9000: x", "tcp://127.0.0.1:9000", { code: "EACCES" })), "cannot bind tcp://127.0.0.1:9000: x (permission denied)");
    assert.equal(errorMessage(new NetError("no such interface eth9")), "no such interface eth9");
    assert.equal(errorMessage(Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" })), "ENOENT: no such file", "a plain error is left as it is");
    assert.equal(errorMessage("text"), "text");
  });
});

describe("Daemon supervision", () => {
  it("gives up (exit 'failing') when every task failed five times in a row", async () => {
    const { daemon, clock } = setup();
    await daemon.start(input({ a: { v: 1, fail: true }, b: { v: 1, fail: true } }));
    let exit: unknown;
    void daemon.wait().then((e) => (exit = e));
    // The first failure at start, then four retries: the fifth failure in a row gives up.
    for (let i = 0; i < 3; i++) {
      await clock.nextSleep();
      clock.advance(60_000);
      await settle();
      assert.equal(exit, undefined, `still trying after retry ${i + 1}`);
    }
    await clock.nextSleep();
    clock.advance(60_000);
    await settle();
    assert.equal((exit as { kind: string }).kind, "failing");
    assert.match((exit as { reason: string }).reason, /every task failed 5 times in a row: a: a cannot start; b: b cannot start/);
  });

  it("does not give up while one task runs", async () => {
    const { daemon, clock } = setup();
    await daemon.start(input({ a: { v: 1 }, b: { v: 1, fail: true } }));
    let exit: unknown;
    void daemon.wait().then((e) => (exit = e));
    for (let i = 0; i < 8; i++) {
      await clock.nextSleep();
      clock.advance(60_000);
      await settle();
    }
    assert.equal(exit, undefined);
    const b = daemon.status().tasks.find((t) => t.name === "b")!;
    assert.equal(b.state, "backoff");
    assert.equal(b.lastError, "b cannot start");
    await daemon.stop();
    assert.deepEqual(await daemon.wait(), { kind: "stopped" });
  });

  it("start() refuses a config that enables nothing", async () => {
    const { daemon } = setup();
    await assert.rejects(daemon.start(input({})), { name: "DaemonError", message: /enables nothing/ });
  });
});
