import { DiscoError } from "../errors.ts";

/** The base of every control error (callers branch on the two below). */
export abstract class ControlBaseError extends DiscoError {}

/** Bytes that are not a well-formed control frame or payload. */
export class ControlFrameError extends ControlBaseError {
  override name = "ControlFrameError";
  /** Byte offset where the problem was found. */
  readonly offset: number;
  constructor(message: string, offset: number, options?: { cause?: unknown }) {
    super(message, options);
    this.offset = offset;
  }
}

/** Why a client gave up on an operation (the target's status code, or no answer at all). */
export type ControlFailure =
  | "timeout" // nobody answered before the deadline
  | "unsealed" // the target (or this client) has no key: control needs the sealed channel
  | "refused"; // the target answered with a non-ok status

/** A remote operation that did not succeed. `status` is set when the target said why. */
export class ControlError extends ControlBaseError {
  override name = "ControlError";
  readonly failure: ControlFailure;
  /** The target's status name when it answered. */
  readonly status?: string;
  constructor(failure: ControlFailure, message: string, options?: { cause?: unknown; status?: string }) {
    super(message, options);
    this.failure = failure;
    if (options?.status !== undefined) this.status = options.status;
  }
}
