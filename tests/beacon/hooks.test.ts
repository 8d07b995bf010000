import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HookRunner, hookEnv, spawnHook, type HookOutcome, type HostRecord, type MembershipEvent } from "../../lib/beacon/index.ts";

const host: HostRecord = {
  host: "shed",
  addresses: ["10.0.0.5", "192.168.1.5"],
  state: "alive",
  lastSeenMs: 1,
  lastSeenUnixMs: 1_700_000_000_500,
  intervalMs: 15000,
  source: "disco-json",
  version: "0.1.0",
  services: { http: 80 },
  metricsEndpoint: "tcp://10.0.0.5:9000",
  gpio: ["led", "button"],
};
const join_: MembershipEvent = { type: "join", host };

describe("hookEnv()", () => {
  it("puts the host's fields in DISCO_* variables", () => {
    assert.deepEqual(hookEnv(join_), {
      DISCO_EVENT: "join",
      DISCO_HOST: "shed",
      DISCO_ADDRESSES: "10.0.0.5 192.168.1.5",
      DISCO_ADDRESS: "10.0.0.5",
      DISCO_STATE: "alive",
      DISCO_SOURCE: "disco-json",
      DISCO_INTERVAL_MS: "15000",
      DISCO_LAST_SEEN: "1700000000",
      DISCO_VERSION: "0.1.0",
      DISCO_METRICS: "tcp://10.0.0.5:9000",
      DISCO_GPIO: "led button",
      DISCO_SERVICES: '{"http":80}',
    });
  });
});

describe("hookEnv() on a leave", () => {
  it("says DISCO_STATE=left, not the alive state the goodbye came in", () => {
    assert.equal(hookEnv({ type: "leave", host })["DISCO_STATE"], "left");
    assert.equal(hookEnv({ type: "failed", host: { ...host, state: "failed" } })["DISCO_STATE"], "failed");
  });
});

describe("HookRunner", () => {
  it("filters by event, bounds concurrency and the queue, never blocks push()", async () => {
    let running = 0;
    let peak = 0;
    const release: (() => void)[] = [];
    const calls: string[] = [];
    const runner = new HookRunner({
      hooks: [{ command: "x", events: ["leave"], timeoutMs: 1000 }],
      concurrency: 2,
      maxQueued: 3,
      spawn: async (argv, env): Promise<HookOutcome> => {
        calls.push(`${argv.join(" ")}|${env["DISCO_HOST"]}`);
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => release.push(r));
        running--;
        return { exitCode: 0, timedOut: false };
      },
    });
    assert.equal(runner.push(join_), 0, "join is filtered out");
    for (let i = 0; i < 10; i++) runner.push({ type: "leave", host: { ...host, host: `h${i}` } });
    assert.equal(running, 2);
    assert.equal(runner.counters.dropped, 5, "2 running + 3 queued, 5 dropped");
    while (release.length) {
      release.shift()!();
      await new Promise((r) => setImmediate(r));
    }
    await runner.idle();
    assert.equal(peak, 2);
    assert.equal(runner.counters.succeeded, 5);
    assert.equal(calls[0], "/bin/sh -c x|h0");
  });

  it("never hands $DISCO_HOST to a command when the name breaks the host name rule", async () => {
    const spawned: string[] = [];
    const outcomes: string[] = [];
    const runner = new HookRunner({
      hooks: [{ command: "echo $DISCO_HOST > /tmp/$DISCO_HOST", events: [], timeoutMs: 1000 }],
      spawn: async (_argv, env): Promise<HookOutcome> => {
        spawned.push(env["DISCO_HOST"]!);
        return { exitCode: 0, timedOut: false };
      },
      onOutcome: (_spec, e, o) => outcomes.push(`${e.host.host}: ${o instanceof Error ? o.name : "ran"}`),
    });
    for (const name of ["*", "../../etc/x", "-rf", "..", "a\x1b]52;c;aGk=\x07", "ok-name"]) runner.push({ type: "join", host: { ...host, host: name } });
    await runner.idle();
    assert.deepEqual(spawned, ["ok-name"]);
    assert.equal(runner.counters.failed, 5);
    assert.equal(outcomes.length, 5);
    assert.ok(outcomes.every((o) => o.endsWith(": BeaconError")));
  });

  it("runs a real command with the env and kills one that overruns its timeout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-hook-"));
    try {
      const out = join(dir, "out");
      const runner = new HookRunner({
        hooks: [
          { command: `echo "$DISCO_EVENT $DISCO_HOST $DISCO_ADDRESSES" > ${out}`, events: [], timeoutMs: 5000 },
          { command: ["/bin/sleep", "30"], events: ["join"], timeoutMs: 100 },
        ],
        spawn: spawnHook,
        baseEnv: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" },
      });
      runner.push(join_);
      await runner.idle();
      assert.equal(readFileSync(out, "utf8"), "join shed 10.0.0.5 192.168.1.5\n");
      assert.equal(runner.counters.succeeded, 1);
      assert.equal(runner.counters.timedOut, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
