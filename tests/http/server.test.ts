import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startHttpServer } from "../../lib/http/index.ts";
import { readEvents, testFleet } from "./_fleet.ts";
import { checkMetrics, promtoolUnavailable } from "./_promtool.ts";

describe("startHttpServer()", () => {
  it("serves the page, its script and style with a strict CSP, and the JSON API", async () => {
    const { fleet } = testFleet([{ name: "door", kind: "input", value: 1, remote: false }]);
    fleet.applyMembership("join", { host: "barn", state: "alive", lastSeenUnixMs: 1, addresses: ["10.0.0.3"] });
    fleet.applyMetric("barn", { load1: "0.5", _time: 1 });
    await using server = await startHttpServer({ fleet, port: 0 });
    const page = await fetch(`${server.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type")!, /^text\/html/);
    assert.match(page.headers.get("content-security-policy")!, /script-src 'self'/);
    const html = await page.text();
    assert.match(html, /<script src="page.js" defer>/);
    const js = await (await fetch(`${server.url}/page.js`)).text();
    assert.doesNotMatch(js, /innerHTML|outerHTML|insertAdjacentHTML|document\.write/, "the page never parses network data as HTML");
    assert.match(js, /new EventSource\("events"\)/);
    assert.equal((await fetch(`${server.url}/page.css`)).status, 200);
    const hosts = (await (await fetch(`${server.url}/api/hosts`)).json()) as { host: string; self?: boolean }[];
    assert.deepEqual(hosts.map((h) => [h.host, h.self ?? false]), [["shed", true], ["barn", false]]);
    assert.deepEqual(await (await fetch(`${server.url}/api/metrics`)).json(), { barn: { values: { load1: "0.5" }, unixMs: (fleet.metrics().get("barn")!.unixMs) } });
    const status = (await (await fetch(`${server.url}/api/status`)).json()) as Record<string, unknown>;
    assert.equal(status["host"], "shed");
    assert.deepEqual(await (await fetch(`${server.url}/api/gpio`)).json(), [{ name: "door", kind: "input", value: 1, remote: false }]);
    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
    assert.equal((await fetch(`${server.url}/api/hosts`, { method: "DELETE" })).status, 405);
  });

  it("/events starts with a snapshot, then streams membership, metric and gpio events", async () => {
    const { fleet } = testFleet([{ name: "pump", kind: "output", value: 0, remote: true }]);
    await using server = await startHttpServer({ fleet, port: 0 });
    const res = await fetch(`${server.url}/events`);
    assert.match(res.headers.get("content-type")!, /^text\/event-stream/);
    const first = await readEvents(res, (e) => e.length >= 1);
    assert.equal(first[0]!.event, "snapshot");
    const snap = JSON.parse(first[0]!.data) as { self: string; canWrite: boolean; hosts: unknown[] };
    assert.equal(snap.self, "shed");
    assert.equal(snap.canWrite, false);
    fleet.applyMembership("join", { host: "evil\n\ndata: x", state: "alive", lastSeenUnixMs: 1, addresses: [] });
    fleet.applyMetric("shed", { temp: 40 });
    fleet.applyGpio({ name: "pump", kind: "output", value: 1, remote: true });
    fleet.applyMembership("failed", { host: "evil\n\ndata: x", state: "failed", lastSeenUnixMs: 1, addresses: [] });
    const events = await readEvents(res, (e) => e.length >= 4);
    assert.deepEqual(events.map((e) => e.event), ["join", "metric", "gpio", "failed"]);
    assert.equal((JSON.parse(events[0]!.data) as { host: string }).host, "evil\n\ndata: x", "a hostile name stays inside its event");
    await res.body?.cancel();
  });

  it("/events pushes counters and when each peer was last heard (steady beacons raise no other event)", async () => {
    const { fleet } = testFleet();
    fleet.applyMembership("join", { host: "barn", state: "alive", lastSeenUnixMs: 1000, addresses: [] });
    // A valid host name that a plain object's assignment would swallow (it sets the prototype).
    fleet.applyMembership("join", { host: "__proto__", state: "alive", lastSeenUnixMs: 1000, addresses: [] });
    let barnSeenUnixMs = 1000;
    fleet.setProviders({ counters: () => [{ name: "x_total", help: "x", type: "counter", value: 7 }], lastSeen: (host) => (host === "self" ? undefined : barnSeenUnixMs) });
    await using server = await startHttpServer({ fleet, port: 0, countersIntervalMs: 20 });
    const res = await fetch(`${server.url}/events`);
    await readEvents(res, (e) => e.length >= 1);
    barnSeenUnixMs = 2000;
    const events = await readEvents(res, (e) => e.some((x) => x.event === "seen" && x.data.includes("2000")));
    assert.deepEqual(JSON.parse(events.find((e) => e.event === "counters")!.data), [{ name: "x_total", help: "x", type: "counter", value: 7 }]);
    const last = JSON.parse(events.filter((e) => e.event === "seen").at(-1)!.data) as Record<string, number>;
    assert.deepEqual(Object.entries(last).sort(), [["__proto__", 2000], ["barn", 2000]]);
    await res.body?.cancel();
  });

  it("refuses event streams over max_clients with 503", async () => {
    const { fleet } = testFleet();
    await using server = await startHttpServer({ fleet, port: 0, maxClients: 1 });
    const a = await fetch(`${server.url}/events`);
    await readEvents(a, (e) => e.length >= 1);
    const b = await fetch(`${server.url}/events`);
    assert.equal(b.status, 503);
    await a.body?.cancel();
  });

  it("with a token: 401 without it, bearer or the page's cookie with it", async () => {
    const { fleet } = testFleet();
    await using server = await startHttpServer({ fleet, port: 0, token: "s3cret" });
    const none = await fetch(`${server.url}/api/hosts`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get("www-authenticate")!, /^Bearer/);
    assert.equal((await fetch(`${server.url}/metrics`)).status, 401);
    assert.equal((await fetch(`${server.url}/api/hosts`, { headers: { authorization: "Bearer wrong" } })).status, 401);
    assert.equal((await fetch(`${server.url}/api/hosts`, { headers: { authorization: "Bearer s3cret" } })).status, 200);
    assert.equal((await fetch(`${server.url}/?token=wrong`, { redirect: "manual" })).status, 401);
    const login = await fetch(`${server.url}/?token=s3cret`, { redirect: "manual" });
    assert.equal(login.status, 303);
    const cookie = login.headers.get("set-cookie")!;
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const withCookie = await fetch(`${server.url}/api/hosts`, { headers: { cookie: cookie.split(";")[0]! } });
    assert.equal(withCookie.status, 200);
  });

  it("GPIO writes: only with a token, only JSON, only remote lines, only valid values", async () => {
    const lines = [
      { name: "pump", kind: "output" as const, value: 0, remote: true },
      { name: "siren", kind: "output" as const, value: 0, remote: false },
      { name: "fan", kind: "pwm" as const, value: 0, remote: true },
      { name: "door", kind: "input" as const, value: 0, remote: false },
    ];
    const post = (url: string, name: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${url}/api/gpio/${name}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
    {
      const { fleet, writes } = testFleet(lines);
      await using open = await startHttpServer({ fleet, port: 0 });
      assert.equal((await post(open.url, "pump", '{"value":1}')).status, 403, "no token configured: no writes at all");
      assert.deepEqual(writes, []);
    }
    const { fleet, writes } = testFleet(lines);
    await using server = await startHttpServer({ fleet, port: 0, token: "t" });
    const auth = { authorization: "Bearer t" };
    assert.equal((await post(server.url, "pump", '{"value":1}')).status, 401);
    assert.equal((await post(server.url, "pump", '{"value":1}', { ...auth, "content-type": "text/plain" })).status, 415);
    assert.equal((await post(server.url, "siren", '{"value":1}', auth)).status, 403);
    assert.equal((await post(server.url, "door", '{"value":1}', auth)).status, 403);
    assert.equal((await post(server.url, "ghost", '{"value":1}', auth)).status, 404);
    assert.equal((await post(server.url, "pump", '{"value":2}', auth)).status, 400);
    assert.equal((await post(server.url, "pump", "not json", auth)).status, 400);
    assert.equal((await post(server.url, "fan", '{"value":1.5}', auth)).status, 400);
    assert.deepEqual(writes, []);
    assert.equal((await post(server.url, "pump", '{"value":1}', auth)).status, 200);
    assert.equal((await post(server.url, "fan", '{"value":0.25}', auth)).status, 200);
    assert.deepEqual(writes, [["pump", 1], ["fan", 0.25]]);
    assert.equal(fleet.gpio().find((l) => l.name === "pump")!.value, 1);
  });

  it("/sd lists the hosts that announce an HTTP endpoint", async () => {
    const { fleet } = testFleet();
    fleet.applyMembership("join", { host: "barn", state: "alive", lastSeenUnixMs: 1, addresses: ["10.0.0.3"], version: "0.1.0", httpEndpoint: "http://10.0.0.3:9180" });
    fleet.applyMembership("join", { host: "quiet", state: "alive", lastSeenUnixMs: 1, addresses: ["10.0.0.4"] });
    await using server = await startHttpServer({ fleet, port: 0 });
    assert.deepEqual(await (await fetch(`${server.url}/sd`)).json(), [
      { targets: ["10.0.0.3:9180"], labels: { host: "barn", state: "alive", version: "0.1.0" } },
      { targets: ["127.0.0.1:9180"], labels: { host: "shed", state: "alive", version: "0.1.0" } },
    ]);
  });

  it("a port in use is an HttpError naming the address", async () => {
    const { fleet } = testFleet();
    await using a = await startHttpServer({ fleet, port: 0 });
    await assert.rejects(startHttpServer({ fleet, port: a.port }), (err: Error) => err.name === "HttpError" && /127\.0\.0\.1:\d+/.test(err.message));
  });

  it("/metrics passes promtool check metrics (this machine's /proc, hostile names included)", { skip: promtoolUnavailable() }, async () => {
    const { fleet } = testFleet();
    fleet.applyMembership("join", { host: 'x"}\n', state: "suspect", lastSeenUnixMs: 1_700_000_000_000, addresses: [] });
    // The daemon's counters include the http task's own, under a name this server also writes: skipped, not a 500.
    fleet.setProviders({
      counters: () => [
        { name: "beacon_packets_total", help: "Beacons received.", type: "counter", value: 5 },
        { name: "http_requests_total", help: "duplicate of the server's own family", type: "counter", value: 1 },
      ],
    });
    await using server = await startHttpServer({ fleet, port: 0 });
    await fetch(`${server.url}/`);
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const body = await res.text();
    for (const name of ["node_load1", "node_memory_MemAvailable_bytes", "node_boot_time_seconds", "node_network_receive_bytes_total", "node_filesystem_avail_bytes", "disco_hosts", "disco_beacon_packets_total", "disco_http_requests_total"]) {
      assert.match(body, new RegExp(`^${name}[{ ]`, "m"), name);
    }
    const { code, problems } = await checkMetrics(body);
    assert.deepEqual(problems, [], "promtool finds nothing but node_exporter's own camelCase memory names");
    assert.ok(code === 0 || code === 3, `promtool exit ${code}`);
  });
});
