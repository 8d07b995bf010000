import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createKeyring, deriveChannelId, type Keyring } from "../../lib/crypto/index.ts";
import {
  CONTROL_PURPOSE,
  ControlServer,
  createRemoteQueries,
  decodeChallenge,
  decodeControlFrame,
  decodeRefusal,
  decodeResult,
  encodeCommand,
  encodeQueryArgs,
  encodeRequest,
  encodeSetArgs,
  openControlFrame,
  sealControlFrame,
  type ControlOp,
  type RemoteGpio,
  type QuerySpawner,
  type ControlEvent,
} from "../../lib/control/index.ts";

const KEY = Uint8Array.from({ length: 32 }, (_, i) => i);
const A = "10.77.0.2";
const B = "10.77.0.9";

/** A GPIO handler that records writes: `pump` (remote output), `heater` (local output). */
function fakeGpio() {
  const writes: [string, number][] = [];
  const gpio: RemoteGpio = {
    info: async () => ({ status: "ok", body: { lines: [] } }),
    get: async (name) => ({ status: "ok", body: { name, value: 0 } }),
    checkSet: (name, value) =>
      name === "pump" ? (value === 0 || value === 1 ? undefined : { status: "bad-value", body: { message: "0 or 1" } }) : { status: "not-remote", body: { message: "no" } },
    set: async (name, value) => {
      writes.push([name, value]);
      return { status: "ok", body: { name, value } };
    },
  };
  return { gpio, writes };
}

async function setup(options: { hidden?: boolean; spawn?: QuerySpawner; maxConcurrent?: number; keyed?: boolean } = {}) {
  const clock = { now: 0 };
  const ring = await createKeyring([KEY], CONTROL_PURPOSE);
  const channelId = await deriveChannelId("shed");
  const { gpio, writes } = fakeGpio();
  const events: ControlEvent[] = [];
  const spawn: QuerySpawner = options.spawn ?? (async () => ({ exitCode: 0, stdout: new Uint8Array(), stdoutBytes: 0, stderr: new Uint8Array(), stderrBytes: 0 }));
  const server = new ControlServer({
    channelId,
    ...(options.keyed !== false && { keyring: ring }),
    hidden: options.hidden ?? true,
    gpio,
    queries: createRemoteQueries([{ name: "hello", argv: ["true"], timeoutMs: 1000 }], spawn, { maxConcurrent: options.maxConcurrent ?? 4 }),
    challenges: { ttlMs: 5000, monotonicMs: () => clock.now },
    monotonicMs: () => clock.now,
    host: "pi-1",
    onEvent: (e) => events.push(e),
  });
  const id = crypto.getRandomValues(new Uint8Array(16));
  const request = (op: ControlOp, args: Uint8Array, ring2: Keyring = ring) => sealControlFrame("request", channelId, ring2.keys[0]!, encodeRequest({ op, id, args }));
  const command = (op: ControlOp, args: Uint8Array, challenge: Uint8Array) => sealControlFrame("command", channelId, ring.keys[0]!, encodeCommand({ op, id, challenge, args }));
  const open = async (reply: Uint8Array | undefined) => {
    assert.ok(reply, "a reply");
    const f = decodeControlFrame(reply);
    if (f.type === "refusal") return { type: "refusal" as const, refusal: decodeRefusal(f.body) };
    const payload = (await openControlFrame(f, ring)).payload;
    return f.type === "challenge" ? { type: "challenge" as const, challenge: decodeChallenge(payload) } : { type: "result" as const, result: decodeResult(payload) };
  };
  const challengeFor = async (op: ControlOp, args: Uint8Array, from = A) => {
    const r = await open((await server.handle(await request(op, args), from, 5000)).reply);
    assert.equal(r.type, "challenge");
    return (r as { challenge: { challenge: Uint8Array } }).challenge.challenge;
  };
  const resultOf = async (data: Uint8Array, from = A) => {
    const r = await open((await server.handle(data, from, 5000)).reply);
    assert.equal(r.type, "result");
    return (r as { result: { status: string; body: Record<string, unknown> } }).result;
  };
  return { server, clock, writes, events, ring, channelId, request, command, open, challengeFor, resultOf };
}

