/**
 * The responder engine: decides what to do with one datagram (answer, error frame or silence) and keeps
 * counters. No sockets here; {@link runResponder} connects it to a {@link UdpEndpoint}.
 */
import { OpenError, ReplayCache, type Keyring } from "../crypto/index.ts";
import type { Datagram, UdpEndpoint } from "../net/index.ts";
import { openFrame, sealFrame } from "./envelope.ts";
import { ProtocolError } from "./errors.ts";
import { bytesEqual, toHex } from "../bytes.ts";
import { CHANNEL_ID_BYTES, decodeDatagram, HEADER_BYTES, MARKER, VERSION } from "./frame.ts";
import {
  encodeLegacyAnswer,
  encodeLegacyError,
  LEGACY_MAX_AGE_MS,
  legacyCrypt,
  legacyDecodeText,
  parseLegacyRequest,
} from "./legacy.ts";
import { decodeQuery, encodeAnswerJson, encodeDescription, encodeError, ERROR_PAYLOAD_BYTES, type ErrorCode, type SelfDescription } from "./payload.ts";
import { RateLimiter } from "./rate-limit.ts";

/** Why a datagram got no answer. */
export type DropReason =
  | "oversize" // larger than the largest query
  | "rate" // over the source's rate limit
  | "malformed" // not a well-formed frame or query
  | "not-query" // a well-formed answer or error frame (not for a responder)
  | "channel" // another channel (magic)
  | "key" // sealed with a key this node lacks, or sealed/unsealed mismatch
  | "auth" // did not authenticate
  | "stale" // its time is too far from ours
  | "replay"; // seen before

/** Every drop reason, for tables of counters. */
export const DROP_REASONS: readonly DropReason[] = ["oversize", "rate", "malformed", "not-query", "channel", "key", "auth", "stale", "replay"];

/** What the responder decided for one datagram. */
export interface Decision {
  readonly action: "answer" | "error" | "drop";
  /** Set for "error" and "drop". */
  readonly reason?: DropReason;
  /** Source as "address:port". */
  readonly source: string;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Whether it was a PyDiscover datagram. */
  readonly legacy: boolean;
}

/** The responder's counters. */
export interface ResponderCounters {
  /** Datagrams received. */
  seen: number;
  answered: number;
  /** Error frames sent (hidden mode off). */
  errorsSent: number;
  /** Datagrams that got no answer, by reason (also counted when an error frame was sent instead). */
  dropped: Record<DropReason, number>;
  bytesIn: number;
  bytesOut: number;
  /** Failures while handling or sending (the loop goes on). */
  errors: number;
  /** Of `seen`, PyDiscover datagrams. */
  legacySeen: number;
}

/** PyDiscover compatibility settings for a responder. */
export interface LegacyResponderOptions {
  readonly magic: string;
  /** From importLegacyKey(password); undefined when PyDiscover runs without a password. */
  readonly key?: CryptoKey;
}

/** Options for {@link Responder}. */
export interface ResponderOptions {
  /** The channel id (deriveChannelId(magic)). */
  channelId: Uint8Array;
  /** Keys; undefined answers unsealed queries only. */
  keyring?: Keyring;
  /** The self-description, built per answer (uptime moves). */
  describe: () => SelfDescription;
  /** Silence for refused queries. @default true */
  hidden?: boolean;
  /** Answers (and error frames) per second per source address. @default 10 */
  rateLimitPerSec?: number;
  /** Burst per source. @default 20 */
  rateBurst?: number;
  /** Sources tracked by the rate limiter. @default 1024 */
  maxSources?: number;
  /** Queries whose time differs from ours by more than this are stale. @default 30000 */
  maxSkewMs?: number;
  /** Larger datagrams are dropped unread. @default 8192 */
  maxQueryBytes?: number;
  /** How long one built description is reused (uptime moves slowly). @default 1000 */
  describeCacheMs?: number;
  /** Also answer PyDiscover requests. */
  legacy?: LegacyResponderOptions;
  /** Wall clock (unix ms), for query freshness. @default Date.now */
  nowMs?: () => number;
  /** Monotonic clock (ms), for rate limits and the replay memory. @default performance.now */
  monotonicMs?: () => number;
}

/** Result of {@link Responder.handle}: the reply to send (if any) and the decision. */
export interface Handled {
  readonly reply?: Uint8Array<ArrayBuffer>;
  readonly decision: Decision;
}

const enc = new TextEncoder();

/** Decides, per datagram, whether and how to answer. */
export class Responder {
  readonly #o: Required<Omit<ResponderOptions, "keyring" | "legacy" | "maxSources" | "rateLimitPerSec" | "rateBurst">> & ResponderOptions;
  readonly #rate: RateLimiter;
  readonly #replay: ReplayCache;
  readonly #counters: ResponderCounters;
  #described: { json: Uint8Array; services: Readonly<Record<string, unknown>>; atMs: number } | undefined;

