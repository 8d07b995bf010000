/**
 * Sealing and opening rich beacons with a keyring (AES-256-GCM, the 24-byte header as AAD, a fresh random
 * nonce per datagram). Synchronous (`node:crypto` through lib/crypto): the receive path runs once per
 * datagram. No sockets.
 */
import { openWithKeyringSync, OpenError, randomNonce, sealAesGcmInto, sealingKey, TAG_BYTES, type Keyring } from "../crypto/index.ts";
import { encodeSealedHeader, SEALED_HEADER_BYTES, type Envelope } from "./envelope.ts";
import { BeaconFrameError } from "./errors.ts";

/** Options for {@link sealBeacon}. */
export interface SealOptions {
  /** Nonce to use (tests only; the default is a fresh random one, which is what the wire needs). */
  nonce?: Uint8Array<ArrayBuffer>;
}

/**
 * Seals a rich beacon payload.
 * @param ring the beacon keyring (createKeyring(keys, "beacon")); its first key seals
 * @param channelId 4 bytes
 * @param payload the beacon JSON
 * @returns the whole datagram
 */
export function sealBeacon(ring: Keyring, channelId: Uint8Array, payload: Uint8Array, options: SealOptions = {}): Uint8Array {
  const key = sealingKey(ring);
  const nonce = options.nonce ?? randomNonce();
  // The header on its own is the AAD; the ciphertext and tag go straight into the datagram.
  const header = encodeSealedHeader(channelId, key.id, nonce);
  const out = new Uint8Array(SEALED_HEADER_BYTES + payload.length + TAG_BYTES);
  out.set(header);
  sealAesGcmInto(key.aead, nonce, header, payload, out, SEALED_HEADER_BYTES);
  return out;
}

/**
 * Opens a sealed beacon, synchronously.
 * @returns the payload JSON bytes
 * @throws {BeaconFrameError} `unknown-key` when no key has its key id, `forged` when it does not authenticate
 */
export function openBeaconSync(ring: Keyring, envelope: Extract<Envelope, { sealed: true }>): Uint8Array {
  try {
    return openWithKeyringSync(ring, envelope.keyId, envelope.nonce, envelope.header, envelope.ciphertext);
  } catch (err) {
    return toBeaconError(err);
  }
}

/** What a drop for `unknown-key` says. */
export const UNKNOWN_KEY_MESSAGE = "sealed with a key this node does not have";
/** What a drop for `forged` says. */
export const FORGED_MESSAGE = "sealed beacon did not authenticate (wrong key or altered bytes)";

/**
 * Why opening a sealed beacon failed, from the error lib/crypto threw, with the message for people.
 * @returns the drop reason (`unknown-key` or `forged`) and its message
 */
export function openFailure(err: unknown): { reason: "unknown-key" | "forged"; message: string } {
  return err instanceof OpenError && err.reason === "unknown-key" ? { reason: "unknown-key", message: UNKNOWN_KEY_MESSAGE } : { reason: "forged", message: FORGED_MESSAGE };
}

function toBeaconError(err: unknown): never {
  const f = openFailure(err);
  throw new BeaconFrameError(f.reason, f.message, { cause: err });
}
