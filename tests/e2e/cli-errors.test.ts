/**
 * One rule for every command, checked on the compiled binary (issue 13 #4, #5):
 * - a bad flag value (an unknown interface included) is a usage error: exit 2, one message in the
 *   command's own words ("disco <command>: ..."), never an error class name or the argument parser's text,
 *   then "Try 'disco <command> --help'";
 * - "looked and found nobody" is exit 1 (client, hosts, query), and an interrupted wait claims nothing;
 * - every command (and both links) answers --version, takes -v/--verbose and --debug, and its help has an
 *   exit-code line;
 * - runtime failures say what happened: "address in use", "nobody got it", no doubled message.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { COMMANDS } from "../../lib/cli/index.ts";
import { VERSION } from "../../lib/version.ts";
import { DISCO, ensureBuilt, freeUdpPort, spawn } from "../_bin.ts";
import { LineReader } from "../_lines.ts";

const tmp = mkdtempSync(join(tmpdir(), "disco-cli-errors-"));
/** An empty config, so no test reads this machine's /etc/disco.toml. */
const EMPTY = join(tmp, "empty.toml");
writeFileSync(EMPTY, "");

after(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: readonly string[], program = DISCO): { code: number; out: string; err: string } {
  const p = Bun.spawnSync([program, ...args], { stdout: "pipe", stderr: "pipe", stdin: "ignore", timeout: 30_000 });
  return { code: p.exitCode ?? -1, out: p.stdout.toString(), err: p.stderr.toString() };
}

/** Text a user must never see: error class names, node:util parseArgs' own wording, stack frames. */
const LEAKS = /\b[A-Z][A-Za-z]*Error\b|Option '|argument missing|is ambiguous|ERR_PARSE_ARGS|To specify a positional|\n\s+at /;

/** [command words..., expected stderr message] — each must be a usage error of that command. */
const USAGE: readonly (readonly [string[], RegExp])[] = [
  [["run", "--bogus"], /unknown flag '--bogus'/],
  [["run", "-c"], /-c \(--config\) needs a value/],
  [["server", "-p", "-1"], /--port must be between 0 and 65535, got -1/],
  [["server", "-p", "--legacy"], /needs a value, got the flag '--legacy'/],
  [["server", "-c", EMPTY, "--key-file", "/nonexist"], /--key-file: file not found \(\/nonexist\)/],
  [["server", "-c", EMPTY, "-l", "nosuch"], /-l expects an IPv4 address/],
  [["client", "-c", EMPTY, "-i", "nosuch0"], /interface 'nosuch0' does not exist/],
  [["client", "-c", EMPTY, "-t", "abc"], /--timeout expects a duration/],
  [["client", "-c", EMPTY, "--to", "1.2.3"], /--to expects an IPv4 address/],
  [["client", "--json=yes"], /--json takes no value/],
  [["broadcast", "-c", EMPTY, "--send", "-i", "nosuch0"], /interface 'nosuch0' does not exist/],
  [["broadcast", "-c", EMPTY, "--send", "--to", "1.2.3"], /--to expects an IPv4 address/],
  [["broadcast", "-c", EMPTY], /exactly one of --send or --receive/],
  [["broadcast", "-c", EMPTY, "--send", "--delay", "0"], /--delay expects a duration/],
  [["hosts", "-c", EMPTY, "--timeout", "x"], /--timeout expects a duration/],
  [["hosts", "-c", EMPTY, "--announce", "-i", "nosuch0"], /interface 'nosuch0' does not exist/],
  [["hosts", "extra"], /unexpected argument 'extra'/],
  [["metrics", "-c", EMPTY, "--publish"], /--publish needs NAME VALUE/],
  [["metrics", "-c", EMPTY, "--proxy", "--frontend", "bad"], /--frontend expects an endpoint/],
  [["gpio", "-c", EMPTY, "set"], /set takes a line and a value/],
  [["gpio", "-c", EMPTY, "info", "--sysfs-root", "/nonexist"], /--sysfs-root: no such directory/],
  [["gpio", "-c", EMPTY, "frob"], /unknown subcommand 'frob'/],
  [["keygen", "extra"], /unexpected argument 'extra'/],
  [["config", "check", "-c"], /-c \(--config\) needs a value/],
  [["config", "check", "extra"], /unexpected argument 'extra'/],
  [["config", "frob"], /unknown subcommand 'frob'/],
  [["query", "--bogus"], /unknown flag '--bogus'/],
  [["status", "--bogus"], /unknown flag '--bogus'/],
  [["status", "--socket"], /-s \(--socket\) needs a value|--socket needs a value/],
  [["reload", "extra"], /unexpected argument 'extra'/],
];