  /** @throws {RangeError} on a bad channel id or rate settings */
  constructor(options: ResponderOptions) {
    if (options.channelId.length !== CHANNEL_ID_BYTES) throw new RangeError(`channelId must be ${CHANNEL_ID_BYTES} bytes`);
    this.#o = {
      hidden: true,
      maxSkewMs: 30_000,
      maxQueryBytes: 8192,
      nowMs: Date.now,
      describeCacheMs: 1000,
      monotonicMs: () => performance.now(),
      ...options,
    };
    this.#rate = new RateLimiter({ ratePerSec: options.rateLimitPerSec ?? 10, burst: options.rateBurst ?? 20, maxSources: options.maxSources ?? 1024 });
    // Remember ids for as long as a query can be fresh on either side of our clock.
    this.#replay = new ReplayCache({ maxEntries: 8192, ttlMs: 2 * this.#o.maxSkewMs + 1000 });
    this.#counters = {
      seen: 0,
      answered: 0,
      errorsSent: 0,
      dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
      bytesIn: 0,
      bytesOut: 0,
      errors: 0,
      legacySeen: 0,
    };
  }

  /** A snapshot of the counters. */
  get counters(): ResponderCounters {
    return { ...this.#counters, dropped: { ...this.#counters.dropped } };
  }

  /** Counts a failure outside {@link handle} (e.g. a send error). */
  countError(): void {
    this.#counters.errors++;
  }

  #description(): { json: Uint8Array; services: Readonly<Record<string, unknown>> } {
    const now = this.#o.monotonicMs();
    if (!this.#described || now - this.#described.atMs >= this.#o.describeCacheMs || now < this.#described.atMs) {
      const d = this.#o.describe();
      this.#described = { json: encodeDescription(d), services: d.services, atMs: now };
    }
    return this.#described;
  }

  /**
   * Handles one datagram. Never throws for any input bytes.
   * @param data the datagram
   * @param source "address:port" (the rate limit keys on the address part)
   * @returns the reply to send back to the source, if any, and the decision
   */
  async handle(data: Uint8Array, source: string): Promise<Handled> {
    const c = this.#counters;
    c.seen++;
    c.bytesIn += data.length;
    const legacy = this.#o.legacy !== undefined && !(data[0] === MARKER[0] && data[1] === MARKER[1]);
    if (legacy) c.legacySeen++;
    if (data.length > this.#o.maxQueryBytes) return this.#drop("oversize", source, data.length, legacy);
    const address = source.slice(0, source.lastIndexOf(":"));
    if (!this.#rate.take(address, this.#o.monotonicMs())) return this.#drop("rate", source, data.length, legacy);
    try {
      return legacy ? await this.#handleLegacy(data, source) : await this.#handleFrame(data, source);
    } catch {
      c.errors++;
      return this.#drop("malformed", source, data.length, legacy);
    }
  }

  #drop(reason: DropReason, source: string, bytesIn: number, legacy: boolean): Handled {
    this.#counters.dropped[reason]++;
    return { decision: { action: "drop", reason, source, bytesIn, bytesOut: 0, legacy } };
  }

  #reply(reply: Uint8Array<ArrayBuffer>, action: "answer" | "error", reason: DropReason | undefined, source: string, bytesIn: number, legacy: boolean): Handled {
    const c = this.#counters;
    if (action === "answer") c.answered++;
    else {
      c.errorsSent++;
      c.dropped[reason!]++;
    }
    c.bytesOut += reply.length;
    return { reply, decision: { action, ...(reason !== undefined && { reason }), source, bytesIn, bytesOut: reply.length, legacy } };
  }

  /** Silence in hidden mode; otherwise an error frame, if it is not larger than what came in. */
  async #refuse(reason: DropReason, code: ErrorCode, data: Uint8Array, source: string): Promise<Handled> {
    const canReply = !this.#o.hidden && data.length >= HEADER_BYTES && data[0] === MARKER[0] && data[1] === MARKER[1] && data[2] === VERSION;
    if (canReply && data.length >= HEADER_BYTES + ERROR_PAYLOAD_BYTES) {
      // Echo the refused frame's channel id and nonce: the client matches on them; nothing of ours is revealed.
      const reply = await sealFrame("error", data.subarray(6, 10), encodeError({ nonce: data.subarray(14, 26), code }));
      return this.#reply(reply, "error", reason, source, data.length, false);
    }
    return this.#drop(reason, source, data.length, false);
  }

  async #handleFrame(data: Uint8Array, source: string): Promise<Handled> {
    const d = decodeDatagram(data);
    if (d.kind === "error") return this.#refuse("malformed", "malformed", data, source);
    const frame = d.value;
    if (frame.header.type !== "query") return this.#drop("not-query", source, data.length, false);
    if (!bytesEqual(frame.header.channelId, this.#o.channelId)) return this.#refuse("channel", "channel", data, source);
    let opened;
    try {
      opened = await openFrame(frame, this.#o.keyring);
    } catch (err) {
      if (err instanceof OpenError && err.reason === "auth") return this.#refuse("auth", "auth", data, source);
      if (err instanceof OpenError || err instanceof ProtocolError) return this.#refuse("key", "key", data, source);
      throw err;
    }
    let query;
    try {
      query = decodeQuery(opened.payload);
    } catch {
      return this.#refuse("malformed", "malformed", data, source);
    }
    const now = this.#o.nowMs();
    if (Math.abs(now - query.timeMs) > this.#o.maxSkewMs) return this.#refuse("stale", "stale", data, source);
    if (!this.#replay.check(toHex(query.id), this.#o.monotonicMs())) return this.#refuse("replay", "replay", data, source);
    const payload = encodeAnswerJson(query.id, now, this.#description().json);
    const reply = await sealFrame("answer", this.#o.channelId, payload, opened.key ? { key: opened.key } : {});
    return this.#reply(reply, "answer", undefined, source, data.length, false);
  }

  async #handleLegacy(data: Uint8Array, source: string): Promise<Handled> {
    const legacy = this.#o.legacy!;
    const text = legacyDecodeText(await legacyCrypt(legacy.key, data.slice()));
    const req = parseLegacyRequest(text, legacy.magic);
    const refuse = async (reason: DropReason, message: string | undefined): Promise<Handled> => {
      if (!this.#o.hidden && message !== undefined) {
        const reply = await legacyCrypt(legacy.key, enc.encode(encodeLegacyError(legacy.magic, message)));
        return this.#reply(reply, "error", reason, source, data.length, true);
      }
      return this.#drop(reason, source, data.length, true);
    };
    // PyDiscover answers a wrong magic or password with the magic in clear; disco stays silent instead.
    if (req.kind === "foreign") return refuse("channel", undefined);
    if (req.kind === "bad-time") return refuse("malformed", "Invalid timestamp");
    const now = this.#o.nowMs();
    if (req.timeMs < now - LEGACY_MAX_AGE_MS || req.timeMs > now + this.#o.maxSkewMs) return refuse("stale", "Timestamp is too old");
    if (!this.#replay.check(`legacy ${text}`, this.#o.monotonicMs())) return refuse("replay", undefined);
    const reply = await legacyCrypt(legacy.key, enc.encode(encodeLegacyAnswer(legacy.magic, this.#description().services)));
    return this.#reply(reply, "answer", undefined, source, data.length, true);
  }
}

/** Options for {@link runResponder}. */
export interface RunResponderOptions {
  /** Stops the loop (and closes nothing: the caller owns the socket). */
  signal: AbortSignal;
  /** Called once per datagram (e.g. for `-v` logging). */
  onDecision?: (d: Decision) => void;
  /** Datagrams handled concurrently. @default 32 */
  maxInFlight?: number;
}

/**
 * Answers queries arriving on `socket` until `signal` aborts, then closes the socket. One bad datagram or
 * failed send never ends the loop.
 * @returns when aborted (after in-flight replies are sent)
 */
export async function runResponder(socket: UdpEndpoint, responder: Responder, options: RunResponderOptions): Promise<void> {
  const { signal, onDecision } = options;
  const maxInFlight = options.maxInFlight ?? 32;
  let inflight = 0;
  // Resolved when a slot frees (the loop waits only when all are busy) or when the last one ends.
  let wake: (() => void) | undefined;
  const onAbort = () => void socket.close();
  if (signal.aborted) return socket.close();
  signal.addEventListener("abort", onAbort, { once: true });
  const countError = () => responder.countError();
  const release = () => {
    inflight--;
    const w = wake;
    wake = undefined;
    w?.();
  };
  // Promise chains rather than an async function per datagram: this runs for every query.
  const handleOne = (d: Datagram): void => {
    inflight++;
    responder
      .handle(d.data, `${d.address}:${d.port}`)
      .then(({ reply, decision }) => {
        // Not awaited: the next datagram need not wait for this one's send callback.
        if (reply) socket.send(reply, d.port, d.address).catch(countError);
        onDecision?.(decision);
      })
      .catch(countError)
      .then(release);
  };
  try {
    // A batch is everything queued since the last read: its queries are all started before any is
    // awaited, so their AES-GCM operations overlap.
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
