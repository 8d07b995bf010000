/**
 * The control protocol, pure: JSON lines over the daemon's unix socket (docs/DAEMON.md). A client writes one
 * request per line, `{"request":"status"}`, optionally with an `id` that the response echoes; the daemon
 * answers each with one line, `{"ok":true,"result":...}` or `{"ok":false,"error":{"code":..,"message":..}}`.
 * A `hosts` request with `"watch":true` is followed by one `{"event":...}` line per membership event until
 * the client closes.
 */
import { ControlProtocolError } from "./errors.ts";

/** Longest line either side accepts (a status with many tasks and hosts fits many times over). */
export const MAX_CONTROL_LINE_BYTES = 1_048_576;

/** Requests the daemon understands. */
export const CONTROL_REQUESTS = ["status", "hosts", "reload"] as const;

/** One of {@link CONTROL_REQUESTS}. */
export type ControlRequestName = (typeof CONTROL_REQUESTS)[number];

/** A request. */
export interface ControlRequest {
  readonly request: ControlRequestName;
  /** Echoed in the response. */
  readonly id?: string | number;
  /** `hosts` only: stream membership events after the table. */
  readonly watch?: boolean;
}

/** Why a request was not answered. */
export type ControlErrorCode = "malformed" | "unknown-request" | "too-long" | "timeout" | "busy" | "internal";

/** A response line. */
export type ControlResponse =
  | { readonly ok: true; readonly id?: string | number; readonly result: unknown }
  | { readonly ok: false; readonly id?: string | number; readonly error: { readonly code: ControlErrorCode; readonly message: string } };

/** A line after a watching `hosts` response. */
export interface ControlEvent {
  readonly event: unknown;
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/** Encodes one request line (with its newline). */
export function encodeRequest(r: ControlRequest): Uint8Array {
  return enc.encode(`${JSON.stringify(r)}\n`);
}

/** Encodes one response (or event) line (with its newline). */
export function encodeResponse(r: ControlResponse | ControlEvent): Uint8Array {
  return enc.encode(`${JSON.stringify(r)}\n`);
}

/**
 * Finds the next complete line in `bytes` from `offset`.
 * @returns the line's bytes (without the newline) and the offset after it, or undefined when no newline
 *   has arrived yet
 * @throws {ControlProtocolError} when more than {@link MAX_CONTROL_LINE_BYTES} arrive without a newline
 */
export function decodeLine(bytes: Uint8Array, offset = 0, maxBytes = MAX_CONTROL_LINE_BYTES): { line: Uint8Array; next: number } | undefined {
  const end = bytes.indexOf(0x0a, offset);
  if (end < 0) {
    if (bytes.length - offset > maxBytes) throw new ControlProtocolError(`a line longer than ${maxBytes} bytes`, { code: "too-long" });
    return undefined;
  }
  if (end - offset > maxBytes) throw new ControlProtocolError(`a line longer than ${maxBytes} bytes`, { code: "too-long" });
  return { line: bytes.subarray(offset, end), next: end + 1 };
}

function parseJson(line: Uint8Array): unknown {
  let text: string;
  try {
    text = dec.decode(line);
  } catch (err) {
    throw new ControlProtocolError("not UTF-8", { cause: err, code: "malformed" });
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ControlProtocolError("not JSON", { cause: err, code: "malformed" });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is string | number => (typeof v === "string" && v.length <= 256) || (typeof v === "number" && Number.isFinite(v));

/**
 * Decodes one request line.
 * @throws {ControlProtocolError} with code "malformed" or "unknown-request" (its `id`, when readable)
 */
export function decodeRequest(line: Uint8Array): ControlRequest {
  const v = parseJson(line);
  if (!isObject(v)) throw new ControlProtocolError("a request is a JSON object", { code: "malformed" });
  const id = isId(v["id"]) ? v["id"] : undefined;
  const name = v["request"];
  if (typeof name !== "string") throw new ControlProtocolError('a request needs "request": a string', { code: "malformed", ...(id !== undefined && { id }) });
  if (!(CONTROL_REQUESTS as readonly string[]).includes(name)) {
    throw new ControlProtocolError(`unknown request ${JSON.stringify(name.slice(0, 64))} (known: ${CONTROL_REQUESTS.join(", ")})`, { code: "unknown-request", ...(id !== undefined && { id }) });
  }
  if (v["id"] !== undefined && id === undefined) throw new ControlProtocolError('"id" must be a string (at most 256 characters) or a number', { code: "malformed" });
  if (v["watch"] !== undefined && typeof v["watch"] !== "boolean") throw new ControlProtocolError('"watch" must be true or false', { code: "malformed", ...(id !== undefined && { id }) });
  return { request: name as ControlRequestName, ...(id !== undefined && { id }), ...(v["watch"] === true && { watch: true }) };
}

/**
 * Decodes one response line (what a client reads).
 * @throws {ControlProtocolError} when the line is not a response
 */
export function decodeResponse(line: Uint8Array): ControlResponse {
  const v = parseJson(line);
  if (!isObject(v) || typeof v["ok"] !== "boolean") throw new ControlProtocolError('a response is a JSON object with "ok"', { code: "malformed" });
  const id = isId(v["id"]) ? { id: v["id"] } : {};
  if (v["ok"]) return { ok: true, ...id, result: v["result"] };
  const e = v["error"];
  if (!isObject(e) || typeof e["code"] !== "string" || typeof e["message"] !== "string") throw new ControlProtocolError('an error response needs "error": {code, message}', { code: "malformed" });
  return { ok: false, ...id, error: { code: e["code"] as ControlErrorCode, message: e["message"] } };
}

/**
 * Decodes one event line that follows a watching `hosts` response.
 * @throws {ControlProtocolError} when the line is not an event
 */
export function decodeEvent(line: Uint8Array): ControlEvent {
  const v = parseJson(line);
  if (!isObject(v) || !("event" in v)) throw new ControlProtocolError('an event line is a JSON object with "event"', { code: "malformed" });
  return { event: v["event"] };
}

/** The error response for a request that could not be decoded. */
export function errorResponse(err: ControlProtocolError): ControlResponse {
  return { ok: false, ...(err.id !== undefined && { id: err.id }), error: { code: err.code, message: err.message } };
}
