/**
 * The responder engine: decides what to do with one datagram (answer, error frame or silence) and keeps
 * counters. No sockets here; {@link runResponder} connects it to a {@link UdpEndpoint}. Synchronous: the
 * AES work is `node:crypto`, so one datagram is decided before the next is looked at.
 */
import { bytesAt } from "../bytes.ts";
import { ChallengeTable, findKeyAt, openAesGcmAt, ReplayCache, type ChallengeTableOptions, type Keyring, type RingKey } from "../crypto/index.ts";
import { CLOCK_FLOOR_MS } from "../version.ts";
import type { OutgoingDatagram, UdpEndpoint } from "../net/index.ts";
import { sealFrame } from "./envelope.ts";
import { CHANNEL_ID_BYTES, FLAG_SEALED, FRAME_TYPE, HEADER_BYTES, MARKER, TAG_BYTES, VERSION } from "./frame.ts";
import {
  encodeLegacyAnswer,
  encodeLegacyError,
  LEGACY_MAX_AGE_MS,
  legacyCrypt,
  legacyDecodeText,
  parseLegacyRequest,
  type LegacyKey,
} from "./legacy.ts";
import { decodeQuery, decodeRetry, encodeAnswerJson, encodeChallenge, encodeDescription, encodeError, ERROR_PAYLOAD_BYTES, type ErrorCode, type SelfDescription } from "./payload.ts";
import { DecryptBudget, RateLimiter } from "./rate-limit.ts";

/** Why a datagram got no answer. */
export type DropReason =
  | "oversize" // larger than the largest query
  | "rate" // a reply (answer or error frame) over its rate limit
  | "budget" // over the pre-authentication decrypt budget (no cryptography was attempted)
  | "malformed" // not a well-formed frame or query
  | "not-query" // a well-formed answer or error frame (not for a responder)
  | "channel" // another channel (magic)
  | "key" // sealed with a key this node lacks, or sealed/unsealed mismatch
  | "auth" // did not authenticate
  | "stale" // its time is too far from ours
  | "replay" // seen before
  | "challenge"; // a retry whose challenge is unknown, used, expired, or not this source's

/** Every drop reason, for tables of counters. */
export const DROP_REASONS: readonly DropReason[] = ["oversize", "rate", "budget", "malformed", "not-query", "channel", "key", "auth", "stale", "replay", "challenge"];

/** What the responder decided for one datagram. */
export interface Decision {
  readonly action: "answer" | "challenge" | "error" | "drop";
  /** Set for "error" and "drop". */
  readonly reason?: DropReason;
  /** Set for "challenge": why the query's time was not trusted (its time outside max_skew, or our clock too early). */
  readonly challenged?: "stale" | "clock";
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
  /** Sealed queries answered with a challenge (their time outside max_skew, or our clock before CLOCK_FLOOR_MS). */
  challenged: number;
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
  /** Datagrams dropped unread because the receive queue was full (the loop fell behind a flood). */
  overflowed: number;
}

