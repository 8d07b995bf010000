/**
 * Errors raised by the ZMTP codec, sessions and sockets. Untrusted bytes produce {@link FrameError} or
 * {@link ProtocolError}; a session that meets one disconnects the peer and counts it, never ends the socket.
 */
import { DiscoError } from "../errors.ts";

/** Root of every ZMTP error. */
export class ZmtpError extends DiscoError {
  override name = "ZmtpError";
}

/** Bytes that cannot be a ZMTP greeting or frame (bad signature, reserved flags, oversized frame). */
export class FrameError extends ZmtpError {
  override name = "FrameError";
  /** Offset in the input where the problem was found. */
  readonly offset: number;
  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super(message, options);
    this.offset = offset;
  }
}

/** A well-formed frame that breaks the protocol (bad command, wrong socket type, unknown mechanism). */
export class ProtocolError extends ZmtpError {
  override name = "ProtocolError";
  /** Machine-readable reason a caller or counter can branch on. */
  readonly reason: ProtocolErrorReason;
  /** The peer's mechanism, for `reason === "mechanism"`. */
  readonly mechanism?: string;
  constructor(message: string, reason: ProtocolErrorReason, options?: { cause?: unknown; mechanism?: string }) {
    super(message, options);
    this.reason = reason;
    if (options?.mechanism !== undefined) this.mechanism = options.mechanism;
  }
}

/** Why a peer broke the protocol. */
export type ProtocolErrorReason =
  | "version"
  | "mechanism"
  | "command"
  | "metadata"
  | "socket-type"
  | "sequence"
  | "too-large"
  | "timeout"
  | "peer-error"
  /** A connection refused at `maxConnections` / `maxConnectionsPerAddress` (counted in `stats.refused`). */
  | "over-limit"
  /** A silent peer closed to make room for a newcomer at a connection limit (counted in `stats.evicted`). */
  | "evicted";

/** Shared by the errors about one endpoint: carries it as given. */
abstract class EndpointBoundError extends ZmtpError {
  /** The endpoint as given. */
  readonly endpoint: string;
  constructor(message: string, endpoint: string, options?: { cause?: unknown }) {
    super(message, options);
    this.endpoint = endpoint;
  }
}

/** An endpoint string that is not `tcp://host:port` or `ipc://path`. */
export class EndpointError extends EndpointBoundError {
  override name = "EndpointError";
}

/** A bind or connect that the operating system refused (address in use, permission, no such path). */
export class TransportError extends EndpointBoundError {
  override name = "TransportError";
  /** errno code when known (EADDRINUSE, EACCES, ...). */
  readonly code?: string;
  constructor(message: string, endpoint: string, options?: { cause?: unknown; code?: string }) {
    super(message, endpoint, options);
    if (options?.code !== undefined) this.code = options.code;
  }
}

/** Use of a socket after `close()`. */
export class ClosedError extends ZmtpError {
  override name = "ClosedError";
}
