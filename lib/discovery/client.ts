/**
 * The client engine: sends one query to every target, then collects every answer until the timeout,
 * drops answers to queries it did not send, and dedupes by host.
 */
import { untilAborted } from "../async/index.ts";
import { OpenError, type Keyring } from "../crypto/index.ts";
import type { UdpEndpoint } from "../net/index.ts";
import { openFrame, sealFrame } from "./envelope.ts";
import { ProtocolError } from "./errors.ts";
import { bytesEqual } from "../bytes.ts";
import { DiscoError } from "../errors.ts";
import { decodeDatagram, MARKER } from "./frame.ts";
import { encodeLegacyRequest, legacyCrypt, legacyDecodeText, parseLegacyAnswer, type LegacyKey } from "./legacy.ts";
import { decodeAnswer, decodeChallenge, decodeError, describeErrorCode, encodeQuery, encodeRetry, QUERY_ID_BYTES, type ErrorCode, type HostInterfaces } from "./payload.ts";

/** Where a query goes. */
export interface Target {
  readonly address: string;
  readonly port: number;
}

/** A host that answered. */
export interface FoundHost {
  /** Its name (for PyDiscover answers, which carry none: the source address). */
  readonly host: string;
  /** Addresses it reported, plus the ones its answers came from. */
  readonly addresses: string[];
  readonly version?: string;
  readonly uptimeSec?: number;
  readonly services: Readonly<Record<string, unknown>>;
  readonly interfaces: HostInterfaces;
  /** Milliseconds from sending the query to its first answer. */
  readonly rttMs: number;
  /** "address:port" of its first answer. */
  readonly from: string;
  readonly legacy: boolean;
}

/** A server that refused the query with an error frame (hidden mode off). */
export interface Refusal {
  readonly from: string;
  readonly code: ErrorCode | "unknown" | "legacy";
  /** For people. */
  readonly message: string;
}

/** Why the client ignored a datagram. */
export type ClientDropReason = "malformed" | "not-answer" | "channel" | "key" | "auth" | "unknown-id";

/** Something the client saw, for `-v`. */
export type ClientEvent =
  | { readonly type: "sent"; readonly target: Target; readonly bytes: number }
  | { readonly type: "send-failed"; readonly target: Target; readonly message: string }
  | { readonly type: "answer"; readonly from: string; readonly host: string; readonly rttMs: number; readonly duplicate: boolean }
  | { readonly type: "refused"; readonly from: string; readonly code: string; readonly message: string }
  /** A server could not judge the query by its time (a clock at 1970, or outside max_skew) and sent a challenge; the client answered it. */
  | { readonly type: "challenge"; readonly from: string; readonly rttMs: number }
  | { readonly type: "dropped"; readonly from: string; readonly reason: ClientDropReason };

/** PyDiscover compatibility for a client. */
export interface LegacyClientOptions {
  readonly magic: string;
  /** From importLegacyKey(password), or undefined without a password. */
  readonly key?: LegacyKey;
}

/** Options for {@link discover}. */
export interface DiscoverOptions {
  /** Where to send the query (broadcast, multicast or unicast addresses). */
  targets: readonly Target[];
  /** The channel id (ignored in legacy mode). */
  channelId: Uint8Array;
  /** Keys; undefined sends the query unsealed. */
  keyring?: Keyring;
  /** How long to collect answers, in ms. */
  timeoutMs: number;
  /** Ends collection early. */
  signal?: AbortSignal;
  /** Speak PyDiscover instead. */
  legacy?: LegacyClientOptions;
  /** Called for each thing seen. */
  onEvent?: (e: ClientEvent) => void;
  /** Wall clock (unix ms) put in the query. @default Date.now */
  nowMs?: () => number;
  /** Monotonic clock for round-trip times. @default performance.now */
  monotonicMs?: () => number;
}

/** What {@link discover} found. */
export interface DiscoverResult {
  /** Every host that answered, in the order of their first answer. */
  readonly hosts: FoundHost[];
  readonly refusals: Refusal[];
  /** Targets the query reached the OS for. */
  readonly sent: number;
  /** Targets the OS refused, with why. */
  readonly sendFailures: { readonly target: Target; readonly message: string }[];
  /** Datagrams ignored, by reason. */
  readonly dropped: Partial<Record<ClientDropReason, number>>;
}

const enc = new TextEncoder();

/**
 * Queries `targets` from `socket` and collects every answer until the timeout.
 * @param socket a bound socket (with broadcast allowed when targets are broadcast addresses); not closed here
 * @returns the hosts found (deduplicated by host name), refusals and counts
 */
