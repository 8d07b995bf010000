/**
 * The control target's engine: decides what to do with one datagram (a challenge, a result, an unsealed
 * refusal, or silence), runs the operation once per redeemed challenge, and keeps counters. No sockets here;
 * {@link runControlServer} connects it to a {@link UdpEndpoint}.
 */
import { bytesAt, toHex } from "../bytes.ts";
import { ChallengeTable, findKeyAt, openAesGcmAt, type ChallengeTableOptions, type Keyring, type RingKey } from "../crypto/index.ts";
import { DecryptBudget } from "../discovery/index.ts";
import type { Datagram, UdpEndpoint } from "../net/index.ts";
import { sealControlFrame } from "./envelope.ts";
import { CONTROL_FLAG_SEALED, CONTROL_FRAME_TYPE, CONTROL_HEADER_BYTES, CONTROL_MARKER, CONTROL_VERSION, encodeControlFrame, isWellFormedControlFrame } from "./frame.ts";
import {
  decodeCommand,
  decodeGetArgs,
  decodeQueryArgs,
  decodeRequest,
  decodeSetArgs,
  encodeChallenge,
  encodeRefusal,
  encodeResult,
  isChallenged,
  REFUSAL_PAYLOAD_BYTES,
  type ControlOp,
  type OperationPayload,
  type RefusalCode,
  type ResultStatus,
} from "./payload.ts";

/** What an operation produced: the status and the result's JSON body. */
export interface Outcome {
  readonly status: ResultStatus;
  readonly body: Readonly<Record<string, unknown>>;
}

/** Who asked: the source address and the id of the key that sealed the command. */
export interface Requester {
  readonly address: string;
  readonly port: number;
  /** Hex of the 4-byte key id. */
  readonly keyId: string;
}

/** The GPIO a target serves remotely. */
export interface RemoteGpio {
  /** The declared lines with their current values. */
  info(): Promise<Outcome>;
  /** One declared line's value (an output's driven value, a PWM's duty). */
  get(name: string): Promise<Outcome>;
  /** Why a write would be refused (undeclared, not remote, bad value), or undefined when it would be done. */
  checkSet(name: string, value: number): Outcome | undefined;
  /** Does the write (after {@link checkSet}). */
  set(name: string, value: number, who: Requester): Promise<Outcome>;
}

/** The fleet queries a target serves. */
export interface RemoteQueries {
  /** Why the query would be refused (unknown name), or undefined. */
  check(name: string): Outcome | undefined;
  /** Runs the query once (bounded in time, output and concurrency). */
  run(name: string, payload: Uint8Array, who: Requester): Promise<Outcome>;
}

/** Why a datagram got no result (silence, or an unsealed refusal with hidden mode off). */
export type ControlDropReason = "oversize" | "rate" | "malformed" | "not-request" | "channel" | "key" | "auth" | "unsealed";
/** Every drop reason, for counter tables. */
export const CONTROL_DROP_REASONS: readonly ControlDropReason[] = ["oversize", "rate", "malformed", "not-request", "channel", "key", "auth", "unsealed"];
/** Every non-ok result status, for counter tables. */
export const CONTROL_REFUSALS: readonly Exclude<ResultStatus, "ok">[] = [
  "bad-request",
  "unsupported",
  "unknown-line",
  "not-remote",
  "bad-value",
  "unknown-query",
  "unknown-challenge",
  "challenge-mismatch",
  "wrong-address",
  "busy",
  "failed",
];

/** The target's counters. */
export interface ControlCounters {
  seen: number;
  /** Challenges issued. */
  challenges: number;
  /** Operations done (reads answered, writes made, queries run). */
  done: number;
  /** Remote writes made (a subset of `done`). */
  writes: number;
  /** Queries run (a subset of `done`). */
  queries: number;
  /** Authenticated operations refused, by status. */
  refused: Record<Exclude<ResultStatus, "ok">, number>;
  /** Datagrams that got no result, by reason. */
  dropped: Record<ControlDropReason, number>;
  /** Unsealed refusal frames sent. */
  refusalsSent: number;
  bytesIn: number;
  bytesOut: number;
  /** Failures while handling or sending (the loop goes on). */
  errors: number;
}

/** What happened, for the target's log. */
export type ControlEvent =
  | { readonly type: "write"; readonly name: string; readonly value: number; readonly who: Requester }
  | { readonly type: "query"; readonly name: string; readonly outcome: Outcome; readonly who: Requester }
  | { readonly type: "refused"; readonly op: ControlOp; readonly status: ResultStatus; readonly who: Requester; readonly message?: string }
  | { readonly type: "dropped"; readonly reason: ControlDropReason; readonly source: string };

