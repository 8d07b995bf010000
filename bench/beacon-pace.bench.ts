/**
 * Failure detection for beacons that announce no interval (disco.py's `HOST name ts`), issue 10: a
 * receiver left at the default `[beacon] interval` (15 s) learns each sender's pace. Compiled binary on
 * loopback: disco.py-format senders at 1 s and at 5 s (`disco broadcast --send`), one `disco hosts --watch
 * --json` observer, and a listener here on the same port that notes when each sender's last beacon
 * arrived. Every sender is killed with SIGKILL (no goodbye) after 6 beacons; the figure is the time from
 * its last beacon to the observer's `failed` event, in the sender's intervals (the detector's rule is 3;
 * assuming the default interval instead would take 45 s: 45 and 9 intervals).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MembershipEvent } from "../lib/beacon/index.ts";
import { openUdp } from "../lib/net/index.ts";
import { ensureBuilt, freeUdpPort } from "../tests/_bin.ts";
import { Changes, LineReader } from "../tests/_lines.ts";

const PER_PACE = 4;
const BEACONS_BEFORE_KILL = 6;
const PACES_S = [1, 5];

const disco = ensureBuilt();
const dir = mkdtempSync(join(tmpdir(), "disco-pace-bench-"));
const cfg = join(dir, "empty.toml");
writeFileSync(cfg, "");
const port = await freeUdpPort();
const procs: ReturnType<typeof Bun.spawn>[] = [];
try {
  const observer = Bun.spawn([disco, "hosts", "--listen", "--watch", "--json", "-c", cfg, "--port", String(port), "--debug"], { stdout: "pipe", stderr: "pipe" });
  procs.push(observer);
  await new LineReader(observer.stderr).nextLine((l) => l.startsWith("listening"), { timeoutMs: 10_000, what: "the observer" });
  const events = new LineReader(observer.stdout);
  // Beside the observer on the same port (SO_REUSEADDR: both get every broadcast).
  await using tap = await openUdp({ port, reuseAddr: true });
  const arrivals = new Map<string, number[]>();
  const arrived = new Changes();
  void (async () => {
    for await (const d of tap) {
      const name = new TextDecoder().decode(d.data).split(" ")[1] ?? "";
      const list = arrivals.get(name) ?? [];
      list.push(performance.now());
      arrivals.set(name, list);
      arrived.notify();
    }
  })();
  const senders = PACES_S.flatMap((s) => Array.from({ length: PER_PACE }, (_, k) => ({ name: `pace${s}s-${k}`, paceS: s })));
  const running = senders.map((s) => {
    const p = Bun.spawn([disco, "broadcast", "--send", "-c", cfg, "--to", "127.255.255.255", "--port", String(port), "--delay", String(s.paceS), "--name", s.name], { stdout: "ignore", stderr: "inherit" });
    procs.push(p);
    return { ...s, proc: p };
  });
  console.log(`failure detection, disco.py-format beacons (no interval announced), receiver at the default 15 s, loopback, ${PER_PACE} senders per pace:`);
  const results = await Promise.all(
    running.map(async (s) => {
      // Wait for the sender's 6th beacon (seen by the tap), then kill it.
      await arrived.until(() => (arrivals.get(s.name)?.length ?? 0) >= BEACONS_BEFORE_KILL, {
        timeoutMs: (BEACONS_BEFORE_KILL + 4) * s.paceS * 1000,
        failure: () => `${s.name} sent fewer than ${BEACONS_BEFORE_KILL} beacons in time`,
      });
      s.proc.kill("SIGKILL");
      const killedAt = performance.now();
      const line = await events.waitFor((l) => l.includes('"failed"') && l.includes(`"host":"${s.name}"`), { timeoutMs: 60_000, what: `${s.name} failed` });
      const failedAt = performance.now();
      const e = JSON.parse(line.line) as MembershipEvent;
      const last = arrivals.get(s.name)!.at(-1)!;
      return { ...s, fromLastMs: failedAt - last, fromKillMs: failedAt - killedAt, learnedMs: e.host.learnedIntervalMs };
    }),
  );
  for (const paceS of PACES_S) {
    const rs = results.filter((r) => r.paceS === paceS);
    const intervals = rs.map((r) => r.fromLastMs / (paceS * 1000)).sort((a, b) => a - b);
    const median = intervals[intervals.length >> 1]!;
    console.log(
      `  ${paceS} s pace: ${median.toFixed(2)} intervals from the last beacon to failed (median of ${rs.length}; ${intervals.map((x) => x.toFixed(2)).join(", ")}),` +
        ` ${((rs.map((r) => r.fromKillMs).sort((a, b) => a - b)[rs.length >> 1]! / 1000)).toFixed(2)} s from kill -9;` +
        ` learned ${rs.map((r) => r.learnedMs ?? "-").join(", ")} ms (the default would take ${(45 / paceS).toFixed(0)} intervals)`,
    );
  }
} finally {
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  rmSync(dir, { recursive: true, force: true });
}
