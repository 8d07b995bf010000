/** Errors of the HTTP server. */
import { DiscoError } from "../errors.ts";

/** The server could not start or serve (e.g. the port is taken). */
export class HttpError extends DiscoError {
  override name = "HttpError";
  /** The listen address asked for, when the error is about binding it. */
  readonly listen?: string;
  constructor(message: string, options: { cause?: unknown; listen?: string } = {}) {
    super(message, options);
    if (options.listen !== undefined) this.listen = options.listen;
  }
}
