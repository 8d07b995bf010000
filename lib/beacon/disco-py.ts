/**
 * The disco.py beacon: the UTF-8 text `HOST <hostname> <integer unix seconds>`, and disco's goodbye in the
 * same shape, `BYE <hostname> <integer unix seconds>`. Pure: no sockets, no clocks (the time is passed in).
 */
import { HOST_NAME_RULE, isValidHostName } from "../text/index.ts";
import { BeaconFrameError } from "./errors.ts";

/** The word that starts a disco.py beacon. */
export const HOST_WORD = "HOST";
/** The word that starts a disco goodbye in the disco.py shape. */
export const BYE_WORD = "BYE";

/** A decoded disco.py-format beacon. */
export interface DiscoPyBeacon {
  /** True for `BYE` (a goodbye), false for `HOST`. */
  readonly bye: boolean;
  readonly host: string;
  /** The sender's unix seconds as sent (informational: clocks are not trusted). */
  readonly unixSeconds: number;
  /** The text as received, without a trailing newline. */
  readonly text: string;
}

const enc = new TextEncoder();
// The name is any run of characters but space and line ends here, of any length; the host name rule
// (lib/text) is checked after, so a beacon whose name is too long or holds a tab or a control character
// is told apart (`bad-name`) from one that is not a beacon at all (`malformed`).
const LINE = /^(HOST|BYE) ([^ \r\n]+) (\d{1,15})(?:\.\d{1,9})?\r?\n?$/;

/**
 * Encodes a beacon in disco.py's exact format.
 * @param host the host name (see HOST_NAME_RULE in lib/text)
 * @param unixSeconds the sender's clock in seconds; the fraction is dropped as disco.py does (`int(time.time())`)
 * @param options `bye: true` for a goodbye (`BYE ...`) instead of a beacon
 * @returns UTF-8 bytes, no newline
 * @throws {RangeError} when the host name breaks the host name rule
 * @example new TextDecoder().decode(encodeDiscoPyBeacon("shed", 1700000000.7)) // "HOST shed 1700000000"
 */
export function encodeDiscoPyBeacon(host: string, unixSeconds: number, options: { bye?: boolean } = {}): Uint8Array {
  if (!isValidHostName(host)) throw new RangeError(`a beacon host name must be ${HOST_NAME_RULE}, got ${JSON.stringify(host)}`);
  const seconds = Math.max(0, Math.floor(unixSeconds));
  return enc.encode(`${options.bye ? BYE_WORD : HOST_WORD} ${host} ${seconds}`);
}

/**
 * Decodes a disco.py-format beacon from already-decoded text. Tolerates one trailing newline and a
 * fractional timestamp (other implementations send `time.time()` unrounded).
 * @param text the datagram as text
 * @returns the beacon
 * @throws {BeaconFrameError} `malformed` when the text is not `HOST|BYE <name> <seconds>`, `bad-name` when
 *   the name breaks the host name rule
 */
export function decodeDiscoPyBeacon(text: string): DiscoPyBeacon {
  const m = LINE.exec(text);
  if (!m) throw new BeaconFrameError("malformed", "not a 'HOST <name> <seconds>' beacon");
  const host = m[2]!;
  if (!isValidHostName(host)) throw new BeaconFrameError("bad-name", `host name is not ${HOST_NAME_RULE}`, { offset: m[1]!.length + 1 });
  return { bye: m[1] === BYE_WORD, host, unixSeconds: Number(m[3]), text: text.replace(/\r?\n$/, "") };
}
