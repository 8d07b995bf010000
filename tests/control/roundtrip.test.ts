import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseConfig } from "../../lib/config/index.ts";
import { createKeyring, deriveChannelId } from "../../lib/crypto/index.ts";
import { FakeGpio, openLines } from "../../lib/gpio/index.ts";
import { openUdp } from "../../lib/net/index.ts";
import {
  CONTROL_PURPOSE,
  ControlServer,
  createRemoteGpio,
  createRemoteQueries,
  encodeGetArgs,
  encodeQueryArgs,
  encodeSetArgs,
  runControl,
  runControlServer,
  type ControlClientEvent,
  type QuerySpawner,
} from "../../lib/control/index.ts";

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const OTHER_KEY = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);

const CONFIG = parseConfig(`
[[gpio.output]]
name = "pump"
line = 1
remote = true

[[gpio.output]]
name = "heater"
line = 2

[[gpio.pwm]]
name = "fan"
line = 3
period_ms = 20
remote = true

[[gpio.input]]
name = "door"
line = 4
`);

/** A target on 127.0.0.1:0 over a fake chip; disposed at the end of the scope. */
async function startTarget(options: { keyed?: boolean; spawn?: QuerySpawner; hidden?: boolean } = {}) {
  const gpio = new FakeGpio();
  const lines = await openLines(gpio, CONFIG.gpio);
  const ring = options.keyed === false ? undefined : await createKeyring([KEY], CONTROL_PURPOSE);
  const spawn: QuerySpawner = options.spawn ?? (async () => ({ exitCode: 0, stdout: new TextEncoder().encode("hi\n"), stdoutBytes: 3, stderr: new Uint8Array(), stderrBytes: 0 }));
  const server = new ControlServer({
    channelId: await deriveChannelId("shed"),
    ...(ring && { keyring: ring }),
    hidden: options.hidden ?? true,
    gpio: createRemoteGpio(CONFIG.gpio, lines),
    queries: createRemoteQueries([{ name: "hello", argv: ["echo", "hi"], timeoutMs: 1000 }], spawn),
  });
  const socket = await openUdp({ address: "127.0.0.1", port: 0 });
  const ac = new AbortController();
  const running = runControlServer(socket, server, { signal: ac.signal });
  return {
    gpio,
    lines,
    server,
    port: socket.port,
    async [Symbol.asyncDispose]() {
      ac.abort();
      await running;
      await lines.close();
    },
  };
}

async function ask(port: number, op: Parameters<typeof runControl>[1], args: Uint8Array, options: { key?: Uint8Array<ArrayBuffer>; onEvent?: (e: ControlClientEvent) => void; timeoutMs?: number } = {}) {
  await using socket = await openUdp({ address: "127.0.0.1", port: 0 });
  return await runControl(socket, op, args, {
    targets: [{ address: "127.0.0.1", port }],
    channelId: await deriveChannelId("shed"),
    keyring: await createKeyring([options.key ?? KEY], CONTROL_PURPOSE),
    timeoutMs: options.timeoutMs ?? 2000,
    first: true,
    ...(options.onEvent && { onEvent: options.onEvent }),
  });
}

