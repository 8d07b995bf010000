import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { configError } from "./_problems.ts";
import { ConfigError, parseConfig, parseDuration, parseIniServices, parseServicesFile } from "../../lib/config/index.ts";
import { lineOf, locateKeys } from "../../lib/config/_locate.ts";

/** The lines `disco config check` prints for a refused config. */
function problems(text: string): string[] {
  return configError(text, "t.toml").format().split("\n");
}

describe("parseConfig()", () => {
  it("gives every default for an empty file", () => {
    const c = parseConfig("");
    assert.equal(c.discovery.magic, "disco");
    assert.equal(c.discovery.port, 40000);
    assert.equal(c.discovery.listen, "0.0.0.0");
    assert.equal(c.discovery.hidden, true);
    assert.equal(c.discovery.timeoutMs, 2000);
    assert.equal(c.discovery.legacy, false);
    assert.deepEqual(c.discovery.keys, []);
    assert.deepEqual(c.services, {});
    assert.deepEqual(c.host, {});
  });

  it("keeps [services] verbatim, nested tables and arrays included", () => {
    const c = parseConfig('[services]\nhttp = "http://x:80"\ncamera = { port = 8554, codec = "h264" }\nlist = [1, 2]\n');
    assert.deepEqual(c.services, { http: "http://x:80", camera: { port: 8554, codec: "h264" }, list: [1, 2] });
  });

  it("puts key before keys, and reads durations with units", () => {
    const k1 = "A".repeat(43) + "=";
    const k2 = "b".repeat(64);
    const c = parseConfig(`[discovery]\nkey = "${k1}"\nkeys = ["${k2}"]\ntimeout = "500ms"\nmax_skew = 10\n`);
    assert.deepEqual(c.discovery.keys, [k1, k2]);
    assert.equal(c.discovery.timeoutMs, 500);
    assert.equal(c.discovery.maxSkewMs, 10_000);
  });

  // Each bad config and the exact lines `disco config check` prints for it.
  const table: [string, string, string[]][] = [
    [
      "wrong types and ranges, all reported, in line order",
      '[discovery]\nport = 70000\nmagic = ""\nhidden = "yes"\nrate_limit = 0\ntimeout = "soon"\nbroadcast = ["1.2.3"]\n',
      [
        "t.toml:2: discovery.port: expected a whole number from 1 to 65535, got 70000",
        "t.toml:3: discovery.magic: expected a non-empty string, got an empty string",
        "t.toml:4: discovery.hidden: expected true or false, got the string \"yes\"",
        "t.toml:5: discovery.rate_limit: expected a number from 0.1 to 100000, got 0",
        "t.toml:6: discovery.timeout: expected a duration such as 2, \"500ms\", \"2s\" or \"1m\" (at least 10 ms), got the string \"soon\"",
        "t.toml:7: discovery.broadcast[0]: expected an IPv4 address, got \"1.2.3\"",
      ],
    ],
    [
      "unknown keys name what was expected",
      "[discovery]\nprot = 1\n",
      ["t.toml:2: discovery.prot: unknown key (expected one of: broadcast, decrypt_budget, decrypt_budget_per_address, enabled, hidden, interfaces, key, key_file, keys, legacy, listen, magic, max_skew, multicast_group, multicast_interface, password, password_file, port, rate_burst, rate_limit, timeout)"],
    ],
    [
      "secrets: both password forms, malformed keys",
      '[discovery]\npassword = "a"\npassword_file = "/x"\nkey = "short"\nkeys = ["zz"]\n',
      [
        "t.toml:3: discovery.password_file: set either password or password_file, not both",
        "t.toml:4: discovery.key: expected a key from 'disco keygen' (44 base64 characters or 64 hex digits), got the string \"short\"",
        "t.toml:5: discovery.keys[0]: expected a key from 'disco keygen' (44 base64 characters or 64 hex digits), got 2 characters",
      ],
    ],
    [
      "addresses",
      '[discovery]\nmulticast_group = "10.0.0.1"\nlisten = "eth0"\n',
      [
        "t.toml:2: discovery.multicast_group: expected an IPv4 multicast address (224.0.0.0 to 239.255.255.255), got the string \"10.0.0.1\"",
        "t.toml:3: discovery.listen: expected an IPv4 address such as 0.0.0.0, got the string \"eth0\"",
      ],
    ],
    [
      "top-level: unknown table, bad host name",
      '[host]\nname = "a b"\n\n[unknwon]\nx = 1\n',
      [
        "t.toml:2: host.name: expected a host name (1 to 253 ASCII letters, digits, '.', '_' or '-', not starting with '-' or '.'), got the string \"a b\"",
        "t.toml:4: unknwon: unknown key (expected one of: beacon, control, daemon, discovery, gpio, host, http, metrics, mqtt, query, services)",
      ],
    ],
    ["services must be a table", "services = 3\n", ["t.toml:1: services: expected a table of service entries ([services])"]],
    ["a section that is not a table", "discovery = 1\n", ["t.toml:1: discovery: expected a table, got 1"]],
    ["invalid TOML names line and column", "[discovery\nport = 1\n", ["t.toml:1: invalid TOML: illegal character in key (column 11): a table header needs its closing ']'"]],
    ["dotted keys find their line", "a = 1\ndiscovery.port = 0\n", [
      "t.toml:1: a: unknown key (expected one of: beacon, control, daemon, discovery, gpio, host, http, metrics, mqtt, query, services)",
      "t.toml:2: discovery.port: expected a whole number from 1 to 65535, got 0",
    ]],
  ];
  for (const [name, text, expected] of table) {
    it(`rejects ${name}`, () => {
      assert.deepEqual(problems(text), expected);
    });
  }
});

