/**
 * py-vault-multicast announcements: one JSON object per datagram, `{type, name, addr, version, timestamp}`,
 * sent to a multicast group (224.1.1.1:5004 by default). Pure codec.
 */
import { BeaconFrameError } from "./errors.ts";

/** One announced service. */
export interface VaultAnnouncement {
  /** Service type, e.g. "vault". */
  readonly type: string;
  /** Service name. */
  readonly name: string;
  /** Where the service is, e.g. "10.0.0.5:8200" or a URL. */
  readonly addr: string;
  readonly version: string;
  /** Sender unix seconds (informational). */
  readonly timestamp: number;
}

/** One service as a vault host's `services` record holds it (the announcement without name and time). */
export interface VaultService {
  readonly type: string;
  readonly addr: string;
  readonly version: string;
}

/**
 * Longest text of each field, in characters. Every field is kept in the membership table (and printed),
 * so each has a cap: `version` as a rich beacon's, `addr` room for a URL.
 */
export const VAULT_FIELD_MAX_CHARS = { type: 64, name: 128, addr: 256, version: 64 } as const;

/** Default group and port of py-vault-multicast. */
export const VAULT_GROUP = "224.1.1.1";
export const VAULT_PORT = 5004;

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

/** Encodes an announcement as py-vault-multicast does (`json.dumps` key order). */
export function encodeVaultAnnouncement(a: VaultAnnouncement): Uint8Array {
  return enc.encode(JSON.stringify({ type: a.type, name: a.name, addr: a.addr, version: a.version, timestamp: a.timestamp }));
}

/**
 * Decodes an announcement. `version` may be a number on the wire; it becomes text.
 * @throws {BeaconFrameError} `not-utf8`, or `malformed` (a field missing, of the wrong type, empty or over
 *   its {@link VAULT_FIELD_MAX_CHARS})
 */
export function decodeVaultAnnouncement(bytes: Uint8Array): VaultAnnouncement {
  let raw: unknown;
  try {
    raw = JSON.parse(dec.decode(bytes));
  } catch (err) {
    const reason = err instanceof TypeError ? "not-utf8" : "malformed";
    throw new BeaconFrameError(reason, reason === "not-utf8" ? "announcement is not UTF-8" : "announcement is not JSON", { cause: err });
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new BeaconFrameError("malformed", "announcement is not a JSON object");
  const o = raw as Record<string, unknown>;
  for (const k of ["type", "name", "addr"] as const) {
    const v = o[k];
    const max = VAULT_FIELD_MAX_CHARS[k];
    if (typeof v !== "string" || v.length === 0 || v.length > max) throw new BeaconFrameError("malformed", `announcement '${k}' must be a string of 1 to ${max} characters`);
  }
  const rawVersion = o["version"];
  if (typeof rawVersion !== "string" && typeof rawVersion !== "number") throw new BeaconFrameError("malformed", "announcement 'version' must be a string or number");
  const version = String(rawVersion);
  if (version.length > VAULT_FIELD_MAX_CHARS.version) throw new BeaconFrameError("malformed", `announcement 'version' must be at most ${VAULT_FIELD_MAX_CHARS.version} characters`);
  const timestamp = o["timestamp"];
  if (typeof timestamp !== "number" || !Number.isFinite(timestamp)) throw new BeaconFrameError("malformed", "announcement 'timestamp' must be a number");
  return { type: o["type"] as string, name: o["name"] as string, addr: o["addr"] as string, version, timestamp };
}
