/**
 * `disco gpio --host` in-process on loopback against a hostile target: what its sealed answers and its
 * (unauthenticated) metrics stream carry reaches the terminal escaped, in text and in `--json`.
 */
import { describe, it, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { command } from "../../lib/cli/gpio.ts";
import { CONTROL_PURPOSE, ControlServer, runControlServer, type Outcome, type RemoteGpio } from "../../lib/control/index.ts";
import { createKeyring, deriveChannelId, encodeKey, generateKey } from "../../lib/crypto/index.ts";
import { MetricsProxy, publishMetric } from "../../lib/metrics/index.ts";
import { openUdp } from "../../lib/net/index.ts";
import { captureIo, RAW_CONTROL } from "./_io.ts";

const dir = mkdtempSync(join(tmpdir(), "disco-cli-rgpio-"));
const KEY = generateKey();
const KEY_FILE = join(dir, "key");
writeFileSync(KEY_FILE, `${encodeKey(KEY)}\n`);

const OSC = "\x1b]52;c;aGVsbG8=\x07";
const RLO = "\u202e";

/** Remote GPIO that answers with terminal escapes in every text field. */
const hostileGpio: RemoteGpio = {
  info: async (): Promise<Outcome> => ({
    status: "ok",
    body: { lines: [{ name: `door${OSC}`, kind: `input${RLO}`, remote: false, value: `1\x9b2J` }, { name: "fan", kind: "pwm", remote: true, error: `broken\x1b[2J` }] },
  }),
  get: async (): Promise<Outcome> => ({ status: "ok", body: { kind: "output", value: `1${OSC}` } }),
  checkSet: () => ({ status: "not-remote", body: { message: `no${OSC}${RLO}` } }),
  set: async (): Promise<Outcome> => ({ status: "ok", body: {} }),
};

describe("disco gpio --host and a hostile target (loopback)", () => {
  let port = 0;
  const stop = new AbortController();
  let serving: Promise<unknown> = Promise.resolve();
  let config = "";
  before(async () => {
    const server = new ControlServer({ channelId: await deriveChannelId("rgpio"), keyring: await createKeyring([KEY], CONTROL_PURPOSE), gpio: hostileGpio, host: `evil${RLO}` });
    const socket = await openUdp({ address: "127.0.0.1", port: 0 });
    port = socket.port;
    serving = runControlServer(socket, server, { signal: stop.signal });
    config = join(dir, "client.toml");
    writeFileSync(config, "");
  });
  after(async () => {
    stop.abort();
    await serving;
    rmSync(dir, { recursive: true, force: true });
  });

  const gpio = async (...args: string[]) => {
    const c = captureIo();
    const code = await command.run(["-c", config, "--host", `127.0.0.1:${port}`, "-m", "rgpio", "--key-file", KEY_FILE, "-t", "2", ...args], c.io, new AbortController().signal);
    return { code, out: c.out, err: c.err };
  };

  it("info, get and a refusal print the target's text escaped", { timeout: 20_000 }, async () => {
    const info = await gpio("info");
    assert.equal(info.code, 0, info.err);
    assert.ok(!RAW_CONTROL.test(info.out), JSON.stringify(info.out));
    assert.match(info.out, /^evil\\u202e \(127\.0\.0\.1:\d+\)\n\tdoor\\x1b\]52;c;aGVsbG8=\\x07 input\\u202e local  value 1\\x9b2J\n\tfan +pwm +remote error: broken\\x1b\[2J\n$/);
    const get = await gpio("get", "door");
    assert.equal(get.code, 0, get.err);
    assert.equal(get.out, "1\\x1b]52;c;aGVsbG8=\\x07\n");
    const set = await gpio("set", "door", "1");
    assert.equal(set.code, 2);
    assert.ok(!RAW_CONTROL.test(set.err), JSON.stringify(set.err));
    assert.match(set.err, /evil\\u202e \(127\.0\.0\.1:\d+\) refused: no\\x1b\]52;c;aGVsbG8=\\x07\\u202e \[not-remote\]/);
  });

  it("--json is terminal-safe JSON of the same answer", { timeout: 20_000 }, async () => {
    const info = await gpio("info", "--json");
    assert.equal(info.code, 0, info.err);
    assert.ok(!RAW_CONTROL.test(info.out), JSON.stringify(info.out));
    const doc = JSON.parse(info.out) as { host: string; lines: { name: string }[] };
    assert.equal(doc.host, `evil${RLO}`);
    assert.equal(doc.lines[0]?.name, `door${OSC}`);
  });

  /** `gpio --host ... watch --count 1` while `values` are published through a loopback proxy. */
  const watchOne = async (values: Record<string, string>, json: boolean, nowMs: () => number = Date.now) => {
    await using proxy = await openProxy(join(dir, `front-${json}`));
    const cfg = join(dir, "watch.toml");
    writeFileSync(cfg, `[metrics]\nbackend = "${proxy.backend}"\n`);
    const c = captureIo();
    const run = command.run(["-c", cfg, "--host", `127.0.0.1:${port}`, "-m", "rgpio", "--key-file", KEY_FILE, "watch", "--count", "1", ...(json ? ["--json"] : [])], c.io, new AbortController().signal);
    let settled = false;
    const done = run.then(
      (code) => ((settled = true), code),
      (err: unknown) => ((settled = true), err),
    );
    // Published until the watcher's subscription has reached the proxy (then that metric reaches it).
    while (!settled && !(await publishMetric(values, { host: "evilhost", frontend: proxy.frontend, waitMs: 2000, nowMs })).subscribed);
    return { result: await done, out: c.out, err: c.err };
  };

  it("watch prints the metrics stream's keys and values escaped, in text and --json", { timeout: 30_000 }, async () => {
    for (const json of [false, true]) {
      const c = await watchOne({ [`gpio.door${OSC}${RLO}`]: `1${OSC}` }, json);
      assert.equal(c.result, 0, c.err);
      assert.ok(!RAW_CONTROL.test(c.out), JSON.stringify(c.out));
      if (json) {
        const line = JSON.parse(c.out) as { host: string; name: string };
        assert.deepEqual([line.host, line.name], ["evilhost", `door${OSC}${RLO}`]);
      } else {
        assert.match(c.out, /^\S+Z evilhost door\\x1b\]52;c;aGVsbG8=\\x07\\u202e 1\\x1b\]52;c;aGVsbG8=\\x07\n$/);
      }
    }
  });

  it("watch survives a metric whose _time no date can show (it prints the time of arrival)", { timeout: 30_000 }, async () => {
    const c = await watchOne({ "gpio.door": "1" }, false, () => 1e303);
    assert.equal(c.result, 0, `${String(c.result)} ${c.err}`);
    assert.match(c.out, /^\d{4}-\d\d-\d\dT\S+Z evilhost door 1\n$/);
  });
});

/** A metrics proxy on loopback: its frontend (ipc) and its backend (an ephemeral TCP port). */
async function openProxy(frontPath: string) {
  const p = await MetricsProxy.open({ frontend: `ipc://${frontPath}`, backend: "tcp://127.0.0.1:0" });
  const ac = new AbortController();
  const running = p.run(ac.signal);
  return {
    frontend: p.frontend,
    backend: p.backend,
    async [Symbol.asyncDispose]() {
      ac.abort();
      await running;
      await p.close();
    },
  };
}