/** Options for {@link ControlServer}. */
export interface ControlServerOptions {
  /** deriveChannelId(magic). */
  channelId: Uint8Array;
  /** The keyring of purpose "control"; without one every request gets an unsealed "unsealed" refusal. */
  keyring?: Keyring;
  /** Remote GPIO; absent answers "unsupported". */
  gpio?: RemoteGpio;
  /** Fleet queries; absent answers "unsupported". */
  queries?: RemoteQueries;
  /** Silence for datagrams that do not authenticate. @default true */
  hidden?: boolean;
  /**
   * Datagrams per second one source address may make this target open (AES) or answer with a refusal, burst
   * one second's worth; the same pre-authentication budget as discovery's. What is dropped silently without
   * an open (junk, another channel) spends none of it. @default 500
   */
  decryptPerSourcePerSec?: number;
  /** Larger datagrams are dropped unread. @default 2048 */
  maxRequestBytes?: number;
  /** The challenge table's settings (ttl, size, clock, random source). */
  challenges?: ChallengeTableOptions;
  /** Monotonic clock for the rate limiter. @default performance.now */
  monotonicMs?: () => number;
  /** This host's name, put in every result (`host`), so a broadcast's answers say who they are. */
  host?: string;
  /** Log hook: every write, query, refusal and drop. */
  onEvent?: (e: ControlEvent) => void;
}

/** One datagram's outcome: at most one reply to the source. */
export interface ControlReply {
  readonly reply?: Uint8Array<ArrayBuffer>;
}

/** How {@link ControlServer}'s refusals go: also in hidden mode; with the budget already taken. */
const ALWAYS = { always: true } as const;
const CHARGED = { charged: true } as const;

/** Decides, per datagram, what a control target does. */
export class ControlServer {
  readonly #o: ControlServerOptions;
  readonly #hidden: boolean;
  readonly #maxBytes: number;
  readonly #now: () => number;
  readonly #budget: DecryptBudget;
  readonly #challenges: ChallengeTable;
  readonly #c: ControlCounters;

