/**
 * The receiver's first step: one datagram -> which format it is and its decoded content, or a
 * {@link BeaconFrameError} with the drop reason. Pure and synchronous; sealed beacons come back still sealed
 * (opening needs a key, see seal.ts).
 */
import { bytesEqual } from "../bytes.ts";
import { decodeDiscoPyBeacon, type DiscoPyBeacon } from "./disco-py.ts";
import { decodeEnvelope, ENVELOPE_MARKER, type Envelope } from "./envelope.ts";
import { BeaconFrameError } from "./errors.ts";
import { decodeRichBeacon, type RichBeacon } from "./rich.ts";

/** Largest datagram accepted, in bytes. @default 8192 */
export const MAX_BEACON_BYTES = 8192;

/** What a datagram turned out to be. */
export type DecodedDatagram =
  | { readonly kind: "disco.py"; readonly beacon: DiscoPyBeacon }
  | { readonly kind: "rich"; readonly beacon: RichBeacon }
  | { readonly kind: "sealed"; readonly envelope: Extract<Envelope, { sealed: true }> };

/** Options for {@link decodeDatagram}. */
export interface DecodeOptions {
  /** The channel id rich beacons must carry; others are `foreign-channel`. */
  channelId: Uint8Array;
  /** Largest datagram accepted. @default 8192 */
  maxBytes?: number;
}

const dec = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes one received datagram.
 * @param bytes the datagram
 * @param options the channel id and size limit
 * @returns the decoded beacon (a sealed one still sealed)
 * @throws {BeaconFrameError} with the drop reason; never any other error
 */
export function decodeDatagram(bytes: Uint8Array, options: DecodeOptions): DecodedDatagram {
  const max = options.maxBytes ?? MAX_BEACON_BYTES;
  if (bytes.length > max) throw new BeaconFrameError("oversized", `datagram of ${bytes.length} bytes is over the ${max}-byte limit`);
  if (bytes.length === 0) throw new BeaconFrameError("truncated", "empty datagram", { offset: 0 });
  if (bytes[0] === ENVELOPE_MARKER) {
    const envelope = decodeEnvelope(bytes);
    if (!bytesEqual(envelope.channelId, options.channelId)) throw new BeaconFrameError("foreign-channel", "rich beacon from another channel", { offset: 4 });
    if (envelope.sealed) return { kind: "sealed", envelope };
    return { kind: "rich", beacon: decodeRichBeacon(envelope.payload) };
  }
  let text: string;
  try {
    text = dec.decode(bytes);
  } catch (err) {
    throw new BeaconFrameError("not-utf8", "datagram is not UTF-8", { cause: err });
  }
  if (!text.startsWith("HOST ") && !text.startsWith("BYE ")) throw new BeaconFrameError("unknown-format", "datagram is neither a disco.py beacon nor a rich beacon");
  return { kind: "disco.py", beacon: decodeDiscoPyBeacon(text) };
}
