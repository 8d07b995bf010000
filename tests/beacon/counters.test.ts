import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { BeaconCounters } from "../../lib/beacon/index.ts";

describe("BeaconCounters", () => {
  it("counts packets, bytes, errors, drops by reason, uptime and rate on an injected clock", () => {
    let now = 0;
    const c = new BeaconCounters(() => now);
    for (let i = 0; i < 20; i++) {
      now += 100;
      c.recordReceived(10);
    }
    c.recordSent(30);
    c.recordError();
    c.recordDrop("forged");
    c.recordDrop("forged");
    c.recordDrop("oversized");
    const s = c.snapshot(3);
    assert.deepEqual({ ...s, packetsPerSec: Math.round(s.packetsPerSec) }, {
      packetsSent: 1,
      bytesSent: 30,
      packetsReceived: 20,
      bytesReceived: 200,
      errors: 1,
      drops: { oversized: 1, forged: 2 },
      dropped: 3,
      activeHosts: 3,
      uptimeMs: 2000,
      packetsPerSec: 11,
    });
    now += 60_000;
    assert.equal(c.snapshot().packetsPerSec, 0, "the rate only counts the last 10 s");
  });
});
