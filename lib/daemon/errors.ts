import { DiscoError, errnoMeaning } from "../errors.ts";
import { NetError } from "../net/index.ts";
import { TransportError } from "../zmtp/index.ts";

/**
 * The base of every daemon error; thrown as itself when the daemon cannot start or keep running (nothing
 * enabled, or every task keeps failing).
 */
export class DaemonError extends DiscoError {
  override name = "DaemonError";
}

/** A task of the daemon failed (not aborted); carries the task's name and its error as `cause`. */
export class TaskError extends DaemonError {
  override name = "TaskError";
  readonly task: string;
  constructor(task: string, options?: { cause?: unknown }) {
    super(`task '${task}' failed: ${errorMessage(options?.cause)}`, options);
    this.task = task;
  }
}

/** A control-socket request or response that is not what the protocol says. */
export class ControlProtocolError extends DaemonError {
  override name = "ControlProtocolError";
  /** What the response's error says. */
  readonly code: "malformed" | "unknown-request" | "too-long" | "timeout" | "internal";
  /** The request's id, when it could be read. */
  readonly id?: string | number;
  constructor(message: string, options: { cause?: unknown; code: ControlProtocolError["code"]; id?: string | number }) {
    super(message, options);
    this.code = options.code;
    if (options.id !== undefined) this.id = options.id;
  }
}

/** The control socket could not be used: no daemon answers, or it answered something unusable. */
export class ControlError extends DaemonError {
  override name = "ControlError";
  /** The errno when the socket could not be reached (ENOENT, ECONNREFUSED, EACCES, ...). */
  readonly errno?: string;
  constructor(message: string, options?: { cause?: unknown; errno?: string }) {
    super(message, options);
    if (options?.errno !== undefined) this.errno = options.errno;
  }
}

/**
 * An error's message for logs and status (no stack, no class name for plain errors). A failed bind or
 * connect also says what its errno means ("cannot bind UDP 0.0.0.0:9000: EADDRINUSE (address in use)").
 */
export function errorMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = err instanceof NetError || err instanceof TransportError ? err.code : undefined;
  const meaning = code !== undefined ? errnoMeaning(code) : undefined;
  return meaning !== undefined ? `${err.message} (${meaning})` : err.message;
}