describe("ControlServer.handle()", () => {
  it("a write is two round trips and is logged with the source address and key id", async () => {
    const s = await setup();
    const args = encodeSetArgs("pump", 1);
    const c = await s.challengeFor("gpio-set", args);
    const r = await s.resultOf(await s.command("gpio-set", args, c));
    assert.equal(r.status, "ok");
    assert.equal(r.body["host"], "pi-1");
    assert.deepEqual(s.writes, [["pump", 1]]);
    const w = s.events.find((e) => e.type === "write");
    assert.ok(w && w.type === "write" && w.who.address === A && /^[0-9a-f]{8}$/.test(w.who.keyId));
    assert.equal(s.server.counters.challenges, 1);
    assert.equal(s.server.counters.writes, 1);
  });

  it("an expired challenge is refused and nothing is written", async () => {
    const s = await setup();
    const args = encodeSetArgs("pump", 1);
    const c = await s.challengeFor("gpio-set", args);
    s.clock.now += 5000;
    assert.equal((await s.resultOf(await s.command("gpio-set", args, c))).status, "unknown-challenge");
    assert.deepEqual(s.writes, []);
    assert.equal(s.server.counters.refused["unknown-challenge"], 1);
  });

  it("a challenge redeemed from another address is refused; its owner can still use it", async () => {
    const s = await setup();
    const args = encodeSetArgs("pump", 1);
    const c = await s.challengeFor("gpio-set", args);
    const cmd = await s.command("gpio-set", args, c);
    assert.equal((await s.resultOf(cmd, B)).status, "wrong-address");
    assert.deepEqual(s.writes, []);
    assert.equal((await s.resultOf(cmd, A)).status, "ok");
    assert.equal((await s.resultOf(cmd, A)).status, "unknown-challenge", "the same command again is a replay");
    assert.deepEqual(s.writes, [["pump", 1]]);
    assert.equal(s.server.counters.refused["wrong-address"], 1);
  });

  it("a challenge for another operation or other arguments is refused and spent", async () => {
    const s = await setup();
    const c1 = await s.challengeFor("gpio-set", encodeSetArgs("pump", 1));
    assert.equal((await s.resultOf(await s.command("query", encodeQueryArgs("hello", new Uint8Array()), c1))).status, "challenge-mismatch");
    const c2 = await s.challengeFor("gpio-set", encodeSetArgs("pump", 1));
    assert.equal((await s.resultOf(await s.command("gpio-set", encodeSetArgs("pump", 0), c2))).status, "challenge-mismatch");
    assert.equal((await s.resultOf(await s.command("gpio-set", encodeSetArgs("pump", 1), c2))).status, "unknown-challenge");
    assert.deepEqual(s.writes, []);
    assert.equal(s.server.counters.refused["challenge-mismatch"], 2);
  });

  it("a command with a made-up challenge is refused", async () => {
    const s = await setup();
    assert.equal((await s.resultOf(await s.command("gpio-set", encodeSetArgs("pump", 1), new Uint8Array(16)))).status, "unknown-challenge");
  });

  it("a read sent as a command is a bad request", async () => {
    const s = await setup();
    assert.equal((await s.resultOf(await s.command("gpio-info", new Uint8Array(), new Uint8Array(16)))).status, "bad-request");
  });

  it("hidden mode: wrong channel, wrong key, unsealed and garbage get silence, each counted", async () => {
    const s = await setup();
    const otherRing = await createKeyring([new Uint8Array(32).fill(9)], CONTROL_PURPOSE);
    const good = await s.request("gpio-info", new Uint8Array());
    const otherChannel = good.slice();
    otherChannel[6]! ^= 1;
    const unsealed = good.slice(0, 28 + 19);
    unsealed[4] = 0;
    unsealed.fill(0, 10, 14);
    unsealed[26] = 0;
    unsealed[27] = 19;
    for (const d of [otherChannel, await s.request("gpio-info", new Uint8Array(), otherRing), unsealed, new Uint8Array(100)]) {
      assert.equal((await s.server.handle(d, A, 1)).reply, undefined);
    }
    const c = s.server.counters;
    assert.deepEqual([c.dropped.channel, c.dropped.key, c.dropped.malformed], [1, 2, 1]);
  });

  it("hidden off: refusals are unsealed, echo the nonce and are no larger than the request", async () => {
    const s = await setup({ hidden: false });
    const otherRing = await createKeyring([new Uint8Array(32).fill(9)], CONTROL_PURPOSE);
    const req = await s.request("gpio-info", new Uint8Array(), otherRing);
    const { reply } = await s.server.handle(req, A, 1);
    const r = await s.open(reply);
    assert.equal(r.type, "refusal");
    assert.equal((r as { refusal: { code: string } }).refusal.code, "key");
    assert.deepEqual((r as { refusal: { nonce: Uint8Array } }).refusal.nonce, req.subarray(14, 26));
    assert.ok(reply!.length <= req.length);
  });

  it("a target without a key answers every request with an 'unsealed' refusal, even in hidden mode", async () => {
    const s = await setup({ keyed: false });
    const r = await s.open((await s.server.handle(await s.request("gpio-set", encodeSetArgs("pump", 1)), A, 1)).reply);
    assert.equal(r.type, "refusal");
    assert.equal((r as { refusal: { code: string } }).refusal.code, "unsealed");
    assert.equal(s.server.counters.dropped.unsealed, 1);
  });

  it("oversized datagrams and a flood from one address are dropped unread", async () => {
    const s = await setup();
    assert.equal((await s.server.handle(new Uint8Array(4096), A, 1)).reply, undefined);
    const req = await s.request("gpio-info", new Uint8Array());
    let answered = 0;
    for (let i = 0; i < 600; i++) if ((await s.server.handle(req, B, 1)).reply) answered++;
    assert.equal(answered, 500, "one second's worth, then nothing while the clock stands still");
    assert.equal(s.server.counters.dropped.oversize, 1);
    assert.equal(s.server.counters.dropped.rate, 100);
  });

  it("junk and another channel's frames from an address spend none of its budget: its request is still answered", async () => {
    const s = await setup();
    const other = sealControlFrame("request", await deriveChannelId("elsewhere"), s.ring.keys[0]!, encodeRequest({ op: "gpio-info", id: new Uint8Array(16), args: new Uint8Array() }));
    for (let i = 0; i < 1000; i++) {
      assert.equal((await s.server.handle(crypto.getRandomValues(new Uint8Array(100)), B, 1)).reply, undefined);
      assert.equal((await s.server.handle(other, B, 1)).reply, undefined);
    }
    assert.equal(s.server.counters.dropped.rate, 0);
    assert.equal(s.server.counters.dropped.channel, 1000);
    const r = await s.open((await s.server.handle(await s.request("gpio-info", new Uint8Array()), B, 1)).reply);
    assert.equal(r.type, "result");
  });

  it("without hidden mode, the refusals one address gets are within its budget (a reply to a spoofable address)", async () => {
    const s = await setup({ hidden: false });
    const other = sealControlFrame("request", await deriveChannelId("elsewhere"), s.ring.keys[0]!, encodeRequest({ op: "gpio-info", id: new Uint8Array(16), args: new Uint8Array() }));
    let refusals = 0;
    for (let i = 0; i < 600; i++) if ((await s.server.handle(other, B, 1)).reply) refusals++;
    assert.equal(refusals, 500, "one second's worth, then silence while the clock stands still");
    s.clock.now += 1000;
    assert.ok((await s.server.handle(other, B, 1)).reply, "the budget refills with time");
  });

  it("queries beyond the concurrency limit are refused as busy, and each runs once", async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let runs = 0;
    const spawn: QuerySpawner = async () => {
      runs++;
      await gate;
      return { exitCode: 0, stdout: new Uint8Array(), stdoutBytes: 0, stderr: new Uint8Array(), stderrBytes: 0 };
    };
    const s = await setup({ spawn, maxConcurrent: 1 });
    const args = encodeQueryArgs("hello", new Uint8Array());
    const first = s.resultOf(await s.command("query", args, await s.challengeFor("query", args)));
    const second = await s.resultOf(await s.command("query", args, await s.challengeFor("query", args)));
    assert.equal(second.status, "busy");
    release();
    assert.equal((await first).status, "ok");
    assert.equal(runs, 1);
    assert.equal(s.server.counters.refused.busy, 1);
  });
});