/** PyDiscover compatibility settings for a responder. */
export interface LegacyResponderOptions {
  readonly magic: string;
  /**
   * From importLegacyKey(password). Required: a responder never answers PyDiscover in clear (that would
   * hand `magic#OK#services` to anyone on the LAN).
   */
  readonly key: LegacyKey;
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
  /**
   * Replies per second: answers per (key id, source address and port) once a query authenticated (per
   * source address on an unsealed channel and for legacy answers), error frames per source address.
   * Charged only for replies: silence costs a source nothing. @default 10
   */
  rateLimitPerSec?: number;
  /** Burst of each reply bucket. @default 20 */
  rateBurst?: number;
  /** Sources tracked by each rate limiter. @default 1024 */
  maxSources?: number;
  /**
   * Decrypt attempts per second one source address may spend on frames that then fail (an attempt that
   * authenticates is given back, so legitimate load never runs out). @default 500
   */
  decryptsPerSourcePerSec?: number;
  /**
   * Failed decrypt attempts per second in all, for strangers; sources that authenticated in the last minute
   * draw from a second bucket of the same size. @default 20000
   */
  decryptsPerSec?: number;
  /** Queries whose time differs from ours by more than this are stale. @default 30000 */
  maxSkewMs?: number;
  /** Larger datagrams are dropped unread. @default 8192 */
  maxQueryBytes?: number;
  /** How long one built description is reused (uptime moves slowly). @default 1000 */
  describeCacheMs?: number;
  /** Also answer PyDiscover requests. */
  legacy?: LegacyResponderOptions;
  /**
   * Answer disco frames. Off for a legacy-only responder (legacy with a password but no key): its password
   * is PyDiscover's and seals nothing, and answering unsealed disco queries would tell anyone what a
   * password guards. @default true
   */
  frames?: boolean;
  /** Wall clock (unix ms), for query freshness. @default Date.now */
  nowMs?: () => number;
  /**
   * A wall clock earlier than this is wrong (a device without an RTC booted in 1970): every sealed query is
   * then answered with a challenge. @default CLOCK_FLOOR_MS (this version's date)
   */
  clockFloorMs?: number;
  /** The challenges for sealed queries whose time cannot be trusted (ttl, size; clock: `monotonicMs`). */
  challenges?: Omit<ChallengeTableOptions, "monotonicMs">;
  /**
   * Challenges per second in all, whoever asks (burst: twice as many). A challenge goes to a source that
   * has not proven who it is (a captured query replayed with a forged source authenticates), and is larger
   * than the query: this bounds what the responder can be made to reflect. @default 50
   */
  challengesPerSec?: number;
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
  readonly #o: Required<Omit<ResponderOptions, "keyring" | "legacy" | "maxSources" | "rateLimitPerSec" | "rateBurst" | "decryptsPerSourcePerSec" | "decryptsPerSec" | "frames" | "challenges" | "challengesPerSec">> &
    ResponderOptions;
  /** Answers, keyed after authentication. */
  readonly #answerRate: RateLimiter;
  /** Error frames, keyed by source address (nothing authenticated them). */
  readonly #errorRate: RateLimiter;
  /** Challenges, all sources together. */
  readonly #challengeRate: RateLimiter;
  readonly #budget: DecryptBudget;
  readonly #replay: ReplayCache;
  /** Legacy requests have their own memory, so forged legacy requests cannot flush sealed query ids out. */
  readonly #legacyReplay: ReplayCache;
  readonly #counters: ResponderCounters;
  readonly #challenges: ChallengeTable;
  #described: { json: Uint8Array; services: Readonly<Record<string, unknown>>; atMs: number; legacyAnswer?: Uint8Array<ArrayBuffer> } | undefined;
  /** The monotonic time of the datagram being handled (read once per datagram). */
  #mono = 0;
  /** Each ring key's id as a rate-limit key, built once rather than once per answer. */
  readonly #keyNames: ReadonlyMap<RingKey, string>;

