/**
 * Sealing and opening control frames: AES-256-GCM with the header as additional data, a fresh nonce per
 * frame, keys from the keyring of purpose "control" (so the same raw key seals control and discovery
 * frames with different AEAD keys). No I/O; synchronous (`node:crypto` AES-GCM through lib/crypto).
 */
import { openAesGcmSync, randomNonce, requireKey, sealAesGcmInto, TAG_BYTES, type Keyring, type RingKey } from "../crypto/index.ts";
import { CONTROL_HEADER_BYTES, encodeControlHeader, type ControlFrame, type ControlFrameType } from "./frame.ts";

/** The HKDF purpose of control keyrings: `createKeyring(rawKeys, CONTROL_PURPOSE)`. */
export const CONTROL_PURPOSE = "control";

/**
 * Seals a payload into a control frame.
 * @param nonce pinned by tests; a fresh random one otherwise
 * @returns the datagram
 * @throws {RangeError} when the frame would not fit
 */
export function sealControlFrame(type: ControlFrameType, channelId: Uint8Array, key: RingKey, payload: Uint8Array, nonce: Uint8Array = randomNonce()): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(CONTROL_HEADER_BYTES + payload.length + TAG_BYTES);
  encodeControlHeader({ type, channelId, keyId: key.id, nonce }, payload.length + TAG_BYTES, out);
  sealAesGcmInto(key.aead, nonce, out.subarray(0, CONTROL_HEADER_BYTES), payload, out, CONTROL_HEADER_BYTES);
  return out;
}

/**
 * Opens a sealed control frame with the keyring.
 * @returns the payload and the key that opened it (replies are sealed with the same key)
 * @throws {OpenError} `unknown-key` or `auth`
 */
export function openControlFrame(frame: ControlFrame, ring: Keyring): { payload: Uint8Array<ArrayBuffer>; key: RingKey } {
  const key = requireKey(ring, frame.keyId);
  return { payload: openAesGcmSync(key.aead, frame.nonce, frame.headerBytes, frame.body), key };
}
