/**
 * The control client: sends one request to every target (unicast or broadcast), answers each target's
 * challenge with the command (once per target), and collects every result until the timeout, or until the
 * first result when it expects exactly one target. Reads get their result straight away.
 */
import { untilAborted } from "../async/index.ts";
import { bytesEqual } from "../bytes.ts";
import { OpenError, randomNonce, sealingKey, type Keyring } from "../crypto/index.ts";
import type { UdpEndpoint } from "../net/index.ts";
import { openControlFrame, sealControlFrame } from "./envelope.ts";
import { decodeControlFrame, type ControlFrame } from "./frame.ts";
import {
  decodeChallenge,
  decodeRefusal,
  decodeResult,
  encodeCommand,
  encodeRequest,
  REQUEST_ID_BYTES,
  type ControlOp,
  type RefusalCode,
  type ResultStatus,
} from "./payload.ts";

/** Where a request goes. */
export interface ControlTarget {
  readonly address: string;
  readonly port: number;
}

/** One target's result. */
export interface ControlAnswer {
  /** "address:port" it came from. */
  readonly from: string;
  readonly status: ResultStatus;
  readonly body: Readonly<Record<string, unknown>>;
  /** Round trips it took: 1 for reads, 2 for challenged operations. */
  readonly roundTrips: 1 | 2;
  /** Milliseconds from sending the request to this result. */
  readonly ms: number;
}

/** A target that refused with an unsealed refusal (it has no key, or hidden mode is off). */
export interface ControlRefusal {
  readonly from: string;
  readonly code: RefusalCode;
  readonly message: string;
}

/** Something the client saw, for `-v`. */
export type ControlClientEvent =
  | { readonly type: "sent"; readonly target: ControlTarget; readonly bytes: number }
  | { readonly type: "send-failed"; readonly target: ControlTarget; readonly message: string }
  | { readonly type: "challenge"; readonly from: string; readonly ttlMs: number; readonly ms: number }
  | { readonly type: "command"; readonly to: string; readonly bytes: Uint8Array }
  | { readonly type: "result"; readonly from: string; readonly status: ResultStatus; readonly ms: number }
  | { readonly type: "refused"; readonly from: string; readonly code: RefusalCode }
  | { readonly type: "ignored"; readonly from: string; readonly reason: string };

/** Options for {@link runControl}. */
export interface RunControlOptions {
  readonly targets: readonly ControlTarget[];
  /** deriveChannelId(magic). */
  readonly channelId: Uint8Array;
  /** The keyring of purpose "control". */
  readonly keyring: Keyring;
  /** How long to collect results, in ms. */
  readonly timeoutMs: number;
  /** Stop at the first result (a unicast to one host). @default false */
  readonly first?: boolean;
  readonly signal?: AbortSignal;
  readonly onEvent?: (e: ControlClientEvent) => void;
  /** Monotonic clock for timings. @default performance.now */
  readonly monotonicMs?: () => number;
}

/** What {@link runControl} collected. */
export interface RunControlResult {
  /** Every target's result, in arrival order (one per source). */
  readonly answers: ControlAnswer[];
  readonly refusals: ControlRefusal[];
  /** Targets the OS refused to send to. */
  readonly sendFailures: { readonly target: ControlTarget; readonly message: string }[];
}

const REFUSAL_TEXT: Record<RefusalCode, string> = {
  malformed: "the target could not parse the request (a different disco version?)",
  channel: "the target is on another channel (magic)",
  key: "the target does not have this key (or expects a sealed frame)",
  auth: "the request did not authenticate on the target (another key with the same id?)",
  unsealed: "the target has no key: remote control is only served on a sealed channel (set [discovery] key_file or password_file there)",
};

/**
 * Runs one operation against `targets` from `socket`.
 * @param socket a bound socket (broadcast allowed for broadcast targets), for this call only: it is not
 *   closed here, but one read of it may still be pending when this returns (close it, don't reuse it)
 * @param op the operation
 * @param args its encoded arguments (encodeSetArgs, encodeQueryArgs, ...)
 * @returns the results, refusals and send failures (empty results: nobody answered in time)
 */
