/**
 * The decoders `npm run fuzz` drives, each with its valid seeds, its stages (how far an input got) and the
 * error classes it may throw. Anything else thrown is a bug. Built from the decoders' public exports
 * (lib/<folder>/index.ts); the GPIO uAPI structs are not exported there, so they come from lib/gpio/uapi.ts.
 */
import { parse as parseToml, TomlError } from "smol-toml";
import { BeaconFrameError, decodeDatagram as decodeBeacon, decodeEnvelope, decodeRichBeacon, decodeVaultAnnouncement, encodeDiscoPyBeacon, encodeRichBeacon, encodeUnsealedEnvelope, encodeVaultAnnouncement, openBeaconSync, sealBeacon } from "../lib/beacon/index.ts";
import { ConfigError, parseConfig, parseIniServices } from "../lib/config/index.ts";
import { createKeyring, deriveChannelId, KeyError, OpenError, sealingKey, type Keyring } from "../lib/crypto/index.ts";
import {
  ControlFrameError,
  ControlServer,
  decodeCommand as decodeControlCommand,
  decodeControlFrame,
  decodeRequest,
  encodeCommand as encodeControlCommand,
  encodeGetArgs,
  encodeQueryArgs,
  encodeRequest,
  encodeSetArgs,
  isWellFormedControlFrame,
  openControlFrame,
  sealControlFrame,
  type ControlFrameType,
  type RemoteGpio,
} from "../lib/control/index.ts";
import {
  decodeAnswer,
  decodeDatagram as decodeDiscovery,
  decodeError,
  decodeQuery,
  encodeAnswer,
  encodeError,
  encodeLegacyAnswer,
  encodeLegacyRequest,
  encodeQuery,
  FrameError as DiscoveryFrameError,
  importLegacyKey,
  legacyCrypt,
  legacyDecodeText,
  openFrame,
  parseLegacyAnswer,
  parseLegacyRequest,
  ProtocolError as DiscoveryProtocolError,
  sealFrame,
  type Frame,
  type FrameType,
} from "../lib/discovery/index.ts";
import { DiscoError } from "../lib/errors.ts";
import { GpioError } from "../lib/gpio/index.ts";
import {
  decodeChipInfo,
  decodeLineConfig,
  decodeLineEvent,
  decodeLineInfo,
  decodeLineRequest,
  decodeLineValues,
  encodeChipInfo,
  encodeLineConfig,
  encodeLineEvent,
  encodeLineInfo,
  encodeLineRequest,
  encodeLineValues,
  GPIO_V2_LINE_ATTR_ID_DEBOUNCE,
  GPIO_V2_LINE_ATTR_ID_FLAGS,
  GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES,
  GPIO_V2_LINE_EVENT_RISING_EDGE,
} from "../lib/gpio/uapi.ts";
import { decodeCommand, encodeCommand, encodeFrame as encodeZmtpFrame, encodeGreeting, encodeMessage, ZmtpDecoder, ZmtpError } from "../lib/zmtp/index.ts";
import type { MutationSpace, Rng } from "./mutate.ts";

/** A class an input may be refused with. */
export type ErrorClass = abstract new (...args: never[]) => Error;

/** One decoder under fuzz. */
export interface FuzzTarget {
  readonly name: string;
  /** What the stages count, in order: an input that reaches stage i was accepted by every check before it. */
  readonly stages: readonly string[];
  readonly seeds: readonly Uint8Array[];
  /** Largest input generated. */
  readonly maxBytes: number;
  readonly dictionary?: readonly Uint8Array[];
  /** The error classes the decoder refuses input with (all DiscoError subclasses). */
  readonly allowed: readonly ErrorClass[];
  /**
   * For a `share` of the cases, mutate an inner payload instead and wrap it validly (seal it with the test
   * key, frame it): mutations of what lies behind the tag then reach the decrypt-then-parse stage.
   */
  readonly inner?: {
    readonly share: number;
    readonly space: MutationSpace;
    wrap(payload: Uint8Array<ArrayBuffer>, rng: Rng): Uint8Array | Promise<Uint8Array>;
  };
  /**
   * Decodes one input, calling `reach(i)` as it passes stage i (once each).
   * @param rng for decoders fed in chunks (the chunking is part of the case)
   */
  run(input: Uint8Array, reach: (stage: number) => void, rng: Rng): void | Promise<void>;
}

const te = new TextEncoder();
const td = new TextDecoder();
const words = (...w: string[]) => w.map((x) => te.encode(x));

