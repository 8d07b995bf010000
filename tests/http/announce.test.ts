import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { decodeRichBeacon, encodeRichBeacon, MembershipTable, type Clock } from "../../lib/beacon/index.ts";
import { describeHost, toSelfDescription } from "../../lib/discovery/index.ts";

describe("the HTTP endpoint in self-descriptions", () => {
  it("rich beacons carry it as 'http' and decode it back", () => {
    const bytes = encodeRichBeacon({ host: "shed", boot: "0123456789abcdef", seq: 1, intervalMs: 1000, addresses: ["10.77.0.2"], metricsEndpoint: "tcp://10.77.0.2:9000", httpEndpoint: "http://10.77.0.2:9180" });
    assert.equal(
      new TextDecoder().decode(bytes),
      '{"v":1,"host":"shed","boot":"0123456789abcdef","seq":1,"interval_ms":1000,"addresses":["10.77.0.2"],"metrics":"tcp://10.77.0.2:9000","http":"http://10.77.0.2:9180"}',
    );
    assert.equal(decodeRichBeacon(bytes).httpEndpoint, "http://10.77.0.2:9180");
    assert.equal(decodeRichBeacon(encodeRichBeacon({ host: "old", boot: "0123456789abcdef", seq: 1, intervalMs: 1000, addresses: [] })).httpEndpoint, undefined);
    assert.throws(() => decodeRichBeacon(new TextEncoder().encode('{"v":1,"host":"x","boot":"0123456789abcdef","seq":1,"interval_ms":1000,"http":5}')), /'http' must be a string/);
  });

  it("the membership table keeps it, and a change of it is an update", () => {
    let now = 0;
    const clock: Clock = { nowMs: () => now, unixNowMs: () => 1_700_000_000_000 + now };
    const table = new MembershipTable({ clock });
    const obs = { host: "shed", address: "10.77.0.2", intervalMs: 1000, source: "disco-json" as const, boot: "b", httpEndpoint: "http://10.77.0.2:9180" };
    assert.equal(table.observe(obs).event?.host.httpEndpoint, "http://10.77.0.2:9180");
    now += 10;
    assert.equal(table.observe(obs).event, undefined);
    now += 10;
    const e = table.observe({ ...obs, httpEndpoint: "http://10.77.0.2:9999" }).event;
    assert.equal(e?.type, "update");
    assert.equal(e?.host.httpEndpoint, "http://10.77.0.2:9999");
  });

  it("discovery answers carry it under interfaces.http", () => {
    const d = describeHost({ host: "shed", addresses: ["10.77.0.2"], version: "0.1.0", uptimeSec: 1, httpEndpoint: "http://10.77.0.2:9180" });
    assert.deepEqual(d.interfaces, { http: "http://10.77.0.2:9180" });
    assert.equal(toSelfDescription(JSON.parse(JSON.stringify(d))).interfaces.http, "http://10.77.0.2:9180");
    assert.throws(() => toSelfDescription({ ...JSON.parse(JSON.stringify(d)), interfaces: { http: 1 } }), /interfaces.http/);
  });
});
