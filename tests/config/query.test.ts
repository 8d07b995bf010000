import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config/index.ts";
import { configError, problems } from "./_problems.ts";

describe("config [control] and [[query]]", () => {
  it("defaults: control on port 40001, 4 queries at once, 5 s challenges, 3 s client timeout, no queries", () => {
    assert.deepEqual(parseConfig("").control, { enabled: true, port: 40001, maxConcurrentQueries: 4, challengeTtlMs: 5000, timeoutMs: 3000, queries: [] });
  });

  it("reads the issue's example: an argv command and a shell line, with timeouts", () => {
    const c = parseConfig(`[control]\nport = 41000\nmax_concurrent_queries = 2\nchallenge_ttl = "2s"\ntimeout = "1s"\n\n[[query]]\nname = "uptime"\ncommand = ["cat", "/proc/uptime"]\ntimeout = "5s"\n\n[[query]]\nname = "load"\ncommand = "cut -d' ' -f1 /proc/loadavg"\n`).control;
    assert.equal(c.port, 41000);
    assert.equal(c.maxConcurrentQueries, 2);
    assert.equal(c.challengeTtlMs, 2000);
    assert.equal(c.timeoutMs, 1000);
    assert.deepEqual(c.queries, [
      { name: "uptime", argv: ["cat", "/proc/uptime"], timeoutMs: 5000 },
      { name: "load", shell: "cut -d' ' -f1 /proc/loadavg", timeoutMs: 5000 },
    ]);
  });

  it("refuses a missing or empty command, a bad name, a duplicate name, an unknown key and bad limits, each with its line", () => {
    assert.deepEqual(
      problems(
        `[control]\nport = 0\nmax_concurrent_queries = 0\nchallenge_ttl = "1ms"\n\n[[query]]\nname = "a b"\ncommand = []\n\n[[query]]\nname = "x"\n\n[[query]]\nname = "x"\ncommand = "  "\nbogus = 1\n\n[[query]]\nname = "y"\ncommand = [1]\n`,
      ),
      ["control.port@2", "control.max_concurrent_queries@3", "control.challenge_ttl@4", "query[0].name@7", "query[0].command@8", "query[1].command@10", "query[2].name@14", "query[2].command@15", "query[2].bogus@16", "query[3].command@20"],
    );
    assert.match(configError(`[[query]]\nname = "x"\ncommand = "a"\n[[query]]\nname = "x"\ncommand = "b"\n`).problems[0]!.message, /duplicate query name 'x'/);
  });
});

describe("config.example.toml [control] and [[query]]", () => {
  it("its commented examples parse when uncommented", async () => {
    const { readFileSync } = await import("node:fs");
    const text = readFileSync(new URL("../../config.example.toml", import.meta.url), "utf8");
    const start = text.indexOf("\n[control]");
    const end = text.indexOf("\n# The web server", start); // the next section's commented keys are not this one's
    const section = text.slice(start, end === -1 ? undefined : end);
    const uncommented = section.replace(/^# (\[\[query\]\]|(?:enabled|port|max_concurrent_queries|challenge_ttl|timeout|name|command)(?= += ))/gm, "$1");
    const c = parseConfig(uncommented).control;
    assert.equal(c.port, 40001);
    assert.deepEqual(c.queries.map((q) => q.name), ["uptime", "greet"]);
  });
});