/** A fixed test key (not secret: fuzzing only), so sealed seeds open and mutations reach past the tag. */
const TEST_KEY = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const MAGIC = "fuzz";

const DESCRIPTION = {
  host: "shed",
  addresses: ["10.0.0.5", "fe80::1"],
  version: "0.1.0",
  uptimeSec: 1234,
  services: { web: { port: 8080, path: "/" }, tags: ["a", "b"], enabled: true },
  interfaces: { metrics: "tcp://10.0.0.5:9000", gpio: [{ name: "pump", direction: "output" }] },
};

async function discoveryTargets(channel: Uint8Array, ring: Keyring): Promise<FuzzTarget[]> {
  const id = Uint8Array.from({ length: 16 }, (_, i) => i);
  const payloads: [FrameType, Uint8Array<ArrayBuffer>][] = [
    ["query", encodeQuery({ id, timeMs: 1_700_000_000_000 })],
    ["answer", encodeAnswer({ id, timeMs: 1_700_000_000_000, description: DESCRIPTION })],
    ["error", encodeError({ nonce: id.slice(0, 12), code: "auth" })],
  ];
  const key = sealingKey(ring);
  const open: Uint8Array[] = [];
  const sealed: Uint8Array[] = [];
  for (const [type, p] of payloads) {
    open.push(await sealFrame(type, channel, p));
    sealed.push(await sealFrame(type, channel, p, { key }));
  }
  const payloadStage = (frame: Frame, payload: Uint8Array, reach: (s: number) => void, at: number) => {
    if (frame.header.type === "query") decodeQuery(payload);
    else if (frame.header.type === "answer") decodeAnswer(payload);
    else decodeError(payload);
    reach(at);
  };
  const types: FrameType[] = ["query", "answer", "error"];
  const payloadSpace: MutationSpace = { seeds: payloads.map(([, p]) => p), maxBytes: 60 * 1024 + 64 };
  const sameChannel = (frame: Frame) => frame.header.channelId.every((b, i) => b === channel[i]);
  const allowed = [DiscoveryFrameError, DiscoveryProtocolError, OpenError, KeyError];
  const dictionary = [Uint8Array.of(0xd1, 0x5c, 0x01), channel, ...words('"host"', '"addresses"', '"services"', '"interfaces"', "{", "}", "[", "]", '"', ",", ":", "null", "1e308", "-0")];
  /** Frames through decodeDatagram and openFrame; with a ring, sealed ones (and a stage for the tag). */
  const frameTarget = (name: string, seeds: Uint8Array[], keys: Keyring | undefined): FuzzTarget => ({
    name,
    stages: keys ? ["header+frame ok", "channel ok", "tag ok", "payload parsed"] : ["header+frame ok", "channel ok", "payload parsed"],
    seeds,
    maxBytes: 65_507 + 64,
    dictionary,
    allowed,
    inner: { share: 0.5, space: { ...payloadSpace, dictionary }, wrap: (p, rng) => sealFrame(rng.pick(types), channel, p, keys ? { key } : {}) },
    async run(input, reach) {
      const d = decodeDiscovery(input);
      if (d.kind === "error") throw d.error;
      reach(0);
      if (!sameChannel(d.value)) return;
      reach(1);
      const o = await openFrame(d.value, keys);
      if (keys) reach(2);
      payloadStage(d.value, o.payload, reach, keys ? 3 : 2);
    },
  });
  return [
    frameTarget("discovery frame (unsealed)", open, undefined),
    frameTarget("discovery frame (sealed)", sealed, ring),
    {
      name: "discovery payloads",
      stages: ["query parsed", "answer parsed", "error parsed"],
      seeds: payloads.map(([, p]) => p),
      maxBytes: 60 * 1024 + 64,
      dictionary,
      allowed,
      run(input, reach) {
        // Each payload decoder on the same bytes: a query's bytes are also tried as an answer, and so on.
        const tries: [number, () => unknown][] = [[0, () => decodeQuery(input)], [1, () => decodeAnswer(input)], [2, () => decodeError(input)]];
        let refused: unknown;
        let parsed = false;
        for (const [stage, f] of tries) {
          try {
            f();
            reach(stage);
            parsed = true;
          } catch (err) {
            if (!(err instanceof DiscoveryFrameError || err instanceof DiscoveryProtocolError)) throw err;
            refused = err;
          }
        }
        // Refused when no payload decoder took it.
        if (!parsed) throw refused;
      },
    },
  ];
}

