import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureBuilt, ROOT } from "../_bin.ts";
import { LineReader } from "../_lines.ts";
import { createSysfsTree } from "../gpio/_sysfs-tree.ts";
import { createLan, netnsUnavailable } from "./_netns.ts";
import { CONTROL_PURPOSE, decodeControlFrame, decodeResult, openControlFrame } from "../../lib/control/index.ts";
import { createKeyring, decodeKey } from "../../lib/crypto/index.ts";

const skip = netnsUnavailable();
const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (h) => parseInt(h, 16));

describe("remote GPIO and queries on a LAN of network namespaces", { skip }, () => {
  let disco = "";
  const tmp = mkdtempSync(join(tmpdir(), "disco-net-ctl-"));
  let key = "";
  let otherKey = "";
  before(() => {
    disco = ensureBuilt();
    key = join(tmp, "key");
    otherKey = join(tmp, "other.key");
    writeFileSync(key, Bun.spawnSync([disco, "keygen"]).stdout.toString());
    writeFileSync(otherKey, Bun.spawnSync([disco, "keygen"]).stdout.toString());
  });

  const gpioConfig = (name: string, sysfsRoot: string) => {
    const p = join(tmp, `${name}.toml`);
    writeFileSync(
      p,
      `[host]\nname = "${name}"\n[discovery]\nmagic = "lan"\nkey_file = "${key}"\n[control]\nport = 40001\n` +
        `[gpio]\ndriver = "sysfs"\nsysfs_root = "${sysfsRoot}"\n` +
        `[[gpio.output]]\nname = "pump"\nline = 1\nremote = true\n` +
        `[[gpio.output]]\nname = "heater"\nline = 2\n`,
    );
    return p;
  };

  it("disco gpio --host sets and reads a remote line over a sysfs tree; a non-remote line, a bad value and a wrong key change nothing; a replayed command is refused", async () => {
    using tree = createSysfsTree();
    await using lan = await createLan(2);
    const [target, client] = lan.hosts;
    const server = target!.spawn([disco, "server", "-c", gpioConfig("pi-1", tree.root), "-v"]);
    const log = new LineReader(server.stderr);
    await log.waitFor(/control: listening on 0\.0\.0\.0:40001 \(2 outputs/);
    const value = (line: number) => readFileSync(join(tree.lineDir(line), "value"), "utf8").trim();
    const ask = (...args: string[]) => client!.exec([disco, "gpio", "-m", "lan", "--key-file", key, "--host", target!.ip, "-t", "2", ...args]);

    const set = ask("set", "pump", "1", "-v");
    assert.equal(set.exitCode, 0, set.stderr);
    assert.match(set.stderr, /challenge from 10\.77\.0\.1:40001 .* repeating the operation/);
    assert.equal(value(1), "1");
    await log.waitFor(/remote write pump = 1 from 10\.77\.0\.2:\d+ \(key [0-9a-f]{8}\)/);
    const get = ask("get", "pump");
    assert.equal(get.exitCode, 0, get.stderr);
    assert.equal(get.stdout, "1\n");
    const info = ask("info", "--json");
    assert.equal(info.exitCode, 0, info.stderr);
    assert.deepEqual((JSON.parse(info.stdout) as { lines: { name: string; remote: boolean }[] }).lines.map((l) => [l.name, l.remote]), [["pump", true], ["heater", false]]);

    const heater = ask("set", "heater", "1");
    assert.equal(heater.exitCode, 2);
    assert.match(heater.stderr, /pi-1 .* refused: 'heater' does not accept remote writes .*\[not-remote\]/);
    assert.equal(value(2), "0");
    const undeclared = ask("set", "nope", "1");
    assert.equal(undeclared.exitCode, 2);
    assert.match(undeclared.stderr, /no line 'nope' is declared/);
    const bad = ask("set", "pump", "0.5");
    assert.equal(bad.exitCode, 2);
    assert.match(bad.stderr, /an output takes 0 or 1/);
    assert.equal(value(1), "1");

    const wrongKey = client!.exec([disco, "gpio", "-m", "lan", "--key-file", otherKey, "--host", target!.ip, "-t", "500ms", "set", "pump", "0"]);
    assert.equal(wrongKey.exitCode, 1);
    assert.match(wrongKey.stderr, /no answer from 10\.77\.0\.1:40001 within 0\.5s/);
    assert.equal(value(1), "1");
    await log.waitFor(/dropped a datagram from 10\.77\.0\.2:\d+ \(key\)/);

    // Capture: a relay next to the client sees every byte; then it replays the command byte for byte.
    const relay = client!.spawn([process.execPath, join(ROOT, "tests", "net", "_udp-relay.ts"), target!.ip, "40001"], { stdin: "pipe" });
    const relayOut = new LineReader(relay.stdout);
    const relayPort = (await relayOut.waitFor(/^listening (\d+)$/)).captures[1]!;
    const off = client!.exec([disco, "gpio", "-m", "lan", "--key-file", key, "--host", `127.0.0.1:${relayPort}`, "-t", "2", "set", "pump", "0"]);
    assert.equal(off.exitCode, 0, off.stderr);
    assert.equal(value(1), "0");
    await relayOut.waitFor(/^c2t 1 /, { what: "the command through the relay" });
    // Drive the line back to 1, then replay the captured "set pump 0": the line must stay 1.
    assert.equal(ask("set", "pump", "1").exitCode, 0);
    assert.equal(value(1), "1");
    const results = relayOut.lines.filter((l) => l.startsWith("t2c ")).length;
    (relay.stdin as import("bun").FileSink).write("replay 1\n");
    (relay.stdin as import("bun").FileSink).flush();
    const replies = await relayOut.waitText(() => {
      const t = relayOut.lines.filter((l) => l.startsWith("t2c "));
      return t.length > results ? t : undefined;
    });
    const ring = await createKeyring([decodeKey(readFileSync(key, "utf8"))], CONTROL_PURPOSE);
    const frame = decodeControlFrame(hex(replies[replies.length - 1]!.slice(4)));
    const result = decodeResult((await openControlFrame(frame, ring)).payload);
    assert.equal(result.status, "unknown-challenge");
    assert.equal(value(1), "1", "the replayed command changed nothing");
    await log.waitFor(/refused gpio-set from 10\.77\.0\.2:\d+ .*unknown-challenge/);
    assert.equal(log.lines.filter((l) => /remote write pump = 0/.test(l)).length, 1, "the write of 0 happened once");
  });

  it("disco query is answered by 5 hosts, each once, with its output and exit code", async () => {
    await using lan = await createLan(6);
    const [client, ...targets] = lan.hosts;
    const ready = targets.map((t, i) => {
      const p = join(tmp, `q${i}.toml`);
      writeFileSync(
        p,
        `[host]\nname = "q-${i}"\n[discovery]\nmagic = "lan"\nkey_file = "${key}"\n[control]\nport = 40001\n` +
          `[[query]]\nname = "who"\ncommand = "printf '%s says %s' \\"$DISCO_HOST\\" \\"$DISCO_QUERY_PAYLOAD\\"; exit ${i}"\n`,
      );
      return new LineReader(t.spawn([disco, "server", "-c", p]).stderr).waitFor(/control: listening on 0\.0\.0\.0:40001/);
    });
    await Promise.all(ready);
    const r = client!.exec([disco, "query", "who", "$(touch /tmp/pwned)", "-m", "lan", "--key-file", key, "-i", "eth0", "-t", "2", "--json"]);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { answers: { host: string; output: string; exitCode: number; status: string }[] };
    assert.deepEqual(doc.answers.map((a) => a.host).sort(), ["q-0", "q-1", "q-2", "q-3", "q-4"]);
    for (const a of doc.answers) {
      const i = Number(a.host.slice(2));
      assert.equal(a.status, "ok");
      assert.equal(a.exitCode, i);
      assert.equal(a.output, `q-${i} says $(touch /tmp/pwned)`);
    }
  });
});