  /** @throws {RangeError} on a bad channel id or bad limits */
  constructor(options: ControlServerOptions) {
    if (options.channelId.length !== 4) throw new RangeError("channelId must be 4 bytes");
    this.#o = options;
    this.#hidden = options.hidden ?? true;
    this.#maxBytes = options.maxRequestBytes ?? 2048;
    this.#now = options.monotonicMs ?? (() => performance.now());
    this.#budget = new DecryptBudget({ perSourcePerSec: options.decryptPerSourcePerSec ?? 500 });
    this.#challenges = new ChallengeTable(options.challenges);
    this.#c = {
      seen: 0,
      challenges: 0,
      done: 0,
      writes: 0,
      queries: 0,
      refused: Object.fromEntries(CONTROL_REFUSALS.map((r) => [r, 0])) as ControlCounters["refused"],
      dropped: Object.fromEntries(CONTROL_DROP_REASONS.map((r) => [r, 0])) as ControlCounters["dropped"],
      refusalsSent: 0,
      bytesIn: 0,
      bytesOut: 0,
      errors: 0,
    };
  }

  /** A snapshot of the counters. */
  get counters(): ControlCounters {
    return { ...this.#c, refused: { ...this.#c.refused }, dropped: { ...this.#c.dropped } };
  }

  /** Counts a failure outside {@link handle} (a send error). */
  countError(): void {
    this.#c.errors++;
  }

  /**
   * Handles one datagram. Never throws for any input bytes. What is decided without running an operation
   * (every drop and refusal) comes back at once, not as a promise: a flood costs no promise per datagram.
   * @returns the reply to send back to the source, if any; a promise once an authenticated request runs
   */
  handle(data: Uint8Array, address: string, port: number): ControlReply | Promise<ControlReply> {
    const c = this.#c;
    c.seen++;
    c.bytesIn += data.length;
    if (data.length > this.#maxBytes) return this.#drop("oversize", address, port);
    let r: ControlReply | Promise<ControlReply>;
    try {
      r = this.#handleFrame(data, address, port);
    } catch {
      return this.#failed(address, port);
    }
    if (!(r instanceof Promise)) return this.#counted(r);
    return r.then(
      (done) => this.#counted(done),
      () => this.#failed(address, port),
    );
  }

  #counted(r: ControlReply): ControlReply {
    if (r.reply) this.#c.bytesOut += r.reply.length;
    return r;
  }

  #failed(address: string, port: number): ControlReply {
    this.#c.errors++;
    return this.#drop("malformed", address, port);
  }

  #drop(reason: ControlDropReason, address: string, port: number): ControlReply {
    this.#c.dropped[reason]++;
    this.#o.onEvent?.({ type: "dropped", reason, source: `${address}:${port}` });
    return {};
  }

  /**
   * Silence in hidden mode; else an unsealed refusal, never larger than what came in, within the source's
   * budget (a reply to an address anyone can spoof).
   * @param how `always`: also in hidden mode; `charged`: the budget was already taken for this datagram
   */
  #refuse(reason: ControlDropReason, code: RefusalCode, data: Uint8Array, address: string, port: number, how: { always?: true; charged?: true } = {}): ControlReply {
    const r = this.#drop(reason, address, port);
    const wellFormed = data.length >= CONTROL_HEADER_BYTES + REFUSAL_PAYLOAD_BYTES && data[0] === CONTROL_MARKER[0] && data[1] === CONTROL_MARKER[1] && data[2] === CONTROL_VERSION;
    if ((this.#hidden && !how.always) || !wellFormed) return r;
    if (!how.charged && !this.#budget.take(address, this.#now())) return r;
    this.#c.refusalsSent++;
    // Echo the refused frame's channel id and nonce: the client matches on them; nothing of ours is revealed.
    return { reply: encodeControlFrame({ type: "refusal", channelId: data.subarray(6, 10), nonce: data.subarray(14, 26) }, encodeRefusal({ nonce: data.subarray(14, 26), code })) };
  }

  /**
   * Checks a frame in place (header, channel, key id, budget) and opens it, synchronously; only an
   * authenticated request goes on to the (asynchronous) operation. Nothing here throws for junk or forgeries.
   */
  #handleFrame(data: Uint8Array, address: string, port: number): ControlReply | Promise<ControlReply> {
    if (!isWellFormedControlFrame(data)) return this.#refuse("malformed", "malformed", data, address, port);
    const type = data[3];
    if (type !== CONTROL_FRAME_TYPE.request && type !== CONTROL_FRAME_TYPE.command) return this.#drop("not-request", address, port);
    if (!bytesAt(data, 6, this.#o.channelId)) return this.#refuse("channel", "channel", data, address, port);
    const ring = this.#o.keyring;
    // Remote control never runs on an unsealed channel; say so even in hidden mode (there is no secret to hide).
    if (!ring) return this.#refuse("unsealed", "unsealed", data, address, port, ALWAYS);
    const key = (data[4]! & CONTROL_FLAG_SEALED) !== 0 ? findKeyAt(ring, data, 10) : undefined;
    if (!key) return this.#refuse("key", "key", data, address, port);
    // The pre-authentication budget pays for what costs: an AES-GCM open (and a reply to a stranger). Junk,
    // another channel's frames and silent drops spend none of it, so they cannot use up a source's budget
    // (its address is anyone's to spoof) and silence its real requests.
    if (!this.#budget.take(address, this.#now())) return this.#drop("rate", address, port);
    // In place: the header is the additional data, the body the ciphertext and tag (the frame is well formed).
    const payload = openAesGcmAt(key.aead, data, 14, CONTROL_HEADER_BYTES);
    if (!payload) return this.#refuse("auth", "auth", data, address, port, CHARGED);
    this.#budget.trust(address, this.#now());
    const who: Requester = { address, port, keyId: toHex(key.id) };
    let p;
    try {
      p = type === CONTROL_FRAME_TYPE.request ? { ...decodeRequest(payload), challenge: undefined } : decodeCommand(payload);
    } catch {
      return this.#drop("malformed", address, port);
    }
    return this.#serve(p, who, key);
  }

  /** Runs an authenticated request or command: a read, a challenge, or a redeemed challenge's operation. */
  async #serve(p: OperationPayload & { readonly challenge: Uint8Array | undefined }, who: Requester, key: RingKey): Promise<ControlReply> {
    const address = who.address;
    const reply = (outcome: Outcome) => this.#result(p.id, p.op, outcome, who, key);
    if (!isChallenged(p.op)) {
      if (p.challenge !== undefined) return reply({ status: "bad-request", body: { message: `${p.op} is a read: send it as a request, not a command` } });
      return reply(await this.#read(p.op, p.args));
    }
    const check = this.#check(p.op, p.args);
    if (check) return reply(check);
    if (p.challenge === undefined) {
      const challenge = this.#challenges.issue({ address, op: p.op, id: p.id, args: p.args });
      this.#c.challenges++;
      const payload = encodeChallenge({ id: p.id, challenge, ttlMs: Math.round(this.#challenges.ttlMs) });
      return { reply: sealControlFrame("challenge", this.#o.channelId, key, payload) };
    }
    const redeemed = this.#challenges.redeem(p.challenge, { address, op: p.op, id: p.id, args: p.args });
    if (redeemed === "unknown") return reply({ status: "unknown-challenge", body: { message: "the challenge is unknown, already used or expired (a replay, or a command sent too late)" } });
    if (redeemed === "address") return reply({ status: "wrong-address", body: { message: "the challenge was issued to another address" } });
    if (redeemed === "mismatch") return reply({ status: "challenge-mismatch", body: { message: "the challenge was issued for another operation or other arguments" } });
    return reply(await this.#act(p.op, p.args, who));
  }

  async #result(id: Uint8Array, op: ControlOp, outcome: Outcome, who: Requester, key: RingKey): Promise<ControlReply> {
    if (outcome.status === "ok") this.#c.done++;
    else {
      this.#c.refused[outcome.status]++;
      const message = typeof outcome.body["message"] === "string" ? outcome.body["message"] : undefined;
      this.#o.onEvent?.({ type: "refused", op, status: outcome.status, who, ...(message !== undefined && { message }) });
    }
    return { reply: sealControlFrame("result", this.#o.channelId, key, encodeResult({ id, status: outcome.status, body: this.#o.host !== undefined ? { host: this.#o.host, ...outcome.body } : outcome.body })) };
  }

  async #read(op: ControlOp, args: Uint8Array): Promise<Outcome> {
    const gpio = this.#o.gpio;
    if (!gpio) return { status: "unsupported", body: { message: "this host serves no GPIO (no [[gpio.*]] lines in its config)" } };
    if (op === "gpio-info") return args.length ? badRequest("gpio-info takes no arguments") : gpio.info();
    let name: string;
    try {
      ({ name } = decodeGetArgs(args));
    } catch (err) {
      return badRequest((err as Error).message);
    }
    return gpio.get(name);
  }

  #check(op: ControlOp, args: Uint8Array): Outcome | undefined {
    try {
      if (op === "gpio-set") {
        if (!this.#o.gpio) return { status: "unsupported", body: { message: "this host serves no GPIO (no [[gpio.*]] lines in its config)" } };
        const { name, value } = decodeSetArgs(args);
        return this.#o.gpio.checkSet(name, value);
      }
      if (!this.#o.queries) return { status: "unsupported", body: { message: "this host declares no [[query]]" } };
      return this.#o.queries.check(decodeQueryArgs(args).name);
    } catch (err) {
      return badRequest((err as Error).message);
    }
  }

  async #act(op: ControlOp, args: Uint8Array, who: Requester): Promise<Outcome> {
    if (op === "gpio-set") {
      const { name, value } = decodeSetArgs(args);
      const outcome = await this.#o.gpio!.set(name, value, who);
      if (outcome.status === "ok") {
        this.#c.writes++;
        this.#o.onEvent?.({ type: "write", name, value, who });
      }
      return outcome;
    }
    const { name, payload } = decodeQueryArgs(args);
    const outcome = await this.#o.queries!.run(name, payload, who);
    if (outcome.status === "ok") {
      this.#c.queries++;
      this.#o.onEvent?.({ type: "query", name, outcome, who });
    }
    return outcome;
  }
}

function badRequest(message: string): Outcome {
  return { status: "bad-request", body: { message } };
}

/** Options for {@link runControlServer}. */
export interface RunControlServerOptions {
  signal: AbortSignal;
  /** Datagrams handled concurrently (a query holds its slot while it runs). @default 64 */
  maxInFlight?: number;
}

/**
 * Serves control datagrams arriving on `socket` until `signal` aborts, then closes the socket. One bad
 * datagram or failed send never ends the loop; when every slot is busy, new datagrams wait in the socket's
 * bounded queue.
 */
export async function runControlServer(socket: UdpEndpoint, server: ControlServer, options: RunControlServerOptions): Promise<void> {
  const { signal } = options;
  const maxInFlight = options.maxInFlight ?? 64;
  let inflight = 0;
  let wake: (() => void) | undefined;
  const onAbort = () => void socket.close();
  if (signal.aborted) return socket.close();
  signal.addEventListener("abort", onAbort, { once: true });
  const release = () => {
    inflight--;
    const w = wake;
    wake = undefined;
    w?.();
  };
  const sent = (error?: Error) => void (error && server.countError());
  const handleOne = (d: Datagram): void => {
    // The datagram's bytes are its own (lib/net), and handle() only reads them.
    const r = server.handle(d.data, d.address, d.port);
    if (!(r instanceof Promise)) {
      // Decided at once (a drop, a refusal): no promise, and no slot.
      if (r.reply) socket.post(r.reply, d.port, d.address, sent);
      return;
    }
    inflight++;
    // A failed send reports through `sent`, as for the replies decided at once.
    void r
      .then(
        ({ reply }) => void (reply && socket.post(reply, d.port, d.address, sent)),
        () => server.countError(),
      )
      .finally(release);
  };
  try {
    // A batch per turn of the event loop, not a promise per datagram.
    for await (const batch of socket.batches()) {
      for (const d of batch) {
        handleOne(d);
        if (inflight >= maxInFlight) await new Promise<void>((resolve) => (wake = resolve));
      }
    }
    while (inflight > 0) await new Promise<void>((resolve) => (wake = resolve));
  } finally {
    signal.removeEventListener("abort", onAbort);
    await socket.close();
  }
}