describe("every command: usage errors in its own words, exit 2 (compiled binary)", () => {
  before(() => {
    ensureBuilt();
  });

  it("the table covers every command", () => {
    const covered = new Set(USAGE.map(([args]) => args[0]));
    assert.deepEqual(COMMANDS.map((c) => c.name).filter((n) => !covered.has(n)), []);
  });

  for (const [args, message] of USAGE) {
    it(`disco ${args.join(" ").replaceAll(EMPTY, "EMPTY")}`, () => {
      const r = run(args);
      assert.equal(r.code, 2, r.err);
      const [first = "", ...rest] = r.err.split("\n");
      assert.ok(first.startsWith(`disco ${args[0]}: `), `not in the command's own words: ${r.err}`);
      assert.match(first, message);
      assert.doesNotMatch(r.err, LEAKS);
      // One problem, one line (a file problem names the file instead of suggesting --help).
      assert.ok(rest.join("\n").trim() === "" || rest[0] === `Try 'disco ${args[0]} --help'.`, r.err);
      assert.equal(r.out, "");
    });
  }

  it("a config naming an interface that does not exist fails 'config check' with its line", () => {
    const file = join(tmp, "iface.toml");
    writeFileSync(file, '[discovery]\ninterfaces = ["nosuch0"]\n[beacon]\ninterfaces = ["lo", "nosuch1"]\n');
    const r = run(["config", "check", "-c", file]);
    assert.equal(r.code, 2);
    assert.match(r.err, new RegExp(`^${file}:2: discovery\\.interfaces\\[0\\]: interface 'nosuch0' does not exist`, "m"));
    assert.match(r.err, new RegExp(`^${file}:4: beacon\\.interfaces\\[1\\]: interface 'nosuch1' does not exist`, "m"));
    const j = run(["config", "check", "--json", "-c", file]);
    assert.equal(j.code, 2);
    const doc = JSON.parse(j.out) as { ok: boolean; problems: { key: string; line: number }[] };
    assert.equal(doc.ok, false);
    assert.deepEqual(doc.problems.map((p) => [p.key, p.line]), [["discovery.interfaces[0]", 2], ["beacon.interfaces[1]", 4]]);
  });
});

describe("every command: --version, -v/--debug, an exit-code line in its help", () => {
  for (const { name } of COMMANDS) {
    it(`disco ${name}`, () => {
      const v = run([name, "--version"]);
      assert.equal(v.code, 0, v.err);
      assert.match(v.out, new RegExp(`^disco ${VERSION.replaceAll(".", "\\.")} \\(`));
      const help = run([name, "--help"]);
      assert.equal(help.code, 0, help.err);
      assert.match(help.out, /Exit codes: /);
      assert.match(help.out, /-v, --verbose/);
      for (const flag of ["-v", "--verbose", "--debug"]) assert.equal(run([name, flag, "--help"]).code, 0, `${name} ${flag}`);
    });
  }
  it("both links answer --version", () => {
    for (const link of ["disco-server", "disco-client"]) {
      const r = run(["--version"], join(DISCO, "..", link));
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, new RegExp(`^disco ${VERSION.replaceAll(".", "\\.")} \\(`));
    }
  });
});