/**
 * The control target's whole handling of a datagram (ControlServer.handle: header checks in place, the
 * budget, the open, the payload, the operation), which must never throw; and the in-place frame check must
 * agree with the decoder on every input.
 */
async function controlTarget(channel: Uint8Array, ring: Keyring): Promise<FuzzTarget> {
  const key = sealingKey(ring);
  const id = Uint8Array.from({ length: 16 }, (_, i) => i);
  const requests: [ControlFrameType, Uint8Array<ArrayBuffer>][] = [
    ["request", encodeRequest({ op: "gpio-info", id, args: new Uint8Array(0) })],
    ["request", encodeRequest({ op: "gpio-get", id, args: encodeGetArgs("pump") })],
    ["request", encodeRequest({ op: "gpio-set", id, args: encodeSetArgs("pump", 1) })],
    ["command", encodeControlCommand({ op: "gpio-set", id, args: encodeSetArgs("pump", 1), challenge: new Uint8Array(16) })],
    ["request", encodeRequest({ op: "query", id, args: encodeQueryArgs("hello", Uint8Array.of(1, 2, 3)) })],
  ];
  const gpio: RemoteGpio = {
    info: async () => ({ status: "ok", body: { lines: [] } }),
    get: async (name) => ({ status: "ok", body: { name, value: 0 } }),
    checkSet: (name) => (name === "pump" ? undefined : { status: "not-remote", body: { message: "no" } }),
    set: async (name, value) => ({ status: "ok", body: { name, value } }),
  };
  // Hidden mode off, so refusals are built too. Its clock moves a second per reading, so the budget (per
  // source and the global pools) is full for every case and each gets as far as its bytes allow.
  let clockMs = 0;
  const server = new ControlServer({ channelId: channel, keyring: ring, hidden: false, gpio, monotonicMs: () => (clockMs += 1000) });
  const space: MutationSpace = { seeds: requests.map(([, p]) => p), maxBytes: 1500 };
  return {
    name: "control target (frames, payloads, handling)",
    stages: ["frame ok", "tag ok", "payload parsed", "replied"],
    seeds: requests.map(([type, p]) => sealControlFrame(type, channel, key, p)),
    maxBytes: 2100,
    dictionary: [Uint8Array.of(0xd1, 0x5c, 0x01, 0x10), Uint8Array.of(0x12), channel, key.id],
    allowed: [ControlFrameError, OpenError, KeyError],
    inner: { share: 0.5, space, wrap: (p, rng) => sealControlFrame(rng.below(4) === 0 ? "command" : "request", channel, key, p) },
    async run(input, reach) {
      let frame;
      try {
        frame = decodeControlFrame(input);
      } catch (err) {
        if (isWellFormedControlFrame(input)) throw new Error(`isWellFormedControlFrame() accepts what decodeControlFrame() refuses: ${String(err)}`);
        frame = undefined;
      }
      if (frame && !isWellFormedControlFrame(input)) throw new Error("isWellFormedControlFrame() refuses what decodeControlFrame() accepts");
      // Whatever the bytes, the target's handling decides without throwing.
      const handled = await server.handle(input, "10.0.0.9", 1);
      if (!frame) throw new ControlFrameError("not a control frame", 0);
      reach(0);
      const opened = openControlFrame(frame, ring);
      reach(1);
      if (frame.type === "command") decodeControlCommand(opened.payload);
      else decodeRequest(opened.payload);
      reach(2);
      if (handled.reply) reach(3);
    },
  };
}

async function legacyTarget(): Promise<FuzzTarget> {
  const password = "legacy-fuzz-password";
  const key = await importLegacyKey(password);
  const magic = "fna349fn";
  const texts = [encodeLegacyRequest(magic, 1_700_000_000_000), encodeLegacyAnswer(magic, { web: { port: 8080 }, name: "shed" }), `${magic}#ERROR#bad time`];
  const seeds: Uint8Array[] = [];
  for (const t of texts) seeds.push(await legacyCrypt(key, te.encode(t)));
  return {
    name: "legacy PyDiscover",
    stages: ["decrypted", "request ok", "answer ok"],
    seeds,
    maxBytes: 65_507,
    allowed: [DiscoveryProtocolError, DiscoveryFrameError],
    async run(input, reach) {
      const plain = await legacyCrypt(key, Uint8Array.from(input));
      const text = legacyDecodeText(plain);
      reach(0);
      if (parseLegacyRequest(text, magic).kind === "ok") reach(1);
      if (text.startsWith(magic) && text.slice(magic.length).startsWith("#OK#")) {
        parseLegacyAnswer(text, magic);
        reach(2);
      }
    },
  };
}

