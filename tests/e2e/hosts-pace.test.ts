import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as pace } from "node:timers/promises";
import type { MembershipEvent } from "../../lib/beacon/index.ts";
import { openUdp } from "../../lib/net/index.ts";
import { ensureBuilt, freeUdpPort, spawn } from "../_bin.ts";
import { LineReader } from "../_lines.ts";

let disco = "";
const dir = mkdtempSync(join(tmpdir(), "disco-pace-"));

describe("disco hosts learns the pace of disco.py beacons (compiled binary, loopback)", () => {
  before(() => {
    disco = ensureBuilt();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a disco.py-format sender at 1 s is failed within 3.5 s by a receiver left at the default 15 s interval", { timeout: 60_000 }, async () => {
    const port = await freeUdpPort();
    const cfg = join(dir, "empty.toml");
    writeFileSync(cfg, "");
    await using w = spawn([disco, "hosts", "--listen", "--watch", "--json", "-c", cfg, "--port", String(port), "--debug"]);
    const err = new LineReader(w.proc.stderr);
    const out = new LineReader(w.proc.stdout);
    await err.nextLine((l) => l.startsWith("listening"), { timeoutMs: 10_000, what: "the watcher to listen" });
    await using tx = await openUdp({ address: "127.0.0.1" });
    // Hand-made disco.py datagrams, one a second: the sender's pace is the workload, not a synchronisation.
    // Sent at fixed times (t0 + i s), so a late timer under load makes one gap long and the next short
    // instead of slowing the whole pace.
    const beacons = 5;
    let last = 0;
    const t0 = performance.now();
    for (let i = 0; i < beacons; i++) {
      if (i > 0) await pace(Math.max(0, t0 + i * 1000 - performance.now()));
      await tx.send(new TextEncoder().encode(`HOST py1 ${Math.floor(Date.now() / 1000)}`), port, "127.0.0.1");
      last = performance.now();
    }
    const joined = JSON.parse(await out.nextLine((l) => l.includes('"join"'), { timeoutMs: 5000, what: "the join" })) as MembershipEvent;
    assert.equal(joined.host.intervalMs, 15_000, "before a second beacon, the receiver's own interval is all it knows");
    const failedLine = await out.nextLine((l) => l.includes('"failed"'), { timeoutMs: 10_000, what: "the failure" });
    const afterMs = performance.now() - last;
    const failed = JSON.parse(failedLine) as MembershipEvent;
    assert.equal(failed.host.host, "py1");
    assert.ok(afterMs < 3500, `failed ${Math.round(afterMs)} ms after the last beacon (default interval would take 45 s)`);
    assert.ok(failed.host.learnedIntervalMs !== undefined && Math.abs(failed.host.learnedIntervalMs - 1000) < 200, `learned ${failed.host.learnedIntervalMs} ms`);
    assert.equal(failed.host.intervalMs, failed.host.learnedIntervalMs);
    const types = out.lines.map((l) => (JSON.parse(l) as MembershipEvent).type);
    assert.deepEqual(types, ["join", "suspect", "failed"], "one join, no flapping while it beaconed, no update for the learned pace");
  });
});
