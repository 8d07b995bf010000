import { DiscoError } from "../errors.ts";

/** Why a received datagram was dropped; the receiver counts drops by these reasons. */
export type DropReason =
  | "oversized"
  | "truncated"
  | "not-utf8"
  | "malformed"
  | "bad-name"
  | "unknown-format"
  | "foreign-channel"
  | "unknown-key"
  | "forged"
  | "replayed"
  | "unsealed"
  | "overload"
  | "source-limit"
  | "foreign-bye"
  | "sealed-name";

/** Every drop reason, in display order. */
export const DROP_REASONS: readonly DropReason[] = [
  "oversized",
  "truncated",
  "not-utf8",
  "malformed",
  "bad-name",
  "unknown-format",
  "foreign-channel",
  "unknown-key",
  "forged",
  "replayed",
  "unsealed",
  "overload",
  "source-limit",
  "foreign-bye",
  "sealed-name",
];

/** A beacon problem that is not about one received datagram (setup, a beacon too large to send). */
export class BeaconError extends DiscoError {
  override name = "BeaconError";
}

/** Untrusted bytes that are not a valid beacon. The receiver counts it by `reason` and drops the datagram. */
export class BeaconFrameError extends BeaconError {
  override name = "BeaconFrameError";
  /** Why the datagram is not accepted. */
  readonly reason: DropReason;
  /** Byte offset where decoding stopped, when it applies. */
  readonly offset?: number;
  constructor(reason: DropReason, message: string, options?: { cause?: unknown; offset?: number }) {
    super(message, options);
    this.reason = reason;
    if (options?.offset !== undefined) this.offset = options.offset;
  }
}
