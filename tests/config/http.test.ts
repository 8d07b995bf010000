import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { advertisedHttpEndpoint, isLoopbackAddress, parseConfig, splitListen } from "../../lib/config/index.ts";
import { configError, problems } from "./_problems.ts";

describe("readHttp()", () => {
  it("is off with loopback defaults when [http] is absent", () => {
    assert.deepEqual(parseConfig("").http, { enabled: false, listen: "127.0.0.1:9180", address: "127.0.0.1", port: 9180, maxClients: 64 });
  });

  it("is on when the table is present, even empty", () => {
    assert.equal(parseConfig("[http]\n").http.enabled, true);
    assert.equal(parseConfig("[http]\nenabled = false\n").http.enabled, false);
  });

  it("reads every key", () => {
    const h = parseConfig(`
[http]
listen = "0.0.0.0:0"
token_file = "/etc/disco/token"
advertise = "http://10.0.0.5:9180/"
max_clients = 5
`).http;
    assert.deepEqual(h, { enabled: true, listen: "0.0.0.0:0", address: "0.0.0.0", port: 0, tokenFile: "/etc/disco/token", advertise: "http://10.0.0.5:9180", maxClients: 5 });
  });

  it("refuses a non-loopback listen without token_file, and says why", () => {
    const err = configError('[http]\nlisten = "0.0.0.0:9180"\n');
    assert.equal(err.problems.length, 1);
    assert.equal(err.problems[0]!.key, "http.listen");
    assert.equal(err.problems[0]!.line, 2);
    assert.match(err.problems[0]!.message, /needs token_file/);
  });

  it("accepts IPv6 loopback in brackets", () => {
    const h = parseConfig('[http]\nlisten = "[::1]:9180"\n').http;
    assert.equal(h.address, "::1");
    assert.equal(h.port, 9180);
  });

  it("reports bad values with their lines", () => {
    assert.deepEqual(problems('[http]\nlisten = "9180"\nadvertise = "ftp://x"\nmax_clients = 0\nbogus = 1\n'), [
      "http.listen@2",
      "http.advertise@3",
      "http.max_clients@4",
      "http.bogus@5",
    ]);
  });

  it("splitListen() and isLoopbackAddress()", () => {
    assert.deepEqual(splitListen("127.0.0.1:80"), { address: "127.0.0.1", port: 80 });
    assert.equal(splitListen("127.0.0.1:70000"), undefined);
    assert.equal(splitListen("[::1]"), undefined);
    assert.equal(isLoopbackAddress("127.1.2.3"), true);
    assert.equal(isLoopbackAddress("10.0.0.1"), false);
    assert.equal(isLoopbackAddress("0.0.0.0"), false);
  });
});

describe("readMqtt()", () => {
  it("is off when [mqtt] is absent", () => {
    const m = parseConfig("").mqtt;
    assert.equal(m.enabled, false);
    assert.equal(m.prefix, "disco");
  });

  it("needs url when present", () => {
    assert.deepEqual(problems("[mqtt]\nprefix = \"x\"\n"), ["mqtt.url@1"]);
  });

  it("reads every key", () => {
    const m = parseConfig(`
[mqtt]
url = "mqtts://broker.lan:8883"
username = "u"
password_file = "/p"
client_id = "c1"
prefix = "fleet/disco"
discovery_prefix = "ha"
discovery = false
keepalive = "10s"
reconnect_max = "5s"
ca_file = "/ca.pem"
fleet = false
`).mqtt;
    assert.deepEqual(m, {
      enabled: true,
      url: "mqtts://broker.lan:8883",
      username: "u",
      passwordFile: "/p",
      clientId: "c1",
      prefix: "fleet/disco",
      discoveryPrefix: "ha",
      discovery: false,
      keepaliveMs: 10000,
      reconnectMaxMs: 5000,
      caFile: "/ca.pem",
      fleet: false,
    });
  });

  it("refuses wildcards in topics and other URL schemes", () => {
    assert.deepEqual(problems('[mqtt]\nurl = "http://x:1"\nprefix = "a/#"\ndiscovery_prefix = "/ha"\n'), ["mqtt.url@2", "mqtt.prefix@3", "mqtt.discovery_prefix@4"]);
  });
});

describe("config.example.toml [http] and [mqtt]", () => {
  it("ships them off, and every documented key parses when uncommented", async () => {
    const { readFileSync } = await import("node:fs");
    const text = readFileSync(new URL("../../config.example.toml", import.meta.url), "utf8");
    const shipped = parseConfig(text);
    assert.equal(shipped.http.enabled, false);
    assert.equal(shipped.mqtt.enabled, false);
    const block = (header: string) => {
      const start = text.indexOf(`# ${header}`);
      const rest = text.slice(start);
      const end = rest.search(/^\s*$/m);
      return (end > 0 ? rest.slice(0, end) : rest).replace(/^# (?=[\[a-z_]+( =|\]))/gm, "");
    };
    const h = parseConfig(block("[http]")).http;
    assert.deepEqual(h, { enabled: true, listen: "127.0.0.1:9180", address: "127.0.0.1", port: 9180, tokenFile: "/etc/disco/http-token", advertise: "http://10.0.0.5:9180", maxClients: 64 });
    const m = parseConfig(block("[mqtt]")).mqtt;
    assert.equal(m.url, "mqtt://broker.lan:1883");
    assert.equal(m.caFile, "/etc/ssl/certs/broker-ca.pem");
    assert.equal(m.fleet, true);
    assert.equal(m.keepaliveMs, 30_000);
  });
});

describe("advertisedHttpEndpoint()", () => {
  const http = (text: string) => parseConfig(`[http]\n${text}`).http;
  it("announces advertise, else a unicast listen, else a wildcard listen at this host's address", () => {
    assert.equal(advertisedHttpEndpoint(http('listen = "0.0.0.0:9180"\ntoken_file = "/t"\nadvertise = "https://shed.lan/disco"\n'), "10.0.0.5"), "https://shed.lan/disco");
    assert.equal(advertisedHttpEndpoint(http('listen = "10.0.0.5:9180"\ntoken_file = "/t"\n')), "http://10.0.0.5:9180");
    assert.equal(advertisedHttpEndpoint(http('listen = "0.0.0.0:9180"\ntoken_file = "/t"\n'), "10.0.0.5"), "http://10.0.0.5:9180");
    assert.equal(advertisedHttpEndpoint(http('listen = "[::]:9180"\ntoken_file = "/t"\n'), "fe80::1"), "http://[fe80::1]:9180");
  });
  it("announces nothing the LAN cannot reach or that is not known", () => {
    assert.equal(advertisedHttpEndpoint(http("")), undefined, "loopback");
    assert.equal(advertisedHttpEndpoint(http('listen = "0.0.0.0:9180"\ntoken_file = "/t"\n')), undefined, "a wildcard without an address");
    assert.equal(advertisedHttpEndpoint(http('listen = "0.0.0.0:0"\ntoken_file = "/t"\n'), "10.0.0.5"), undefined, "port 0");
    assert.equal(advertisedHttpEndpoint(parseConfig("").http, "10.0.0.5"), undefined, "[http] off");
  });
});
