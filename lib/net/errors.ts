import { DiscoError } from "../errors.ts";

/** A network setup problem: unknown interface, address in use, no permission. */
export class NetError extends DiscoError {
  override name = "NetError";
  /** The errno code when the OS reported one (EADDRINUSE, EACCES, ...). */
  readonly code?: string;
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(message, options);
    if (options?.code !== undefined) this.code = options.code;
  }
}
