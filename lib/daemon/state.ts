/**
 * What the daemon keeps in its state directory so a restart continues where it left off: the beacon
 * identity. The sequence number is reserved in blocks (one small write per block, not per beacon), so a
 * restart — even after `kill -9` — continues above every number already sent.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createBeaconIdentity, randomBootId, type BeaconIdentity } from "../beacon/index.ts";
import { errorMessage } from "./errors.ts";

/** Options for {@link openPersistentIdentity}. */
export interface PersistentIdentityOptions {
  /** Sequence numbers reserved per write. @default 1000 */
  blockSize?: number;
  /** Called when the state cannot be read or written (the identity then lives only in memory). */
  onProblem?: (message: string) => void;
}

const FILE = "beacon-identity.json";

/**
 * The beacon identity kept in `directory` (created when missing).
 * @returns an identity that continues the stored boot id and sequence, or a fresh one when there is none
 */
export function openPersistentIdentity(directory: string, o: PersistentIdentityOptions = {}): BeaconIdentity {
  const block = o.blockSize ?? 1000;
  const path = join(directory, FILE);
  let boot = randomBootId();
  let next = 0;
  try {
    const stored = JSON.parse(readFileSync(path, "utf8")) as { boot?: unknown; reserved?: unknown };
    if (typeof stored.boot === "string" && /^[0-9a-f]{16}$/.test(stored.boot) && Number.isSafeInteger(stored.reserved) && (stored.reserved as number) >= 0) {
      boot = stored.boot;
      next = stored.reserved as number;
    } else o.onProblem?.(`${path}: not a beacon identity; starting a new one`);
  } catch (err) {
    // None yet (or no directory yet): a new identity; a directory that cannot be made is reported below.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== "ENOTDIR") o.onProblem?.(`${path}: ${errorMessage(err)}; starting a new identity`);
  }
  let writable = true;
  const reserve = (upTo: number) => {
    if (!writable) return;
    try {
      mkdirSync(directory, { recursive: true, mode: 0o750 });
      writeFileSync(`${path}.tmp`, `${JSON.stringify({ boot, reserved: upTo })}\n`, { mode: 0o640 });
      renameSync(`${path}.tmp`, path);
    } catch (err) {
      writable = false;
      o.onProblem?.(`cannot keep the beacon identity in ${directory} (${errorMessage(err)}): a restart will start a new one`);
    }
  };
  let reserved = next + block;
  reserve(reserved);
  const inner = createBeaconIdentity(boot, next);
  return {
    boot,
    nextSeq: () => {
      const seq = inner.nextSeq();
      if (seq >= reserved) {
        reserved = seq + block;
        reserve(reserved);
      }
      return seq;
    },
  };
}