async function beaconTargets(channel: Uint8Array, ring: Keyring): Promise<FuzzTarget[]> {
  const rich = encodeRichBeacon({
    host: "shed",
    boot: "0123456789abcdef",
    seq: 7,
    intervalMs: 15_000,
    addresses: ["10.0.0.5"],
    version: "0.1.0",
    services: { web: { port: 8080 } },
    metricsEndpoint: "tcp://10.0.0.5:9000",
    gpio: ["pump"],
    unixMs: 1_700_000_000_000,
  });
  const bye = encodeRichBeacon({ host: "shed", boot: "0123456789abcdef", seq: 8, intervalMs: 15_000, addresses: [], bye: true });
  const options = { channelId: channel };
  const dictionary = [channel, ...words('"host"', '"boot"', '"seq"', '"interval_ms"', '"addresses"', '"services"', '"bye"', "HOST ", "BYE ", " ", "{", "}", '"', ":", ",", "1e308")];
  const allowed = [BeaconFrameError, OpenError, KeyError];
  const sealed = [await sealBeacon(ring, channel, rich), await sealBeacon(ring, channel, bye)];
  const richSpace: MutationSpace = { seeds: [rich, bye], maxBytes: 8192, dictionary };
  return [
    {
      name: "disco.py beacon",
      stages: ["decoded", "disco.py HOST/BYE"],
      seeds: [encodeDiscoPyBeacon("shed", 1_700_000_000), encodeDiscoPyBeacon("pi-4.lan", 12, { bye: true }), te.encode("HOST x 1.5")],
      maxBytes: 8192 + 16,
      dictionary,
      allowed,
      run(input, reach) {
        const d = decodeBeacon(input, options);
        reach(0);
        if (d.kind === "disco.py") reach(1);
      },
    },
    {
      name: "rich beacon",
      stages: ["envelope ok", "rich parsed"],
      seeds: [encodeUnsealedEnvelope(channel, rich), encodeUnsealedEnvelope(channel, bye)],
      maxBytes: 8192 + 16,
      dictionary,
      allowed,
      inner: { share: 0.5, space: richSpace, wrap: (p) => encodeUnsealedEnvelope(channel, p) },
      run(input, reach) {
        decodeEnvelope(input);
        reach(0);
        if (decodeBeacon(input, options).kind === "rich") reach(1);
      },
    },
    {
      name: "sealed beacon",
      stages: ["envelope ok", "sealed", "tag ok", "rich parsed"],
      seeds: sealed,
      maxBytes: 8192 + 16,
      dictionary,
      allowed,
      inner: { share: 0.5, space: richSpace, wrap: (p) => sealBeacon(ring, channel, p) },
      async run(input, reach) {
        decodeEnvelope(input);
        reach(0);
        const d = decodeBeacon(input, options);
        if (d.kind !== "sealed") return;
        reach(1);
        const payload = openBeaconSync(ring, d.envelope);
        reach(2);
        decodeRichBeacon(payload);
        reach(3);
      },
    },
    {
      name: "vault announcement",
      stages: ["parsed"],
      seeds: [encodeVaultAnnouncement({ type: "vault", name: "vault-1", addr: "10.0.0.5:8200", version: "1.15.0", timestamp: 1_700_000_000 })],
      maxBytes: 8192,
      dictionary: words('"type"', '"name"', '"addr"', '"version"', '"timestamp"', "{", "}", '"', ":", ",", "null", "1e999", "[]"),
      allowed: [BeaconFrameError],
      run(input, reach) {
        decodeVaultAnnouncement(input);
        reach(0);
      },
    },
  ];
}

