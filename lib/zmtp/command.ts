/**
 * ZMTP commands (RFC 23 "Commands", RFC 37 for PING/PONG/SUBSCRIBE/CANCEL). A command is one frame with the
 * COMMAND flag whose body is:
 *
 * ```
 * name-size(1) name(name-size) data(...)
 *
 * READY      data = metadata*: property-name-size(1) property-name value-size(4, BE) value
 * ERROR      data = reason-size(1) reason
 * PING       data = ttl(2, BE, tenths of a second) context(0..16)
 * PONG       data = context(0..16)            (echoes the PING's context)
 * SUBSCRIBE  data = topic                     (ZMTP 3.1; 3.0 peers use a message 0x01 + topic)
 * CANCEL     data = topic                     (ZMTP 3.1; 3.0 peers use a message 0x00 + topic)
 * ```
 */
import { FrameError, ProtocolError } from "./errors.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** A metadata property of READY: name (ASCII, case-insensitive) and raw value. */
export type Metadata = ReadonlyArray<readonly [name: string, value: Uint8Array]>;

/** A decoded command, discriminated on `type`. */
export type Command =
  | { readonly type: "READY"; readonly metadata: Metadata }
  | { readonly type: "ERROR"; readonly reason: string }
  | { readonly type: "PING"; readonly ttlDs: number; readonly context: Uint8Array }
  | { readonly type: "PONG"; readonly context: Uint8Array }
  | { readonly type: "SUBSCRIBE"; readonly topic: Uint8Array }
  | { readonly type: "CANCEL"; readonly topic: Uint8Array }
  | { readonly type: "UNKNOWN"; readonly name: string; readonly data: Uint8Array };

/** Largest PING context (RFC 37). */
export const PING_CONTEXT_MAX = 16;

const PROPERTY_NAME = /^[A-Za-z0-9\-_.+]{1,255}$/;

function body(name: string, ...data: Uint8Array[]): Uint8Array {
  let size = 1 + name.length;
  for (const d of data) size += d.length;
  const out = new Uint8Array(size);
  out[0] = name.length;
  for (let i = 0; i < name.length; i++) out[1 + i] = name.charCodeAt(i);
  let o = 1 + name.length;
  for (const d of data) {
    out.set(d, o);
    o += d.length;
  }
  return out;
}

/**
 * Encodes a command body (put it in a frame with `command: true`).
 * @throws {RangeError} on a property name outside `[A-Za-z0-9-_.+]{1,255}`, an ERROR reason over 255
 * bytes, or a PING/PONG context over 16 bytes
 */
export function encodeCommand(command: Exclude<Command, { type: "UNKNOWN" }> | { type: "UNKNOWN"; name: string; data: Uint8Array }): Uint8Array {
  switch (command.type) {
    case "READY":
      return body("READY", encodeMetadata(command.metadata));
    case "ERROR": {
      const reason = enc.encode(command.reason);
      if (reason.length > 255) throw new RangeError("an ERROR reason is at most 255 bytes");
      return body("ERROR", Uint8Array.of(reason.length), reason);
    }
    case "PING": {
      if (command.context.length > PING_CONTEXT_MAX) throw new RangeError("a PING context is at most 16 bytes");
      const ttl = Math.max(0, Math.min(0xffff, Math.floor(command.ttlDs)));
      return body("PING", Uint8Array.of(ttl >>> 8, ttl & 0xff), command.context);
    }
    case "PONG":
      if (command.context.length > PING_CONTEXT_MAX) throw new RangeError("a PONG context is at most 16 bytes");
      return body("PONG", command.context);
    case "SUBSCRIBE":
      return body("SUBSCRIBE", command.topic);
    case "CANCEL":
      return body("CANCEL", command.topic);
    case "UNKNOWN":
      if (command.name.length < 1 || command.name.length > 255) throw new RangeError("a command name is 1 to 255 bytes");
      return body(command.name, command.data);
  }
}

/**
 * Encodes READY metadata.
 * @throws {RangeError} on a bad property name
 */
