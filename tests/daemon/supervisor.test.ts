import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { backoffMs, SupervisedTask, type Builder, type Prepared } from "../../lib/daemon/index.ts";
import { aborted, FakeClock, fakeContext, memoryLogger } from "./_fakes.ts";

/** Resolves once `f()` is true, checking after each turn of the event loop (bounded). */
async function until(f: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (f()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`never happened: ${what}`);
}

describe("backoffMs()", () => {
  it("doubles from 1 s and stops at 60 s", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 40].map((n) => backoffMs(n)), [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    assert.equal(backoffMs(3, { initialMs: 10, maxMs: 25 }), 25);
  });
});

describe("SupervisedTask", () => {
  it("restarts a failing task after 1, 2, 4 ... 60 s on the clock, counting restarts and keeping the last error", async () => {
    const clock = new FakeClock();
    let prepares = 0;
    const failing: Builder<null> = {
      name: "flaky",
      slice: () => null,
      prepare: async () => {
        prepares++;
        return { run: async () => Promise.reject(new Error(`boom ${prepares}`)), close: async () => undefined };
      },
    };
    const log = memoryLogger();
    const ctx = fakeContext(log);
    const task = new SupervisedTask(failing, null, await failing.prepare(null, ctx), ctx, { clock });
    task.start();
    const waits: number[] = [];
    for (let i = 0; i < 8; i++) {
      const ms = await clock.nextSleep();
      waits.push(ms);
      assert.equal(task.state, "backoff");
      assert.equal(task.status().lastError, `boom ${i + 1}`);
      assert.equal(task.status().retryAtUnixMs, clock.unixNowMs() + ms);
      clock.advance(ms);
    }
    assert.deepEqual(waits, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    await until(() => task.status().restarts === 8 && task.state === "backoff", "eight restarts, the eighth failed again");
    assert.equal(log.lines.filter((l) => l.startsWith("warn: flaky: boom")).length, 9, "each failure is logged");
    assert.equal(log.lines.filter((l) => l.startsWith("info: flaky: restarted")).length, 8, "each restart is logged");
    await task.stop("shutdown");
    assert.equal(task.state, "stopped");
  });

  it("treats a run that returns before stop as a failure, and a long healthy run resets the backoff", async () => {
    const clock = new FakeClock();
    let runs = 0;
    const quitter: Builder<null> = {
      name: "quitter",
      slice: () => null,
      prepare: async (): Promise<Prepared> => ({
        run: async () => {
          runs++;
          if (runs === 3) clock.now += 120_000; // the third run lasts two minutes
        },
        close: async () => undefined,
      }),
    };
    const ctx = fakeContext();
    const task = new SupervisedTask(quitter, null, await quitter.prepare(null, ctx), ctx, { clock });
    task.start();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const ms = await clock.nextSleep();
      waits.push(ms);
      clock.advance(ms);
    }
    assert.match(task.status().lastError ?? "", /stopped by itself/);
    assert.deepEqual(waits, [1000, 2000, 1000, 2000]);
    await task.stop("shutdown");
  });

  it("retries a task whose preparation failed, and stops at once while in backoff", async () => {
    const clock = new FakeClock();
    let attempts = 0;
    let closed = 0;
    const late: Builder<null> = {
      name: "late",
      slice: () => null,
      prepare: async (_s, _c) => {
        attempts++;
        if (attempts < 2) throw new Error("EADDRINUSE");
        return { run: ({ signal }) => aborted(signal), close: async () => void closed++ };
      },
    };
    const ctx = fakeContext();
    const task = new SupervisedTask(late, null, { error: new Error("EADDRINUSE") }, ctx, { clock });
    task.start();
    assert.equal(await clock.nextSleep(), 1000);
    clock.advance(1000);
    assert.equal(await clock.nextSleep(), 2000, "the second attempt failed too");
    assert.equal(task.status().restarts, 1, "a failed attempt counts as a restart");
    clock.advance(2000);
    await until(() => task.state === "running", "running after the third attempt");
    assert.equal(task.status().restarts, 2);
    await task.stop("shutdown");
    assert.equal(closed, 1, "what the run held is released once");
  });

  it("passes the stop reason to the task's signal", async () => {
    let reason: unknown;
    const b: Builder<null> = {
      name: "r",
      slice: () => null,
      prepare: async () => ({
        run: async ({ signal }) => {
          await aborted(signal);
          reason = signal.reason;
        },
        close: async () => undefined,
      }),
    };
    const ctx = fakeContext();
    const task = new SupervisedTask(b, null, await b.prepare(null, ctx), ctx, { clock: new FakeClock() });
    task.start();
    await until(() => task.state === "running", "running");
    await task.stop("replaced");
    assert.equal(reason, "replaced");
  });
});