export async function runControl(socket: UdpEndpoint, op: ControlOp, args: Uint8Array, o: RunControlOptions): Promise<RunControlResult> {
  const mono = o.monotonicMs ?? (() => performance.now());
  const emit = o.onEvent ?? (() => undefined);
  const key = sealingKey(o.keyring);
  const id = crypto.getRandomValues(new Uint8Array(REQUEST_ID_BYTES));
  const nonce = randomNonce();
  const request = sealControlFrame("request", o.channelId, key, encodeRequest({ op, id, args }), nonce);
  const answers = new Map<string, ControlAnswer>();
  const refusals: ControlRefusal[] = [];
  const commanded = new Set<string>();
  const sendFailures: { target: ControlTarget; message: string }[] = [];
  const started = mono();
  const elapsed = () => Math.round((mono() - started) * 10) / 10;

  const deadline = AbortSignal.timeout(o.timeoutMs);
  const stop = o.signal ? AbortSignal.any([o.signal, deadline]) : deadline;
  const done = new AbortController();
  const ended = AbortSignal.any([stop, done.signal]);
  const iterator = socket[Symbol.asyncIterator]();
  for (const t of o.targets) {
    try {
      await socket.send(request, t.port, t.address);
      emit({ type: "sent", target: t, bytes: request.length });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      sendFailures.push({ target: t, message });
      emit({ type: "send-failed", target: t, message });
    }
  }

  while (!ended.aborted) {
    // One short-lived wait per datagram: racing a long-lived promise would keep every datagram alive.
    const next = await untilAborted(iterator.next(), ended);
    if (next === undefined || next.done) break;
    const d = next.value;
    const from = `${d.address}:${d.port}`;
    let frame: ControlFrame;
    try {
      frame = decodeControlFrame(d.data);
    } catch {
      emit({ type: "ignored", from, reason: "malformed" });
      continue;
    }
    if (!bytesEqual(frame.channelId, o.channelId)) {
      emit({ type: "ignored", from, reason: "channel" });
      continue;
    }
    if (frame.type === "refusal" && !frame.sealed) {
      try {
        const r = decodeRefusal(frame.body);
        if (!bytesEqual(r.nonce, nonce) || refusals.some((x) => x.from === from)) continue;
        refusals.push({ from, code: r.code, message: REFUSAL_TEXT[r.code] });
        emit({ type: "refused", from, code: r.code });
        if (o.first) done.abort();
      } catch {
        emit({ type: "ignored", from, reason: "malformed" });
      }
      continue;
    }
    if (!frame.sealed || (frame.type !== "challenge" && frame.type !== "result")) {
      emit({ type: "ignored", from, reason: "not-for-a-client" });
      continue;
    }
    let payload: Uint8Array;
    try {
      payload = openControlFrame(frame, o.keyring).payload;
    } catch (err) {
      emit({ type: "ignored", from, reason: err instanceof OpenError ? err.reason : "malformed" });
      continue;
    }
    try {
      if (frame.type === "challenge") {
        const c = decodeChallenge(payload);
        if (!bytesEqual(c.id, id)) {
          emit({ type: "ignored", from, reason: "unknown-id" });
          continue;
        }
        emit({ type: "challenge", from, ttlMs: c.ttlMs, ms: elapsed() });
        if (commanded.has(from)) continue;
        commanded.add(from);
        const command = sealControlFrame("command", o.channelId, key, encodeCommand({ op, id, challenge: c.challenge, args }));
        emit({ type: "command", to: from, bytes: command });
        await socket.send(command, d.port, d.address).catch((err: unknown) => {
          sendFailures.push({ target: { address: d.address, port: d.port }, message: err instanceof Error ? err.message : String(err) });
        });
        continue;
      }
      const r = decodeResult(payload);
      if (!bytesEqual(r.id, id)) {
        emit({ type: "ignored", from, reason: "unknown-id" });
        continue;
      }
      if (answers.has(from)) continue;
      const ms = elapsed();
      answers.set(from, { from, status: r.status, body: r.body, roundTrips: commanded.has(from) ? 2 : 1, ms });
      emit({ type: "result", from, status: r.status, ms });
      if (o.first) done.abort();
    } catch {
      emit({ type: "ignored", from, reason: "malformed" });
    }
  }
  return { answers: [...answers.values()], refusals, sendFailures };
}
