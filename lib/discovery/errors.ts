import { DiscoError } from "../errors.ts";

/** The base of every discovery error. */
export class DiscoveryError extends DiscoError {
  override name = "DiscoveryError";
}

/** Bytes that are not a well-formed discovery frame (too short, bad version, bad length, trailing bytes). */
export class FrameError extends DiscoveryError {
  override name = "FrameError";
  /** Byte offset (from the start of the frame) where the problem was found. */
  readonly offset: number;
  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super(message, options);
    this.offset = offset;
  }
}

/** Why a well-formed frame was refused. */
export type ProtocolReason =
  | "unsealed" // a keyed node got an unsealed frame
  | "sealed" // a keyless node got a sealed frame
  | "payload" // the (opened) payload does not have the expected shape
  | "legacy"; // a PyDiscover datagram that does not parse

/** A well-formed frame whose content breaks the protocol (wrong sealing, bad payload). */
export class ProtocolError extends DiscoveryError {
  override name = "ProtocolError";
  readonly reason: ProtocolReason;
  constructor(reason: ProtocolReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}
