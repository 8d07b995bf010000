import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runTasks, TaskError, type Task, type TaskEvent } from "../../lib/daemon/index.ts";

function waitAbort(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
}

describe("runTasks()", () => {
  it("runs every task until the signal aborts, then resolves", async () => {
    const root = new AbortController();
    const started: string[] = [];
    const tasks: Task[] = ["a", "b"].map((name) => ({
      name,
      async run({ signal }) {
        started.push(name);
        if (started.length === 2) root.abort();
        await waitAbort(signal);
      },
    }));
    const events: TaskEvent[] = [];
    await runTasks(tasks, { signal: root.signal, onEvent: (e) => events.push(e) });
    assert.deepEqual(started, ["a", "b"]);
    assert.deepEqual(events.map((e) => `${e.type}:${e.task}`).sort(), ["started:a", "started:b", "stopped:a", "stopped:b"]);
  });

  it("stops the others when one fails and rejects with a TaskError naming it", async () => {
    let otherStopped = false;
    const tasks: Task[] = [
      { name: "broken", run: async () => { throw new Error("port in use"); } },
      { name: "fine", run: async ({ signal }) => { await waitAbort(signal); otherStopped = true; } },
    ];
    await assert.rejects(runTasks(tasks, { signal: new AbortController().signal }), (e: unknown) => {
      return e instanceof TaskError && e.task === "broken" && /port in use/.test(e.message);
    });
    assert.equal(otherStopped, true);
  });
});
