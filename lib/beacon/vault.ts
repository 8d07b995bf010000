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
 * @throws {BeaconFrameError} `not-utf8` or `malformed`
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
    if (typeof v !== "string" || v.length === 0 || v.length > 256) throw new BeaconFrameError("malformed", `announcement '${k}' must be a non-empty string`);
  }
  const version = o["version"];
  if (typeof version !== "string" && typeof version !== "number") throw new BeaconFrameError("malformed", "announcement 'version' must be a string or number");
  const timestamp = o["timestamp"];
  if (typeof timestamp !== "number" || !Number.isFinite(timestamp)) throw new BeaconFrameError("malformed", "announcement 'timestamp' must be a number");
  return { type: o["type"] as string, name: o["name"] as string, addr: o["addr"] as string, version: String(version), timestamp };
}