export async function discover(socket: UdpEndpoint, options: DiscoverOptions): Promise<DiscoverResult> {
  const now = options.nowMs ?? Date.now;
  const mono = options.monotonicMs ?? (() => performance.now());
  const emit = options.onEvent ?? (() => undefined);
  const id = crypto.getRandomValues(new Uint8Array(QUERY_ID_BYTES));
  const nonce = crypto.getRandomValues(new Uint8Array(12));
  const legacy = options.legacy;
  const query = legacy
    ? legacyCrypt(legacy.key, enc.encode(encodeLegacyRequest(legacy.magic, now())))
    : sealFrame("query", options.channelId, encodeQuery({ id, timeMs: now() }), {
        nonce,
        ...(options.keyring && { key: options.keyring.keys[0]! }),
      });

  const hosts = new Map<string, FoundHost & { addresses: string[] }>();
  const challenged = new Set<string>();
  const refusals: Refusal[] = [];
  const dropped: Partial<Record<ClientDropReason, number>> = {};
  const sendFailures: { target: Target; message: string }[] = [];
  const drop = (from: string, reason: ClientDropReason) => {
    dropped[reason] = (dropped[reason] ?? 0) + 1;
    emit({ type: "dropped", from, reason });
  };
  const refuse = (from: string, code: Refusal["code"], message: string) => {
    refusals.push({ from, code, message });
    emit({ type: "refused", from, code, message });
  };

  // Arm the deadline before sending, so answers to the first target are timed from their own send.
  const deadline = AbortSignal.any([AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])]);
  const sentAt = mono();
  let sent = 0;
  for (const target of options.targets) {
    try {
      await socket.send(query, target.port, target.address);
      sent++;
      emit({ type: "sent", target, bytes: query.length });
    } catch (err) {
      if (!(err instanceof DiscoError)) throw err;
      const message = err.message;
      sendFailures.push({ target, message });
      emit({ type: "send-failed", target, message });
    }
  }

  const add = (found: FoundHost & { addresses: string[] }, sourceAddress: string) => {
    const known = hosts.get(found.host);
    if (known) {
      if (!known.addresses.includes(sourceAddress)) known.addresses.push(sourceAddress);
      emit({ type: "answer", from: found.from, host: found.host, rttMs: found.rttMs, duplicate: true });
      return;
    }
    if (!found.addresses.includes(sourceAddress)) found.addresses.push(sourceAddress);
    hosts.set(found.host, found);
    emit({ type: "answer", from: found.from, host: found.host, rttMs: found.rttMs, duplicate: false });
  };

  // A payload that does not decode throws a DiscoError: the receive loop drops it as "malformed".
  const handle = async (data: Uint8Array, address: string, port: number): Promise<void> => {
    const from = `${address}:${port}`;
    const rttMs = Math.round((mono() - sentAt) * 10) / 10;
    if (legacy) {
      if (data[0] === MARKER[0] && data[1] === MARKER[1]) return drop(from, "not-answer");
      let parsed;
      try {
        parsed = parseLegacyAnswer(legacyDecodeText(legacyCrypt(legacy.key, data)), legacy.magic);
      } catch (err) {
        if (!(err instanceof DiscoError)) throw err;
        return drop(from, "auth");
      }
      if (parsed.kind === "error") return refuse(from, "legacy", parsed.message);
      add({ host: address, addresses: [], services: parsed.services, interfaces: {}, rttMs, from, legacy: true }, address);
      return;
    }
    const d = decodeDatagram(data);
    if (d.kind === "error") return drop(from, "malformed");
    const frame = d.value;
    if (frame.header.type === "error") {
      const e = decodeError(frame.body);
      if (!bytesEqual(e.nonce, nonce)) return drop(from, "unknown-id");
      return refuse(from, e.code, describeErrorCode(e.code));
    }
    if (frame.header.type !== "answer" && frame.header.type !== "challenge") return drop(from, "not-answer");
    if (!bytesEqual(frame.header.channelId, options.channelId)) return drop(from, "channel");
    let payload;
    try {
      payload = openFrame(frame, options.keyring).payload;
    } catch (err) {
      if (err instanceof OpenError && err.reason === "auth") return drop(from, "auth");
      if (err instanceof OpenError || err instanceof ProtocolError) return drop(from, "key");
      throw err;
    }
    if (frame.header.type === "challenge") {
      // One extra round trip, once per server: the query again, with the server's challenge.
      const c = decodeChallenge(payload);
      if (!bytesEqual(c.id, id) || !options.keyring || challenged.has(from)) return drop(from, "unknown-id");
      challenged.add(from);
      emit({ type: "challenge", from, rttMs });
      const retry = sealFrame("retry", options.channelId, encodeRetry({ id, timeMs: now(), challenge: c.challenge }), { key: options.keyring.keys[0]! });
      await socket.send(retry, port, address).catch(() => undefined);
      return;
    }
    const answer = decodeAnswer(payload);
    if (!bytesEqual(answer.id, id)) return drop(from, "unknown-id");
    const desc = answer.description;
    add(
      {
        host: desc.host,
        addresses: [...desc.addresses],
        version: desc.version,
        uptimeSec: desc.uptimeSec,
        services: desc.services,
        interfaces: desc.interfaces,
        rttMs,
        from,
        legacy: false,
      },
      address,
    );
  };

  if (sent > 0) {
    const it = socket[Symbol.asyncIterator]();
    for (;;) {
      // One short-lived wait per datagram: racing a promise that lives until the deadline kept every
      // datagram of a flood alive until then.
      const r = await untilAborted(it.next(), deadline);
      if (r === undefined || r.done) break;
      try {
        await handle(r.value.data, r.value.address, r.value.port);
      } catch (err) {
        if (!(err instanceof DiscoError)) throw err;
        drop(`${r.value.address}:${r.value.port}`, "malformed");
      }
    }
  }
  return { hosts: [...hosts.values()], refusals, sent, sendFailures, dropped };
}
