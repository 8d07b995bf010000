/**
 * Sealing and opening frames: AES-256-GCM with the 28-byte header as additional data, a fresh random
 * nonce per frame, the key chosen by its id from a keyring. No I/O; synchronous (`node:crypto` AES-GCM).
 */
import { openAesGcmSync, randomNonce, requireKey, sealAesGcmInto, type Keyring, type RingKey } from "../crypto/index.ts";
import { ProtocolError } from "./errors.ts";
import { encodeHeader, HEADER_BYTES, TAG_BYTES, type Frame, type FrameType } from "./frame.ts";

/** Options for {@link sealFrame}. */
export interface SealOptions {
  /** The key that seals; undefined sends the payload unsealed. */
  key?: RingKey;
  /** The nonce. @default a fresh random one (tests pin it) */
  nonce?: Uint8Array<ArrayBuffer>;
}

/**
 * Builds a frame around a payload, sealed when a key is given.
 * @param type frame type
 * @param channelId 4-byte channel id
 * @param payload the plaintext payload
 * @returns the datagram bytes
 * @throws {RangeError} when the frame would not fit a datagram
 */
export function sealFrame(type: FrameType, channelId: Uint8Array, payload: Uint8Array, options: SealOptions = {}): Uint8Array<ArrayBuffer> {
  const nonce = options.nonce ?? randomNonce();
  const key = options.key;
  const bodyLength = payload.length + (key ? TAG_BYTES : 0);
  // The header on its own (it is the AAD: a fresh small array is cheaper than a view of the datagram in
  // Bun), then the ciphertext and tag straight into the datagram.
  const header = new Uint8Array(HEADER_BYTES);
  encodeHeader({ type, sealed: key !== undefined, channelId, keyId: key?.id, nonce, bodyLength }, header, 0);
  const out = new Uint8Array(HEADER_BYTES + bodyLength);
  out.set(header, 0);
  if (key) sealAesGcmInto(key.aead, nonce, header, payload, out, HEADER_BYTES);
  else out.set(payload, HEADER_BYTES);
  return out;
}

/** An opened frame's payload and the key that opened it (to seal the reply with the same key). */
export interface Opened {
  readonly payload: Uint8Array<ArrayBuffer>;
  readonly key?: RingKey;
}

/**
 * Opens a frame: verifies and decrypts a sealed body, or passes an unsealed one through.
 * @param frame a decoded frame
 * @param ring the keyring; undefined for a node without keys
 * @returns the payload (a copy) and the key that opened it
 * @throws {ProtocolError} `unsealed` (keyed node, unsealed frame) or `sealed` (keyless node, sealed frame)
 * @throws {OpenError} `unknown-key` or `auth` from the keyring
 */
export function openFrame(frame: Frame, ring: Keyring | undefined): Opened {
  if (!ring) {
    if (frame.header.sealed) throw new ProtocolError("sealed", "a sealed frame reached a node without a key");
    return { payload: frame.body.slice() };
  }
  if (!frame.header.sealed) throw new ProtocolError("unsealed", "an unsealed frame reached a node with a key");
  const key = requireKey(ring, frame.header.keyId);
  // Views, not copies: the plaintext comes out in its own buffer.
  return { payload: openAesGcmSync(key.aead, frame.header.nonce, frame.headerBytes, frame.body), key };
}