  /** @throws {RangeError} on a bad channel id, rate settings, or legacy mode without a key */
  constructor(options: ResponderOptions) {
    if (options.channelId.length !== CHANNEL_ID_BYTES) throw new RangeError(`channelId must be ${CHANNEL_ID_BYTES} bytes`);
    if (options.legacy && !options.legacy.key) throw new RangeError("legacy mode needs a legacy (PyDiscover) password: without one it would answer in clear to anyone");
    this.#o = {
      hidden: true,
      maxSkewMs: 30_000,
      maxQueryBytes: 8192,
      nowMs: Date.now,
      describeCacheMs: 1000,
      monotonicMs: () => performance.now(),
      clockFloorMs: CLOCK_FLOOR_MS,
      ...options,
    };
    this.#keyNames = new Map((options.keyring?.keys ?? []).map((k) => [k, idKey(k.id)]));
    this.#challenges = new ChallengeTable({ maxEntries: 1024, ...options.challenges, monotonicMs: this.#o.monotonicMs });
    const rate = { ratePerSec: options.rateLimitPerSec ?? 10, burst: options.rateBurst ?? 20, maxSources: options.maxSources ?? 1024 };
    this.#answerRate = new RateLimiter(rate);
    this.#errorRate = new RateLimiter(rate);
    const challengesPerSec = options.challengesPerSec ?? 50;
    this.#challengeRate = new RateLimiter({ ratePerSec: challengesPerSec, burst: 2 * challengesPerSec, maxSources: 1 });
    this.#budget = new DecryptBudget({
      perSourcePerSec: options.decryptsPerSourcePerSec ?? 500,
      globalPerSec: options.decryptsPerSec ?? 20_000,
      maxSources: options.maxSources ?? 1024,
    });
    // Remember ids for as long as a query can be fresh on either side of our clock.
    this.#replay = new ReplayCache({ maxEntries: 8192, ttlMs: 2 * this.#o.maxSkewMs + 1000 });
    // A legacy request is fresh from 20 s in the past to max_skew in the future.
    this.#legacyReplay = new ReplayCache({ maxEntries: 8192, ttlMs: LEGACY_MAX_AGE_MS + this.#o.maxSkewMs + 1000 });
    this.#counters = {
      seen: 0,
      answered: 0,
      challenged: 0,
      errorsSent: 0,
      dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
      bytesIn: 0,
      bytesOut: 0,
      errors: 0,
      legacySeen: 0,
      overflowed: 0,
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

  /** Counts a datagram the socket dropped before it reached {@link handle} (its queue was full). */
  countOverflow(): void {
    this.#counters.overflowed++;
  }

  #description(): { json: Uint8Array; services: Readonly<Record<string, unknown>>; legacyAnswer?: Uint8Array<ArrayBuffer> } {
    const now = this.#mono;
    if (!this.#described || now - this.#described.atMs >= this.#o.describeCacheMs || now < this.#described.atMs) {
      const d = this.#o.describe();
      this.#described = { json: encodeDescription(d), services: d.services, atMs: now };
    }
    return this.#described;
  }

  /**
   * Handles one datagram. Never throws for any input bytes.
   * @param data the datagram
   * @param source "address:port" (reply limits key on it after authentication, on the address before)
   * @param address the address part of `source`, when the caller has it (spares cutting it out)
   * @returns the reply to send back to the source, if any, and the decision
   */
  handle(data: Uint8Array, source: string, address: string = source.slice(0, source.lastIndexOf(":"))): Handled {
    const c = this.#counters;
    c.seen++;
    c.bytesIn += data.length;
    const legacy = this.#o.legacy !== undefined && !(data[0] === MARKER[0] && data[1] === MARKER[1]);
    if (legacy) c.legacySeen++;
    this.#mono = this.#o.monotonicMs();
    if (data.length > this.#o.maxQueryBytes) return this.#drop("oversize", source, data.length, legacy);
    try {
      return legacy ? this.#handleLegacy(this.#o.legacy!, data, source, address) : this.#handleFrame(data, source, address);
    } catch {
      c.errors++;
      return this.#drop("malformed", source, data.length, legacy);
    }
  }

  #drop(reason: DropReason, source: string, bytesIn: number, legacy: boolean): Handled {
    this.#counters.dropped[reason]++;
    return { decision: { action: "drop", reason, source, bytesIn, bytesOut: 0, legacy } };
  }

  #reply(reply: Uint8Array<ArrayBuffer>, action: "answer" | "challenge" | "error", reason: DropReason | undefined, source: string, bytesIn: number, legacy: boolean): Handled {
    const c = this.#counters;
    if (action === "answer") c.answered++;
    else if (action === "challenge") c.challenged++;
    else {
      c.errorsSent++;
      c.dropped[reason!]++;
    }
    c.bytesOut += reply.length;
    return { reply, decision: { action, ...(reason !== undefined && { reason }), source, bytesIn, bytesOut: reply.length, legacy } };
  }

  /**
   * Silence in hidden mode; otherwise an error frame, if it is not larger than what came in and the source
   * address has an error-frame token left.
   */
  #refuse(reason: DropReason, code: ErrorCode, data: Uint8Array, source: string, address: string): Handled {
    const canReply = !this.#o.hidden && data.length >= HEADER_BYTES + ERROR_PAYLOAD_BYTES && data[0] === MARKER[0] && data[1] === MARKER[1] && data[2] === VERSION;
    if (!canReply) return this.#drop(reason, source, data.length, false);
    if (!this.#errorRate.take(address, this.#mono)) return this.#drop("rate", source, data.length, false);
    // Echo the refused frame's channel id and nonce: the client matches on them; nothing of ours is revealed.
    const reply = sealFrame("error", data.subarray(6, 10), encodeError({ nonce: data.subarray(14, 26), code }));
    return this.#reply(reply, "error", reason, source, data.length, false);
  }

  #handleFrame(data: Uint8Array, source: string, address: string): Handled {
    // Garbage is the common case under a flood: refuse it on its first bytes, before the decoder builds
    // a FrameError (an Error with a stack) for it.
    if (!looksLikeQuery(data)) return data[3] === FRAME_TYPE.query || data[3] === FRAME_TYPE.retry || !looksLikeFrame(data) ? this.#refuse("malformed", "malformed", data, source, address) : this.#drop("not-query", source, data.length, false);
    const retry = data[3] === FRAME_TYPE.retry;
    // Everything up to the tag check answers with one code, "refused": a stranger learns nothing about
    // which guess (magic, key) was right. These checks read the header in place, so a flood of forged
    // frames over the decrypt budget costs no allocation beyond the datagram itself.
    if (!bytesAt(data, 6, this.#o.channelId)) return this.#refuse("channel", "refused", data, source, address);
    if (this.#o.frames === false) return this.#refuse("key", "refused", data, source, address);
    const ring = this.#o.keyring;
    const sealed = (data[4]! & FLAG_SEALED) !== 0;
    let key: RingKey | undefined;
    if (ring) {
      key = sealed ? findKeyAt(ring, data, 10) : undefined;
      if (!key) return this.#refuse("key", "refused", data, source, address);
      if (!this.#budget.take(address, this.#mono)) return this.#drop("budget", source, data.length, false);
    } else if (sealed) return this.#refuse("key", "refused", data, source, address);
    // looksLikeQuery() checked the header; what the decoder would add: a sealed body holds a tag, an
    // unsealed frame names no key. The header is then opened in place (no decoded frame to allocate).
    let payload: Uint8Array;
    if (key) {
      if (data.length < HEADER_BYTES + TAG_BYTES) return this.#refuse("malformed", "malformed", data, source, address);
      const opened = openAesGcmAt(key.aead, data, 14, HEADER_BYTES);
      if (!opened) return this.#refuse("auth", "refused", data, source, address);
      payload = opened;
    } else {
      if ((data[10]! | data[11]! | data[12]! | data[13]!) !== 0) return this.#refuse("malformed", "malformed", data, source, address);
      payload = data.subarray(HEADER_BYTES);
    }
    let query;
    let challenged: Uint8Array | undefined;
    try {
      if (retry) {
        const r = decodeRetry(payload);
        query = r;
        challenged = r.challenge;
      } else query = decodeQuery(payload);
    } catch {
      return this.#refuse("malformed", "malformed", data, source, address);
    }
    const now = this.#o.nowMs();
    const mono = this.#mono;
    if (challenged) {
      // A retry: the query again with our challenge. Its single use stands in for the time and id checks.
      if (!key || this.#challenges.redeem(challenged, { address, op: "discovery", id: query.id, args: new Uint8Array() }) !== "ok") {
        return this.#refuse("challenge", "stale", data, source, address);
      }
    } else {
      // A clock we cannot judge by (ours before this version's date, or theirs outside max_skew): a sealed
      // query gets a challenge instead of silence, so discovery works between hosts without an RTC.
      const clock = now < this.#o.clockFloorMs ? "clock" : Math.abs(now - query.timeMs) > this.#o.maxSkewMs ? "stale" : undefined;
      if (clock !== undefined) {
        if (!key) return this.#refuse("stale", "stale", data, source, address);
        // One challenge per query id: a captured query replayed from a thousand forged sources is still one
        // query (and the same query reaching us by two broadcast paths needs one challenge).
        if (!this.#replay.check(idKey(query.id), mono)) return this.#refuse("replay", "replay", data, source, address);
        if (!this.#answerRate.take(`${this.#keyNames.get(key)} ${source}`, mono) || !this.#challengeRate.take("", mono)) return this.#drop("rate", source, data.length, false);
        const challenge = this.#challenges.issue({ address, op: "discovery", id: query.id, args: new Uint8Array() });
        const reply = sealFrame("challenge", this.#o.channelId, encodeChallenge({ id: query.id, challenge, ttlMs: Math.round(this.#challenges.ttlMs) }), { key });
        const handled = this.#reply(reply, "challenge", undefined, source, data.length, false);
        return { ...handled, decision: { ...handled.decision, challenged: clock } };
      }
      if (!this.#replay.check(idKey(query.id), mono)) return this.#refuse("replay", "replay", data, source, address);
    }
    // Fresh (or a redeemed retry) and authentic (a captured query replayed keeps costing its sender budget): give the attempt back.
    if (key) {
      this.#budget.refund(address);
      this.#budget.trust(address, mono);
    }
    // Only an authenticated query (or any fresh one on an unsealed channel) reaches this bucket, so forged
    // frames carrying a client's address cannot spend its answers. Sealed: per key and source port, so
    // clients behind one address do not starve each other.
    const bucket = key ? `${this.#keyNames.get(key)} ${source}` : address;
    if (!this.#answerRate.take(bucket, mono)) return this.#drop("rate", source, data.length, false);
    const reply = sealFrame("answer", this.#o.channelId, encodeAnswerJson(query.id, now, this.#description().json), key ? { key } : {});
    return this.#reply(reply, "answer", undefined, source, data.length, false);
  }

  #handleLegacy(legacy: LegacyResponderOptions, data: Uint8Array, source: string, address: string): Handled {
    const mono = this.#mono;
    // AES-CTR on every legacy datagram is pre-authentication work (there is no authentication at all).
    if (!this.#budget.take(address, mono)) return this.#drop("budget", source, data.length, true);
    const text = legacyDecodeText(legacyCrypt(legacy.key, data));
    const req = parseLegacyRequest(text, legacy.magic);
    const refuse = (reason: DropReason, message: string | undefined): Handled => {
      if (this.#o.hidden || message === undefined) return this.#drop(reason, source, data.length, true);
      if (!this.#errorRate.take(`legacy ${address}`, mono)) return this.#drop("rate", source, data.length, true);
      return this.#reply(legacyCrypt(legacy.key, enc.encode(encodeLegacyError(legacy.magic, message))), "error", reason, source, data.length, true);
    };
    // PyDiscover answers a wrong magic or password with the magic in clear; disco stays silent instead.
    if (req.kind === "foreign") return refuse("channel", undefined);
    if (req.kind === "bad-time") return refuse("malformed", "Invalid timestamp");
    const now = this.#o.nowMs();
    if (req.timeMs < now - LEGACY_MAX_AGE_MS || req.timeMs > now + this.#o.maxSkewMs) return refuse("stale", "Timestamp is too old");
    if (!this.#legacyReplay.check(text, mono)) return refuse("replay", undefined);
    // A fresh request in the magic was made with the password: its attempt is given back.
    this.#budget.refund(address);
    if (!this.#answerRate.take(`legacy ${address}`, mono)) return this.#drop("rate", source, data.length, true);
    const described = this.#description();
    // The plaintext answer changes only with the description: encode it once per description.
    described.legacyAnswer ??= enc.encode(encodeLegacyAnswer(legacy.magic, described.services));
    const reply = legacyCrypt(legacy.key, described.legacyAnswer);
    return this.#reply(reply, "answer", undefined, source, data.length, true);
  }
}

/**
 * Bytes as a Map key (cheaper to build and hash than hex, on every query): a 16-byte query id as 8 UTF-16
 * code units in one call (a flat string; adding characters one by one builds a rope the Map must flatten),
 * other lengths one character per byte.
 */
function idKey(b: Uint8Array): string {
  if (b.length === 16) {
    return String.fromCharCode((b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!, (b[4]! << 8) | b[5]!, (b[6]! << 8) | b[7]!, (b[8]! << 8) | b[9]!, (b[10]! << 8) | b[11]!, (b[12]! << 8) | b[13]!, (b[14]! << 8) | b[15]!);
  }
  let s = "";
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]!);
  return s;
}

/** A well-formed header of any type (what decodeHeader would accept) whose length matches the datagram. */
function looksLikeFrame(d: Uint8Array): boolean {
  return (
    d.length >= HEADER_BYTES &&
    d[0] === MARKER[0] &&
    d[1] === MARKER[1] &&
    d[2] === VERSION &&
    d[3]! >= 0x01 &&
    d[3]! <= 0x05 &&
    (d[4]! & ~FLAG_SEALED) === 0 &&
    d[5] === 0 &&
    ((d[26]! << 8) | d[27]!) === d.length - HEADER_BYTES
  );
}

/** {@link looksLikeFrame}, and a query (or a query's retry with a challenge). */
function looksLikeQuery(d: Uint8Array): boolean {
  return (d[3] === FRAME_TYPE.query || d[3] === FRAME_TYPE.retry) && looksLikeFrame(d);
}

/** Options for {@link runResponder}. */
export interface RunResponderOptions {
  /** Stops the loop (and closes the socket). */
  signal: AbortSignal;
  /** Called once per datagram (e.g. for `-v` logging). */
  onDecision?: (d: Decision) => void;
}

/**
 * Answers queries arriving on `socket` until `signal` aborts, then closes the socket. One bad datagram or
 * failed send never ends the loop.
 * @returns when aborted
 */
export async function runResponder(socket: UdpEndpoint, responder: Responder, options: RunResponderOptions): Promise<void> {
  const { signal, onDecision } = options;
  const onAbort = () => void socket.close();
  if (signal.aborted) return socket.close();
  signal.addEventListener("abort", onAbort, { once: true });
  const onSent = (err?: Error) => {
    if (err) responder.countError();
  };
  try {
    // A batch is everything queued since the last read; each datagram is decided synchronously, and the
    // batch's replies leave together (one system call for many). Not awaited: sends report through onSent.
    for await (const batch of socket.batches()) {
      const replies: OutgoingDatagram[] = [];
      for (const d of batch) {
        const { reply, decision } = responder.handle(d.data, `${d.address}:${d.port}`, d.address);
        if (reply) replies.push({ data: reply, port: d.port, address: d.address });
        onDecision?.(decision);
      }
      socket.postMany(replies, onSent);
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
    await socket.close();
  }
}
