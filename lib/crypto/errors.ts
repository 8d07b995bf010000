import { DiscoError } from "../errors.ts";

/** The base of every crypto error. */
export class CryptoError extends DiscoError {
  override name = "CryptoError";
}

/** Key material that cannot be used (wrong length, bad encoding). */
export class KeyError extends CryptoError {
  override name = "KeyError";
}

/** A sealed frame that did not authenticate (wrong key, tampered bytes) or names no key of the keyring. */
export class OpenError extends CryptoError {
  override name = "OpenError";
  /** Why: `unknown-key` (no key with that id) or `auth` (tag did not verify). */
  readonly reason: "unknown-key" | "auth";
  constructor(reason: "unknown-key" | "auth", message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}
