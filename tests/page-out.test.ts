import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { adviceFor, describePageOut, mappingsOf, PageOutError, pageOutExecutable, pageOutWhenSettled, rssBytes, type PageOutResult } from "../lib/page-out.ts";
import { FakeClock } from "./daemon/_fakes.ts";

/** A /proc/PID/smaps excerpt: header lines as in /proc/PID/maps, each followed by its figures. */
const SMAPS = [
  ["55d5c0a00000-55d5c2e5e000 r--p 00000000 fe:01 393240                     /usr/local/bin/disco", 0],
  ["55d5c2e5e000-55d5c5000000 r-xp 0245e000 fe:01 393240                     /usr/local/bin/disco", 0],
  ["55d5c5000000-55d5c5010000 rw-p 04600000 fe:01 393240                     /usr/local/bin/disco", 48],
  ["55d5c5010000-55d5c5018000 r--p 04610000 fe:01 393240                     /usr/local/bin/disco", 12],
  ["55d5c5018000-55d5c5100000 rw-p 00000000 00:00 0", 900],
  ["7f0000000000-7f0000021000 r--p 00000000 fe:01 12                         /usr/local/bin/disco-other", 0],
  ["7f0000021000-7f0000022000 r--p 00000000 fe:01 13                         /opt/my disco/disco", 0],
  ["7ffd1a2b3000-7ffd1a2d4000 rw-p 00000000 00:00 0                          [stack]", 132],
]
  .map(([h, anon]) => `${h}\nSize:               1024 kB\nRss:                 512 kB\nAnonymous:      ${String(anon).padStart(8)} kB\nVmFlags: rd mr mw me\n`)
  .join("");

const result = (before: number): PageOutResult => ({ path: "/x", dontneed: 2, pageout: 1, rssBefore: before, rssAfter: 1 });

/** Lets the promise reactions of a woken sleep run. */
const turn = () => new Promise<void>((r) => setImmediate(r));

describe("page-out: /proc parsing", () => {
  it("takes exactly the mappings of the executable's path, with their addresses and private pages", () => {
    const path = "/usr/local/bin/disco";
    assert.deepEqual(mappingsOf(SMAPS, path), [
      { start: 0x55d5c0a00000n, end: 0x55d5c2e5e000n, perms: "r--p", path, anonymousKb: 0 },
      { start: 0x55d5c2e5e000n, end: 0x55d5c5000000n, perms: "r-xp", path, anonymousKb: 0 },
      { start: 0x55d5c5000000n, end: 0x55d5c5010000n, perms: "rw-p", path, anonymousKb: 48 },
      { start: 0x55d5c5010000n, end: 0x55d5c5018000n, perms: "r--p", path, anonymousKb: 12 },
    ]);
    assert.equal(mappingsOf(SMAPS, "/opt/my disco/disco").length, 1, "a path with a space");
    assert.deepEqual(mappingsOf(SMAPS, "/usr/local/bin/dis"), []);
    assert.deepEqual(mappingsOf("garbage\n\n", path), []);
  });

  it("unmaps (DONTNEED) only read-only mappings without private pages; the rest may only be reclaimed (PAGEOUT)", () => {
    const advice = mappingsOf(SMAPS, "/usr/local/bin/disco").map(adviceFor);
    assert.deepEqual(advice, ["dontneed", "dontneed", "pageout", "pageout"], "code and rodata; not .data, not relocated RELRO");
    const m = mappingsOf(SMAPS, "/usr/local/bin/disco")[0]!;
    assert.equal(adviceFor({ ...m, anonymousKb: NaN }), "pageout", "an unreadable Anonymous: line is not a zero");
  });

  it("reads VmRSS from /proc/PID/status in bytes", () => {
    assert.equal(rssBytes("VmHWM:\t   50000 kB\nVmRSS:\t   44000 kB\nRssAnon:\t    8000 kB\nRssFile:\t   35268 kB\n"), 44000 * 1024);
    assert.equal(rssBytes("RssFile: 1 kB\n"), undefined);
  });

  it("pages out this process's own executable for real (its mappings are found and advised)", () => {
    const maps = readFileSync("/proc/self/maps", "utf8");
    const r = pageOutExecutable();
    assert.ok(r.dontneed >= 1 && r.dontneed + r.pageout >= 2, `mappings of ${r.path} in\n${maps.slice(0, 600)}`);
    assert.ok(r.rssBefore > 0 && r.rssAfter > 0);
  });
});

describe("page-out: the log line", () => {
  it("says what was given back, or why nothing was", () => {
    assert.equal(describePageOut({ path: "/x", dontneed: 2, pageout: 3, rssBefore: 44 * 1048576, rssAfter: 13.04 * 1048576 }), "gave back the executable's start-up pages: RSS 44.0 -> 13.0 MB");
    assert.equal(describePageOut(new PageOutError("madvise(MADV_DONTNEED) over /x failed (EPERM: refused by a seccomp filter)")), "madvise(MADV_DONTNEED) over /x failed (EPERM: refused by a seccomp filter); the start-up pages stay mapped");
  });
});

describe("page-out: once, after the process has settled", () => {
  it("runs delayMs after the LAST request, once", async () => {
    const clock = new FakeClock();
    const calls: number[] = [];
    const outcomes: unknown[] = [];
    const p = pageOutWhenSettled({ delayMs: 2000, clock, pageOut: () => (calls.push(clock.now), result(10)), done: (o) => outcomes.push(o) });
    p.request();
    clock.advance(1500);
    p.request(); // a reload before the first page-out: the wait starts again
    clock.advance(1500);
    await turn();
    assert.deepEqual(calls, [], "not 2 s after the last request yet");
    clock.advance(500);
    await turn();
    assert.deepEqual(calls, [3500]);
    assert.deepEqual(outcomes, [result(10)]);
    clock.advance(10_000);
    await turn();
    assert.equal(calls.length, 1, "nothing more without a new request");
  });

  it("cancel() drops a pending page-out", async () => {
    const clock = new FakeClock();
    let called = false;
    const p = pageOutWhenSettled({ delayMs: 2000, clock, pageOut: () => ((called = true), result(1)), done: () => undefined });
    p.request();
    p.cancel();
    clock.advance(5000);
    await turn();
    assert.equal(called, false);
  });

  it("hands a failure to done as a PageOutError, never throws", async () => {
    const clock = new FakeClock();
    const outcomes: unknown[] = [];
    const p = pageOutWhenSettled({
      delayMs: 10,
      clock,
      pageOut: () => {
        throw new PageOutError("madvise(MADV_PAGEOUT) over /x failed (EPERM: refused by a seccomp filter)", { errno: 1 });
      },
      done: (o) => outcomes.push(o),
    });
    p.request();
    clock.advance(10);
    await turn();
    assert.equal(outcomes.length, 1);
    assert.ok(outcomes[0] instanceof PageOutError);
    assert.equal((outcomes[0] as PageOutError).errno, 1);
    const q = pageOutWhenSettled({ delayMs: 10, clock, pageOut: () => { throw new TypeError("boom"); }, done: (o) => outcomes.push(o) });
    q.request();
    clock.advance(10);
    await turn();
    assert.ok(outcomes[1] instanceof PageOutError && /boom/.test(outcomes[1].message));
  });
});
