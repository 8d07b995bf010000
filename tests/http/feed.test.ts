import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Subscribers } from "../../lib/async/index.ts";
import { MembershipTable, type Clock } from "../../lib/beacon/index.ts";
import { parseConfig } from "../../lib/config/index.ts";
import { FakeGpio, openLines, type InputChange } from "../../lib/gpio/index.ts";
import { attachGpio, feedFleet, FleetState, gpioViewsOf, startHttpServer, type FleetEvent } from "../../lib/http/index.ts";
import type { Metric } from "../../lib/metrics/index.ts";

const GPIO = parseConfig(`
[[gpio.output]]
name = "pump"
line = 1
remote = true
[[gpio.output]]
name = "siren"
line = 2
initial = 1
[[gpio.input]]
name = "door"
line = 3
edge = "both"
`).gpio;

async function next<T>(it: AsyncIterator<T>): Promise<T> {
  const r = await it.next();
  assert.ok(!r.done, "the stream ended");
  return r.value;
}

describe("feedFleet()", () => {
  it("follows membership (self excluded), this host's metrics and input changes", async () => {
    let unixMs = 1_700_000_000_000;
    const clock: Clock = { nowMs: () => 0, unixNowMs: () => unixMs };
    const membership = new MembershipTable({ clock });
    membership.observe({ host: "barn", address: "10.0.0.3", intervalMs: 1000, source: "disco-json", boot: "b", httpEndpoint: "http://10.0.0.3:9180" });
    const daemon = new Subscribers<{ type: "metric"; metric: Metric } | { type: "input"; change: InputChange }>();
    const fleet = new FleetState({ self: { host: "shed", addresses: [] } });
    attachGpio(fleet, { gpio: GPIO });
    const stop = new AbortController();
    const seen = fleet.subscribe({ signal: stop.signal });
    const running = feedFleet(fleet, { membership, events: (signal) => daemon.subscribe({ signal }), latestMetric: () => ({ host: "shed", values: { load1: "0.1", _time: 1 } }) }, stop.signal);
    assert.equal((await next(seen)).type, "metric", "the latest metric, from before the start");
    assert.deepEqual(fleet.metrics().get("shed")?.values, { load1: "0.1" });
    const first = (await next(seen)) as Extract<FleetEvent, { host: unknown }>;
    assert.equal(first.type, "join");
    assert.equal((first as { host: { host: string; httpEndpoint?: string } }).host.httpEndpoint, "http://10.0.0.3:9180");
    membership.observe({ host: "shed", address: "10.0.0.2", intervalMs: 1000, source: "disco-json", boot: "c" });
    daemon.emit({ type: "metric", metric: { host: "shed", values: { load1: "0.7", _time: 2 } } });
    const m = await next(seen);
    assert.equal(m.type, "metric", "this host's own beacon heard back is not a fleet host");
    assert.deepEqual(fleet.metrics().get("shed")?.values, { load1: "0.7" });
    daemon.emit({ type: "input", change: { name: "door", value: 1, cause: "rising", timestampNs: 0n } });
    const g = await next(seen);
    assert.deepEqual(g, { type: "gpio", line: { name: "door", kind: "input", remote: false, value: 1 } });
    assert.deepEqual(fleet.hosts().map((h) => h.host), ["shed", "barn"]);
    unixMs += 5000;
    membership.observe({ host: "barn", address: "10.0.0.3", intervalMs: 1000, source: "disco-json", boot: "b", httpEndpoint: "http://10.0.0.3:9180" });
    assert.equal(fleet.hosts().find((h) => h.host === "barn")?.lastSeenUnixMs, 1_700_000_005_000, "a steady beacon's time reaches the view without an event");
    stop.abort();
    await running;
  });

  it("an unsealed beacon's HTTP endpoint reaches /sd only at its source address; a sealed one as announced", async () => {
    const clock: Clock = { nowMs: () => 0, unixNowMs: () => 1_700_000_000_000 };
    const membership = new MembershipTable({ clock });
    // A spoofed unsealed beacon from 10.0.0.9 naming somebody else's host for every Prometheus to scrape.
    membership.observe({ host: "evil", address: "10.0.0.9", intervalMs: 1000, source: "disco-json", boot: "e", httpEndpoint: "http://203.0.113.5:6666/steal" });
    membership.observe({ host: "barn", address: "10.0.0.3", intervalMs: 1000, source: "disco-json", boot: "b", sealed: true, httpEndpoint: "http://10.0.0.30:9180" });
    const fleet = new FleetState({ self: { host: "shed", addresses: [] } });
    const stop = new AbortController();
    const seen = fleet.subscribe({ signal: stop.signal });
    const running = feedFleet(fleet, { membership }, stop.signal);
    try {
      await next(seen);
      await next(seen);
      assert.equal(fleet.hosts().find((h) => h.host === "evil")?.httpEndpoint, "http://10.0.0.9:6666/steal", "the page's links follow the source address too");
      await using server = await startHttpServer({ fleet, port: 0 });
      assert.deepEqual(await (await fetch(`${server.url}/sd`)).json(), [
        { targets: ["10.0.0.30:9180"], labels: { host: "barn", state: "alive" } },
        { targets: ["10.0.0.9:6666"], labels: { host: "evil", state: "alive", __metrics_path__: "/steal/metrics" } },
      ]);
    } finally {
      stop.abort();
      await running;
    }
  });

  it("attachGpio() writes remote outputs through the held lines", async () => {
    assert.deepEqual(gpioViewsOf(GPIO), [
      { name: "door", kind: "input", remote: false },
      { name: "pump", kind: "output", value: 0, remote: true },
      { name: "siren", kind: "output", value: 1, remote: false },
    ]);
    const fake = new FakeGpio();
    await using lines = await openLines(fake, GPIO);
    const fleet = new FleetState({ self: { host: "shed", addresses: [] } });
    let held: typeof lines | undefined;
    attachGpio(fleet, { gpio: GPIO, lines: () => held });
    await assert.rejects(fleet.writeGpio!("pump", 1), /not held/);
    held = lines;
    await fleet.writeGpio!("pump", 1);
    assert.equal(fake.physical("gpiochip0", 1), 1);
    assert.equal(fleet.gpio().find((l) => l.name === "pump")?.value, 1);
  });
});
