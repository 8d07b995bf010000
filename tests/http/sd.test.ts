import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildServiceDiscovery, discoFamilies, followedHttpEndpoint, parseHttpEndpoint, renderExposition, type FleetHost } from "../../lib/http/index.ts";

const HOSTS: FleetHost[] = [
  { host: "shed", state: "alive", lastSeenUnixMs: 0, addresses: ["10.77.0.2"], version: "0.1.0", httpEndpoint: "http://10.77.0.2:9180", self: true },
  { host: "barn", state: "failed", lastSeenUnixMs: 1_700_000_000_000, addresses: ["10.77.0.3"], version: "0.1.0", httpEndpoint: "https://10.77.0.3/disco/" },
  { host: "old-py", state: "alive", lastSeenUnixMs: 1_700_000_001_000, addresses: ["10.77.0.4"] },
  { host: "bad", state: "suspect", lastSeenUnixMs: 1_700_000_002_000, addresses: [], httpEndpoint: "javascript:alert(1)" },
];

describe("buildServiceDiscovery()", () => {
  it("lists every host with an HTTP endpoint, with host, version and state labels (golden JSON)", () => {
    assert.equal(
      JSON.stringify(buildServiceDiscovery(HOSTS)),
      '[{"targets":["10.77.0.3:443"],"labels":{"host":"barn","state":"failed","version":"0.1.0","__scheme__":"https","__metrics_path__":"/disco/metrics"}},' +
        '{"targets":["10.77.0.2:9180"],"labels":{"host":"shed","state":"alive","version":"0.1.0"}}]',
    );
  });

  it("parseHttpEndpoint() refuses what is not an http(s) URL", () => {
    assert.equal(parseHttpEndpoint("tcp://10.0.0.1:9000"), undefined);
    assert.equal(parseHttpEndpoint("http://user:pw@10.0.0.1/"), undefined);
    assert.equal(parseHttpEndpoint("not a url"), undefined);
    assert.deepEqual(parseHttpEndpoint("http://[::1]:9180"), { target: "[::1]:9180", scheme: "http", path: "" });
  });
});

describe("followedHttpEndpoint()", () => {
  it("follows an unsealed beacon's port and path only at its source address", () => {
    assert.equal(followedHttpEndpoint({ addresses: ["10.0.0.9"], httpEndpoint: "http://203.0.113.5:6666/x/" }), "http://10.0.0.9:6666/x");
    assert.equal(followedHttpEndpoint({ sealed: false, addresses: ["10.0.0.9", "203.0.113.5"], httpEndpoint: "https://203.0.113.5" }), "https://10.0.0.9");
    assert.equal(followedHttpEndpoint({ addresses: ["fd00::9"], httpEndpoint: "http://[fd00::1]:9180" }), "http://[fd00::9]:9180");
    assert.equal(followedHttpEndpoint({ addresses: [], httpEndpoint: "http://203.0.113.5:6666" }), undefined, "no source address: nothing to follow");
    assert.equal(followedHttpEndpoint({ addresses: ["fe80::1%eth0"], httpEndpoint: "http://203.0.113.5:6666" }), undefined, "an address a URL cannot hold is not replaced by the announced one");
  });

  it("trusts a sealed beacon's endpoint as announced, except a wildcard host", () => {
    assert.equal(followedHttpEndpoint({ sealed: true, addresses: ["10.0.0.9"], httpEndpoint: "http://10.0.0.5:9180/d" }), "http://10.0.0.5:9180/d");
    assert.equal(followedHttpEndpoint({ sealed: true, addresses: ["10.0.0.9"], httpEndpoint: "http://0.0.0.0:9180" }), "http://10.0.0.9:9180");
    assert.equal(followedHttpEndpoint({ sealed: true, addresses: ["10.0.0.9"], httpEndpoint: "http://[::]:9180" }), "http://10.0.0.9:9180");
  });

  it("follows nothing for a missing or non-http announcement", () => {
    assert.equal(followedHttpEndpoint({ addresses: ["10.0.0.9"] }), undefined);
    assert.equal(followedHttpEndpoint({ sealed: true, addresses: ["10.0.0.9"], httpEndpoint: "javascript:alert(1)" }), undefined);
  });
});

describe("discoFamilies()", () => {
  it("counts hosts by state, gives last seen per peer, and groups the daemon's counters", () => {
    const text = renderExposition(
      discoFamilies(
        HOSTS,
        [
          { name: "beacon_drops_total", help: "Beacons dropped, by reason.", type: "counter", labels: { reason: "malformed" }, value: 2 },
          { name: "beacon_drops_total", help: "Beacons dropped, by reason.", type: "counter", labels: { reason: "replay" }, value: 1 },
          { name: "reloads", help: "Reloads (no _total given: added).", type: "counter", value: 4 },
        ],
        { host: "shed", version: "0.1.0" },
      ),
    );
    assert.match(text, /^disco_build_info\{host="shed",version="0.1.0"\} 1$/m);
    assert.match(text, /^disco_hosts\{state="alive"\} 2$/m);
    assert.match(text, /^disco_hosts\{state="suspect"\} 1$/m);
    assert.match(text, /^disco_hosts\{state="failed"\} 1$/m);
    assert.match(text, /^disco_host_last_seen_seconds\{host="barn",state="failed"\} 1700000000$/m);
    assert.doesNotMatch(text, /host_last_seen_seconds\{host="shed"/);
    assert.match(text, /^disco_beacon_drops_total\{reason="malformed"\} 2\ndisco_beacon_drops_total\{reason="replay"\} 1$/m);
    assert.match(text, /^disco_reloads_total 4$/m);
  });
});