function zmtpTargets(): FuzzTarget[] {
  const command = (c: Parameters<typeof encodeCommand>[0]) => encodeZmtpFrame(encodeCommand(c), { command: true });
  const cat = (...p: Uint8Array[]) => Uint8Array.from(p.flatMap((x) => [...x]));
  const ready = command({ type: "READY", metadata: [["Socket-Type", te.encode("SUB")], ["Identity", te.encode("fuzz")]] });
  const bodies = [
    encodeCommand({ type: "READY", metadata: [["Socket-Type", te.encode("PUB")]] }),
    encodeCommand({ type: "PING", ttlDs: 30, context: te.encode("ctx") }),
    encodeCommand({ type: "PONG", context: te.encode("ctx") }),
    encodeCommand({ type: "SUBSCRIBE", topic: te.encode("metric") }),
    encodeCommand({ type: "CANCEL", topic: te.encode("metric") }),
    encodeCommand({ type: "ERROR", reason: "Invalid socket type" }),
  ];
  const frames = [
    cat(ready, command({ type: "SUBSCRIBE", topic: te.encode("metric") }), encodeMessage([te.encode("metric shed {}"), new Uint8Array(300).fill(7)])),
    cat(ready, ...bodies.map((b) => encodeZmtpFrame(b, { command: true })), encodeMessage([new Uint8Array(1000).fill(1)])),
  ];
  const dictionary = [...words("READY", "PING", "PONG", "SUBSCRIBE", "CANCEL", "ERROR", "Socket-Type", "NULL"), Uint8Array.of(0xff, 0, 0, 0, 0, 0, 0, 0, 1, 0x7f), Uint8Array.of(0x02, 0, 0, 0, 0, 0, 0x10, 0, 0), Uint8Array.of(0x04)];
  return [
    {
      name: "ZMTP stream (greeting, frames, commands)",
      stages: ["greeting", "command", "message"],
      seeds: [
        cat(encodeGreeting(), ready, command({ type: "SUBSCRIBE", topic: te.encode("metric") }), encodeMessage([te.encode("metric shed {}"), new Uint8Array(300).fill(7)]), command({ type: "PING", ttlDs: 1, context: new Uint8Array(0) })),
        cat(encodeGreeting({ mechanism: "NULL", asServer: false }), ready, encodeMessage([Uint8Array.of(1, 0x6d)])),
        encodeGreeting(),
      ],
      maxBytes: 70_000,
      dictionary,
      allowed: [ZmtpError],
      // Half the cases keep a valid greeting and mutate the frames after it.
      inner: { share: 0.5, space: { seeds: frames, maxBytes: 70_000, dictionary }, wrap: (p) => cat(encodeGreeting(), p) },
      run(input, reach, rng) {
        const d = new ZmtpDecoder({ maxMessageBytes: 64 * 1024, maxParts: 64 });
        const seen = new Set<string>();
        // The chunking is part of the case: the greeting's 64 bytes, then the rest whole or cut at random
        // points (a cut after the greeting lets its stage count even when a later byte is refused).
        let o = 0;
        while (o < input.length) {
          const n = o === 0 ? Math.min(64, input.length) : rng.chance(0.3) ? input.length - o : 1 + rng.below(Math.min(512, input.length - o));
          for (const e of d.feed(input.subarray(o, o + n))) {
            if (!seen.has(e.type)) reach(e.type === "greeting" ? 0 : e.type === "command" ? 1 : 2);
            seen.add(e.type);
          }
          o += n;
        }
      },
    },
    {
      name: "ZMTP command bodies",
      stages: ["decoded", "known command"],
      seeds: bodies,
      maxBytes: 4096,
      dictionary,
      allowed: [ZmtpError],
      run(input, reach) {
        const c = decodeCommand(input);
        reach(0);
        if (c.type !== "UNKNOWN") reach(1);
      },
    },
  ];
}

function gpioTarget(): FuzzTarget {
  const config = {
    flags: 1n << 2n,
    attrs: [
      { attr: { id: GPIO_V2_LINE_ATTR_ID_FLAGS, flags: 1n << 3n }, mask: 1n },
      { attr: { id: GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES, values: 1n }, mask: 1n },
      { attr: { id: GPIO_V2_LINE_ATTR_ID_DEBOUNCE, debouncePeriodUs: 5000 }, mask: 2n },
    ],
  } as const;
  const seeds = [
    encodeChipInfo({ name: "gpiochip0", label: "pinctrl-bcm2711", lines: 58 }),
    encodeLineInfo({ name: "GPIO17", consumer: "disco", offset: 17, flags: 1n, attrs: [{ id: GPIO_V2_LINE_ATTR_ID_DEBOUNCE, debouncePeriodUs: 1000 }] }),
    encodeLineConfig(config),
    encodeLineRequest({ offsets: [17, 27], consumer: "disco", config, eventBufferSize: 16 }),
    encodeLineValues({ bits: 1n, mask: 3n }),
    encodeLineEvent({ timestampNs: 123_456_789n, id: GPIO_V2_LINE_EVENT_RISING_EDGE, offset: 17, seqno: 1, lineSeqno: 1 }),
  ];
  const decoders: ((b: Uint8Array) => unknown)[] = [decodeChipInfo, decodeLineInfo, decodeLineConfig, decodeLineRequest, decodeLineValues, decodeLineEvent];
  return {
    name: "GPIO uAPI structs",
    stages: ["gpiochip_info", "gpio_v2_line_info", "gpio_v2_line_config", "gpio_v2_line_request", "gpio_v2_line_values", "gpio_v2_line_event"],
    seeds,
    maxBytes: 1200,
    allowed: [GpioError],
    run(input, reach) {
      // Every struct decoder on the same bytes (a kernel reply is read as the struct its ioctl names).
      let refused: unknown;
      let parsed = false;
      decoders.forEach((decode, i) => {
        try {
          if (decode(input) !== undefined) {
            reach(i);
            parsed = true;
          }
        } catch (err) {
          if (!(err instanceof GpioError)) throw err;
          refused = err;
        }
      });
      // Refused when no struct decoder took it.
      if (!parsed && refused !== undefined) throw refused;
    },
  };
}