describe("runtime outcomes: found nobody, interrupted, nobody subscribed, in use", () => {
  it("client: nobody answered is exit 1", async () => {
    const port = await freeUdpPort();
    const r = run(["client", "-c", EMPTY, "--to", `127.0.0.1:${port}`, "-t", "300ms"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^disco client: no server answered within 0\.3s/);
  });

  it("hosts: says it listens and for how long, and nobody heard is exit 1", async () => {
    const port = await freeUdpPort();
    const r = run(["hosts", "-c", EMPTY, "--port", String(port), "--timeout", "300ms"]);
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`^disco hosts: listening for beacons on UDP ${port} for 0\\.3 s`));
    assert.match(r.err, /no hosts heard/);
    const j = run(["hosts", "-c", EMPTY, "--port", String(port), "--timeout", "300ms", "--json"]);
    assert.equal(j.code, 1);
    assert.deepEqual(JSON.parse(j.out), { hosts: [] });
  });

  it("client: Ctrl-C during a long wait prints no summary of a wait that did not happen", async () => {
    const port = await freeUdpPort();
    await using c = spawn([DISCO, "client", "-c", EMPTY, "--to", `127.0.0.1:${port}`, "-t", "1h", "-v"]);
    const err = new LineReader(c.proc.stderr);
    await err.waitFor(/query sent to/);
    c.proc.kill("SIGINT");
    assert.equal(await c.proc.exited, 1);
    await err.waitText((_t) => err.ended || undefined, { timeoutMs: 5000, what: "the end of stderr" }).catch(() => undefined);
    assert.doesNotMatch(err.text, /within 3600s|no server answered within/);
    assert.match(err.text, /interrupted before the timeout/);
  });

  it("server: a port in use says 'address in use' with the port, exit 1", async () => {
    const held = createSocket({ type: "udp4", reuseAddr: false });
    await new Promise<void>((r) => held.bind(0, "127.0.0.1", () => r()));
    try {
      const r = run(["server", "-c", EMPTY, "-l", "127.0.0.1", "-p", String(held.address().port)]);
      assert.equal(r.code, 1);
      assert.match(r.err, new RegExp(`^disco server: cannot bind UDP 127\\.0\\.0\\.1:${held.address().port}: EADDRINUSE \\(address in use: another server on this port\\? choose another with -p\\)\n$`));
      assert.doesNotMatch(r.err, LEAKS);
    } finally {
      held.close();
    }
  });

  it("metrics: a backend port in use says 'address in use'; --debug names a failed connect once", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as { port: number }).port;
    try {
      const r = run(["metrics", "-c", EMPTY, "--proxy", "--frontend", `ipc://${tmp}/busy`, "--backend", `tcp://127.0.0.1:${port}`]);
      assert.equal(r.code, 1);
      assert.match(r.err, /address in use/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
    const closed = await freeUdpPort(); // nobody listens on this TCP port either, most likely
    await using recv = spawn([DISCO, "metrics", "-c", EMPTY, "--receive", "--no-beacons", "--connect", `tcp://127.0.0.1:${closed}`, "--debug"]);
    const line = await new LineReader(recv.proc.stderr).nextLine((l) => l.includes("retrying"), { timeoutMs: 10_000, what: "a failed connect" });
    assert.equal(line.split(`tcp://127.0.0.1:${closed}`).length - 1, 1, `the endpoint is named once: ${line}`);
  });

  it("metrics --publish with nobody subscribed says so, exit 1", async () => {
    const frontend = `ipc://${tmp}/pub`;
    await using proxy = spawn([DISCO, "metrics", "-c", EMPTY, "--proxy", "--frontend", frontend, "--backend", "tcp://127.0.0.1:0"]);
    await new LineReader(proxy.proc.stdout).waitFor(/^Proxying metrics/);
    const r = run(["metrics", "-c", EMPTY, "--publish", "t", "1", "--frontend", frontend, "--wait", "500ms"]);
    assert.equal(r.code, 1);
    assert.match(r.err, /no receiver was subscribed within 0\.5 s: nobody got it/);
  });
});