describe("locateKeys()", () => {
  it("maps keys, tables and arrays of tables to their lines", () => {
    const text = [
      "# comment", // 1
      "[discovery]", // 2
      'magic = "m"', // 3
      'notes = """', // 4
      "port = 5", // 5 (inside a string: not a key)
      '"""', // 6
      "[[gpio.output]]", // 7
      'name = "a"', // 8
      "[[gpio.output]]", // 9
      "  line = 3", // 10
      '"quoted key" = 1', // 11
    ].join("\n");
    const m = locateKeys(text);
    assert.equal(m.get("discovery"), 2);
    assert.equal(m.get("discovery.magic"), 3);
    assert.equal(m.get("discovery.port"), undefined);
    assert.equal(m.get("gpio.output[0].name"), 8);
    assert.equal(m.get("gpio.output[1]"), 9);
    assert.equal(m.get("gpio.output[1].line"), 10);
    assert.equal(m.get("gpio.output[1].quoted key"), 11);
    assert.equal(lineOf(m, "gpio.output[1].missing"), 9);
    assert.equal(lineOf(m, "nothing.here"), undefined);
  });
});

describe("parseDuration()", () => {
  it("reads seconds and units", () => {
    assert.equal(parseDuration(2), 2000);
    assert.equal(parseDuration(0.5), 500);
    assert.equal(parseDuration("1.5s"), 1500);
    assert.equal(parseDuration("250ms"), 250);
    assert.equal(parseDuration("2m"), 120_000);
    assert.equal(parseDuration("1h"), 3_600_000);
    assert.equal(parseDuration("3"), 3000);
    assert.equal(parseDuration("1m30s"), 90_000);
    assert.equal(parseDuration("1h30m"), 5_400_000);
    assert.equal(parseDuration("2s500ms"), 2500);
  });
  it("rejects zero, negatives and junk", () => {
    for (const v of [0, -1, "0s", "-2s", "2 parsecs", "", "10 m", " 2s", "2s ", "30s1m", "1s1s", "ms", "h", "1.s", true, null, [1]]) assert.equal(parseDuration(v), undefined, String(v));
  });
});

describe("parseServicesFile()", () => {
  it("reads a PyDiscover .cfg [DEFAULT] section", () => {
    const text = "[DEFAULT]\n# comment\nweb = http://10.0.0.2:8080\nssh: 22\n\n[other]\nignored = 1\n";
    assert.deepEqual(parseServicesFile(text, "services.cfg"), { web: "http://10.0.0.2:8080", ssh: "22" });
  });
  it("reads [services] from a TOML file, or its top level", () => {
    assert.deepEqual(parseServicesFile('[services]\nweb = "x"\n', "s.toml"), { web: "x" });
    assert.deepEqual(parseServicesFile('web = "x"\n', "s.toml"), { web: "x" });
  });
  it("reports an INI line that is not a key with its line", () => {
    assert.throws(() => parseIniServices("[DEFAULT]\nthis is not a key\n", "s.cfg"), (e: unknown) => e instanceof ConfigError && e.problems[0]!.line === 2);
  });
  it("reports bad TOML with its line", () => {
    assert.throws(() => parseServicesFile("web = \n", "s.toml"), (e: unknown) => e instanceof ConfigError && e.problems[0]!.line === 1);
  });
});