describe("control over loopback sockets", () => {
  it("runControl() sets a remote output in two round trips and the line changes once", async () => {
    await using t = await startTarget();
    const events: string[] = [];
    const r = await ask(t.port, "gpio-set", encodeSetArgs("pump", 1), { onEvent: (e) => events.push(e.type) });
    assert.equal(r.answers.length, 1);
    assert.equal(r.answers[0]!.status, "ok");
    assert.equal(r.answers[0]!.roundTrips, 2);
    assert.deepEqual(events, ["sent", "challenge", "command", "result"]);
    assert.equal(t.gpio.physical("gpiochip0", 1), 1);
    assert.equal(t.server.counters.writes, 1);
  });

  it("runControl() reads a line in one round trip", async () => {
    await using t = await startTarget();
    t.gpio.setPull("gpiochip0", 4, 1);
    const r = await ask(t.port, "gpio-get", encodeGetArgs("door"));
    assert.equal(r.answers[0]!.status, "ok");
    assert.equal(r.answers[0]!.roundTrips, 1);
    assert.equal(r.answers[0]!.body["value"], 1);
  });

  it("gpio-set refuses a line without remote = true, an undeclared line and bad values, and changes nothing", async () => {
    await using t = await startTarget();
    const cases: [string, number, string][] = [
      ["heater", 1, "not-remote"],
      ["door", 1, "not-remote"],
      ["nope", 1, "unknown-line"],
      ["pump", 2, "bad-value"],
      ["pump", Number.NaN, "bad-value"],
      ["fan", 1.5, "bad-value"],
      ["fan", -0.1, "bad-value"],
    ];
    for (const [name, value, status] of cases) {
      const r = await ask(t.port, "gpio-set", encodeSetArgs(name, value));
      assert.equal(r.answers[0]!.status, status, `${name}=${value}`);
      assert.equal(r.answers[0]!.roundTrips, 1, "refused before a challenge is issued");
    }
    assert.equal(t.gpio.physical("gpiochip0", 2), 0);
    assert.equal(t.server.counters.writes, 0);
    assert.equal(t.server.counters.refused["not-remote"], 2);
    assert.equal(t.server.counters.refused["bad-value"], 4);
  });

  it("gpio-set sets a PWM duty", async () => {
    await using t = await startTarget();
    const r = await ask(t.port, "gpio-set", encodeSetArgs("fan", 0.25));
    assert.equal(r.answers[0]!.status, "ok");
    assert.equal(t.lines.pwms.get("fan")!.duty, 0.25);
  });

  it("a wrong key gets silence in hidden mode (and a counter on the target)", async () => {
    await using t = await startTarget();
    const r = await ask(t.port, "gpio-set", encodeSetArgs("pump", 1), { key: OTHER_KEY, timeoutMs: 300 });
    assert.equal(r.answers.length, 0);
    assert.equal(r.refusals.length, 0);
    assert.equal(t.server.counters.dropped.key, 1);
    assert.equal(t.gpio.physical("gpiochip0", 1), 0);
  });

  it("a target without a key refuses with an unsealed refusal that says why", async () => {
    await using t = await startTarget({ keyed: false });
    const r = await ask(t.port, "gpio-get", encodeGetArgs("door"));
    assert.equal(r.answers.length, 0);
    assert.equal(r.refusals[0]!.code, "unsealed");
    assert.match(r.refusals[0]!.message, /sealed channel/);
  });

  it("query runs once with the payload and returns its output", async () => {
    const calls: { argv: readonly string[]; env: Record<string, string>; stdin: string }[] = [];
    const spawn: QuerySpawner = async (argv, o) => {
      calls.push({ argv, env: { ...o.env }, stdin: new TextDecoder().decode(o.stdin) });
      return { exitCode: 3, stdout: new TextEncoder().encode("out"), stdoutBytes: 3, stderr: new Uint8Array(), stderrBytes: 0 };
    };
    await using t = await startTarget({ spawn });
    const r = await ask(t.port, "query", encodeQueryArgs("hello", new TextEncoder().encode("$(reboot)")));
    assert.equal(r.answers[0]!.status, "ok");
    assert.equal(r.answers[0]!.body["exitCode"], 3);
    assert.equal(r.answers[0]!.body["output"], "out");
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0]!.argv, ["echo", "hi"]);
    assert.equal(calls[0]!.env["DISCO_QUERY_PAYLOAD"], "$(reboot)");
    assert.equal(calls[0]!.stdin, "$(reboot)");
  });

  it("an unknown query name is refused", async () => {
    await using t = await startTarget();
    const r = await ask(t.port, "query", encodeQueryArgs("nope", new Uint8Array()));
    assert.equal(r.answers[0]!.status, "unknown-query");
    assert.equal(t.server.counters.refused["unknown-query"], 1);
  });

  it("a command replayed byte for byte is refused and acts once", async () => {
    await using t = await startTarget();
    let captured: Uint8Array | undefined;
    await ask(t.port, "gpio-set", encodeSetArgs("pump", 1), { onEvent: (e) => e.type === "command" && (captured = e.bytes) });
    assert.ok(captured);
    await t.lines.outputs.get("pump")!.write(0);
    await using socket = await openUdp({ address: "127.0.0.1", port: 0 });
    const it = socket[Symbol.asyncIterator]();
    await socket.send(captured, t.port, "127.0.0.1");
    const reply = await it.next();
    assert.equal(reply.done, false);
    assert.equal(t.gpio.physical("gpiochip0", 1), 0, "the replay did not drive the line");
    assert.equal(t.server.counters.writes, 1);
    assert.equal(t.server.counters.refused["unknown-challenge"], 1);
  });
});