function configTargets(): FuzzTarget[] {
  const tomlSeeds = [
    '[host]\nname = "shed"\n[discovery]\nmagic = "shed"\nport = 40000\nkey_file = "/etc/disco.key"\nmax_skew = "30s"\n',
    '[beacon]\nenabled = true\nformat = "rich"\ninterval = "15s"\nport = 9000\n[services.web]\nport = 8080\npath = "/"\n',
    '[metrics]\nenabled = true\nbackend = "tcp://*:9000"\nfrontend = "ipc:///var/tmp/disco"\ncollectors = ["load", "memory"]\nmax_connections = 64\nidle_timeout = "20s"\n',
    '[gpio]\ndriver = "cdev"\n[[gpio.output]]\nname = "pump"\nchip = "gpiochip0"\nline = 17\n[[gpio.input]]\nname = "door"\nline = 27\nedge = "both"\ndebounce = "10ms"\n',
  ].map((t) => te.encode(t));
  const iniSeeds = ["[DEFAULT]\nname = shed\nweb = http://10.0.0.5:8080/\n  continued line\n; comment\n# comment\n", "[DEFAULT]\na=1\nb : 2\n[other]\nc = 3\n"].map((t) => te.encode(t));
  return [
    {
      name: "TOML config",
      stages: ["TOML ok", "config valid"],
      seeds: tomlSeeds,
      maxBytes: 4096,
      dictionary: words("[", "]", "[[", "]]", "=", '"', "'''", '"""', "\n", "#", "true", "1e9", "-0", "inf", "nan", "1979-05-27T07:32:00Z", "{ a = 1 }", "[metrics]", "[gpio]", "[discovery]", "[beacon]", "[services]", "[host]"),
      allowed: [ConfigError],
      run(input, reach) {
        const text = td.decode(input);
        // smol-toml's verdict gives the first stage; anything but a TomlError from it is a finding.
        let tomlOk = true;
        try {
          parseToml(text);
        } catch (err) {
          if (!(err instanceof TomlError)) throw err;
          tomlOk = false;
        }
        if (tomlOk) reach(0);
        parseConfig(text);
        reach(1);
      },
    },
    {
      name: "INI reader (PyDiscover .cfg)",
      stages: ["parsed"],
      seeds: iniSeeds,
      maxBytes: 4096,
      dictionary: words("[DEFAULT]", "[", "]", "=", ":", "\n", " ", ";", "#", "\r\n", "\t"),
      allowed: [ConfigError],
      run(input, reach) {
        parseIniServices(td.decode(input), "fuzz.cfg");
        reach(0);
      },
    },
  ];
}

/** Every target, built (seeds sealed with the test key). */
export async function buildTargets(): Promise<FuzzTarget[]> {
  const channel = await deriveChannelId(MAGIC);
  const discoveryRing = await createKeyring([TEST_KEY.slice()], "discovery");
  const beaconRing = await createKeyring([TEST_KEY.slice()], "beacon");
  return [
    ...(await discoveryTargets(channel, discoveryRing)),
    await legacyTarget(),
    await controlTarget(channel, await createKeyring([TEST_KEY.slice()], "control")),
    ...(await beaconTargets(channel, beaconRing)),
    ...zmtpTargets(),
    gpioTarget(),
    ...configTargets(),
  ];
}

/** Whether `err` is a refusal `target` may give (a DiscoError of one of its classes). */
export function isRefusal(target: FuzzTarget, err: unknown): boolean {
  return err instanceof DiscoError && target.allowed.some((c) => err instanceof c);
}
