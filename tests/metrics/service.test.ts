import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MetricsReceiver, runMetricsService } from "../../lib/metrics/index.ts";
import { within } from "../zmtp/_peer.ts";

describe("runMetricsService()", () => {
  it("runs the proxy and publishes the collectors from the configured root until aborted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "disco-svc-"));
    try {
      mkdirSync(join(dir, "proc"), { recursive: true });
      writeFileSync(join(dir, "proc", "loadavg"), "1.50 1.00 0.50 1/100 42\n");
      const ac = new AbortController();
      let backend = "";
      let ready!: () => void;
      const isReady = new Promise<void>((r) => (ready = r));
      const running = runMetricsService({
        signal: ac.signal,
        host: "svc",
        frontend: `ipc://${dir}/front`,
        backend: "tcp://127.0.0.1:0",
        collectors: ["load", "memory"],
        intervalMs: 50,
        root: dir,
        onReady: (i) => {
          backend = i.backend!;
          ready();
        },
      });
      await within(isReady, 5000, "service ready");
      await using receiver = new MetricsReceiver();
      receiver.connect(backend);
      const m = await within(receiver.receive(), 5000, "a collected metric");
      assert.equal(m?.host, "svc");
      assert.deepEqual({ ...m?.values, _time: 0 }, { load1: "1.50", load5: "1.00", load15: "0.50", _time: 0 });
      // The collectors publish into the proxy in this process: the frontend holds its listening socket and no
      // connection (a connected socket would wake the event loop every second).
      const unix = readFileSync("/proc/net/unix", "utf8").split("\n").filter((l) => l.endsWith(` ${dir}/front`));
      assert.equal(unix.length, 1, unix.join("\n"));
      ac.abort();
      await within(running, 5000, "service stops on abort");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
