import { DiscoError } from "../errors.ts";

/** Key material that cannot be used (wrong length, bad encoding). */
export class KeyError extends DiscoError {
  override name = "KeyError";
}

/** A sealed frame that did not authenticate (wrong key, tampered bytes) or names no key of the keyring. */
export class OpenError extends DiscoError {
  override name = "OpenError";
  /** Why: `unknown-key` (no key with that id) or `auth` (tag did not verify). */
  readonly reason: "unknown-key" | "auth";
  constructor(reason: "unknown-key" | "auth", message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}