export function encodeMetadata(metadata: Metadata): Uint8Array {
  let size = 0;
  for (const [name, value] of metadata) {
    if (!PROPERTY_NAME.test(name)) throw new RangeError(`bad metadata property name ${JSON.stringify(name)}`);
    size += 1 + name.length + 4 + value.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const [name, value] of metadata) {
    out[o++] = name.length;
    for (let i = 0; i < name.length; i++) out[o++] = name.charCodeAt(i);
    view.setUint32(o, value.length);
    o += 4;
    out.set(value, o);
    o += value.length;
  }
  return out;
}

/**
 * Decodes READY metadata.
 * @throws {ProtocolError} `metadata` on a truncated property or a bad name
 */
export function decodeMetadata(data: Uint8Array): Metadata {
  const out: [string, Uint8Array][] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let o = 0;
  while (o < data.length) {
    const nameSize = data[o]!;
    if (nameSize === 0 || o + 1 + nameSize + 4 > data.length) throw new ProtocolError("truncated READY metadata", "metadata");
    let name = "";
    for (let i = 0; i < nameSize; i++) name += String.fromCharCode(data[o + 1 + i]!);
    if (!PROPERTY_NAME.test(name)) throw new ProtocolError(`bad READY property name ${JSON.stringify(name)}`, "metadata");
    o += 1 + nameSize;
    const valueSize = view.getUint32(o);
    o += 4;
    if (o + valueSize > data.length) throw new ProtocolError(`READY property ${name} runs past the command`, "metadata");
    out.push([name, data.slice(o, o + valueSize)]);
    o += valueSize;
  }
  return out;
}

/**
 * Finds a metadata property by name, ignoring case (RFC 23: property names are case-insensitive).
 * @returns the value as text, or undefined
 */
export function metadataText(metadata: Metadata, name: string): string | undefined {
  const want = name.toLowerCase();
  for (const [k, v] of metadata) if (k.toLowerCase() === want) return dec.decode(v);
  return undefined;
}

/**
 * Decodes a command body.
 * @throws {FrameError} on an empty body or a name running past it
 * @throws {ProtocolError} `command` on a malformed known command, `metadata` on bad READY metadata
 */
export function decodeCommand(bytes: Uint8Array): Command {
  if (bytes.length < 1) throw new FrameError("empty command frame", 0);
  const nameSize = bytes[0]!;
  if (nameSize === 0 || 1 + nameSize > bytes.length) throw new FrameError("command name runs past the frame", 0);
  let name = "";
  for (let i = 0; i < nameSize; i++) name += String.fromCharCode(bytes[1 + i]!);
  const data = bytes.subarray(1 + nameSize);
  switch (name) {
    case "READY":
      return { type: "READY", metadata: decodeMetadata(data) };
    case "ERROR": {
      if (data.length < 1 || 1 + data[0]! > data.length) throw new ProtocolError("malformed ERROR command", "command");
      return { type: "ERROR", reason: dec.decode(data.subarray(1, 1 + data[0]!)) };
    }
    case "PING": {
      if (data.length < 2 || data.length > 2 + PING_CONTEXT_MAX) throw new ProtocolError("malformed PING command", "command");
      return { type: "PING", ttlDs: (data[0]! << 8) | data[1]!, context: data.slice(2) };
    }
    case "PONG":
      if (data.length > PING_CONTEXT_MAX) throw new ProtocolError("malformed PONG command", "command");
      return { type: "PONG", context: data.slice() };
    case "SUBSCRIBE":
      return { type: "SUBSCRIBE", topic: data.slice() };
    case "CANCEL":
      return { type: "CANCEL", topic: data.slice() };
    default:
      return { type: "UNKNOWN", name, data: data.slice() };
  }
}

/**
 * Encodes a ZMTP 3.0 subscription message body: 0x01 + topic (subscribe) or 0x00 + topic (cancel).
 * Also the form an XSUB application sends and an XPUB application receives.
 */
export function encodeSubscription(subscribe: boolean, topic: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + topic.length);
  out[0] = subscribe ? 1 : 0;
  out.set(topic, 1);
  return out;
}

/**
 * Reads a one-frame message as a ZMTP 3.0 subscription.
 * @returns `{ subscribe, topic }`, or undefined when the first byte is neither 0 nor 1 (not a subscription)
 */
export function decodeSubscription(body: Uint8Array): { subscribe: boolean; topic: Uint8Array } | undefined {
  if (body.length < 1 || body[0]! > 1) return undefined;
  return { subscribe: body[0] === 1, topic: body.subarray(1) };
}
