/**
 * AES-256-GCM through the system's OpenSSL (`libcrypto.so.3`) with `bun:ffi`, for the per-datagram paths.
 *
 * Why: `node:crypto` builds a new cipher object, and a new key schedule, for every datagram. That cost
 * most of the sealed paths' time (a profile of `disco server` under load: 36% in `Cipher` construction). An
 * OpenSSL context keeps its key schedule, so one datagram costs one IV reset, the AAD, the data and the tag.
 * The cipher is OpenSSL's; this file only calls it.
 *
 * Safety on a hostile LAN: every pointer handed to C is a typed array of ours and every length is checked
 * here against that array before the call, so no input can make OpenSSL read or write outside it. The
 * plaintext is decrypted into a scratch buffer and copied out only after the tag verifies.
 *
 * Loaded on first use. When the library is missing (a system without libssl3), a symbol is missing, or
 * the start-up self-check against `node:crypto` fails, {@link loadLibcrypto} answers undefined and the caller
 * uses `node:crypto`: same bytes, slower. {@link forceNodeCrypto} (what `DISCO_CRYPTO=node` in the
 * environment makes main.ts call) forces that fallback.
 */
import { dlopen, FFIType, ptr, type Pointer } from "bun:ffi";
import { createCipheriv } from "node:crypto";

/** The library, by soname: OpenSSL 3 on Debian 12/13 and Raspberry Pi OS (package libssl3 / libssl3t64). */
export const LIBCRYPTO_PATH = "libcrypto.so.3";

const EVP_CTRL_GCM_GET_TAG = 0x10;
const EVP_CTRL_GCM_SET_TAG = 0x11;
const TAG = 16;
const NONCE = 12;
/** The largest datagram is 65,535 bytes: its plaintext fits. */
const SCRATCH_BYTES = 65_536;

const symbols = {
  EVP_aes_256_gcm: { args: [], returns: FFIType.ptr },
  EVP_CIPHER_CTX_new: { args: [], returns: FFIType.ptr },
  EVP_CIPHER_CTX_free: { args: [FFIType.ptr], returns: FFIType.void },
  EVP_CipherInit_ex: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  EVP_CipherUpdate: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.i32], returns: FFIType.i32 },
  EVP_CipherFinal_ex: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  EVP_CIPHER_CTX_ctrl: { args: [FFIType.ptr, FFIType.i32, FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
} as const;

type Symbols = ReturnType<typeof dlopen<typeof symbols>>["symbols"];

/** One key's two OpenSSL contexts (one seals, one opens), each with its key schedule done once. */
export interface NativeGcm {
  /**
   * Seals `plaintext` into `out` at `offset` (ciphertext, then the tag). The caller has checked that `out`
   * has room and that `nonce` is 12 bytes.
   */
  sealInto(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void;
  /**
   * Opens `bytes[dataAt, end)` with the tag at `end` (16 bytes), the nonce at `nonceAt` (12 bytes) and the
   * AAD `aad[0, aadBytes)`. The caller has checked the ranges.
   * @returns the plaintext (its own buffer), or undefined when the tag does not verify
   */
  open(nonceSrc: Uint8Array, nonceAt: number, aad: Uint8Array, aadBytes: number, bytes: Uint8Array, dataAt: number, end: number): Uint8Array<ArrayBuffer> | undefined;
}

/** What {@link loadLibcrypto} found. */
export interface Libcrypto {
  /** Contexts for one 32-byte key; undefined when OpenSSL refuses them (out of memory). */
  gcm(key: Uint8Array): NativeGcm | undefined;
}

let loaded: Libcrypto | null | undefined;

/**
 * libcrypto, opened and checked on the first call (once).
 * @returns undefined when it is missing, fails its self-check, or {@link forceNodeCrypto} was called
 */
export function loadLibcrypto(): Libcrypto | undefined {
  if (loaded === undefined) loaded = tryLoad() ?? null;
  return loaded ?? undefined;
}

/**
 * Makes keys imported from now on use `node:crypto` instead of OpenSSL (call it before any key is made: a
 * key keeps the implementation it was made with).
 */
export function forceNodeCrypto(): void {
  loaded = null;
}

function tryLoad(): Libcrypto | undefined {
  if (process.platform !== "linux") return undefined;
  let s: Symbols;
  try {
    s = dlopen(LIBCRYPTO_PATH, symbols).symbols;
  } catch {
    return undefined;
  }
  const lib = makeLibcrypto(s);
  return selfCheck(lib) ? lib : undefined;
}

function makeLibcrypto(s: Symbols): Libcrypto {
  const cipher = s.EVP_aes_256_gcm();
  // A pointer kept across calls is only a number: it keeps nothing alive. Each array below is also used by
  // the functions that pass its pointer, so it lives as long as they do. (Before, `outLen` was referenced
  // only through its pointer: it was collected, and OpenSSL's length writes went into freed memory and
  // corrupted the allocator; the property test found it.)
  const outLen = new Int32Array(new ArrayBuffer(4));
  const outLenP = ptr(outLen);
  const scratch = new Uint8Array(new ArrayBuffer(SCRATCH_BYTES));
  const scratchP = ptr(scratch);
  // A key's contexts are freed when its key object is collected (a reload replaces the keyring).
  const contexts = new FinalizationRegistry<Pointer>((ctx) => s.EVP_CIPHER_CTX_free(ctx));

  const context = (key: Uint8Array, encrypt: 0 | 1): Pointer | undefined => {
    const ctx = s.EVP_CIPHER_CTX_new() as Pointer | null;
    if (ctx === null) return undefined;
    if (s.EVP_CipherInit_ex(ctx, cipher, null, ptr(key), null, encrypt) !== 1) {
      s.EVP_CIPHER_CTX_free(ctx);
      return undefined;
    }
    return ctx;
  };

  return {
    gcm(key) {
      const sealCtx = context(key, 1);
      if (sealCtx === undefined) return undefined;
      const openCtx = context(key, 0);
      if (openCtx === undefined) {
        s.EVP_CIPHER_CTX_free(sealCtx);
        return undefined;
      }
      const gcm: NativeGcm = {
        sealInto(nonce, aad, plaintext, out, offset) {
          if (s.EVP_CipherInit_ex(sealCtx, null, null, null, ptr(nonce), -1) !== 1) throw new Error("OpenSSL refused an AES-GCM nonce");
          if (aad.length > 0) s.EVP_CipherUpdate(sealCtx, null, outLenP, ptr(aad), aad.length);
          const outP = ptr(out, offset);
          if (plaintext.length > 0) {
            // In place is fine for OpenSSL; a partial overlap is not: such a plaintext is copied first. (Told
            // by the addresses: reading a small array's .buffer would give it an ArrayBuffer, a costly change.)
            let inP = ptr(plaintext);
            if (inP !== outP && inP < outP + plaintext.length + TAG && outP < inP + plaintext.length) inP = ptr((plaintext = plaintext.slice()));
            s.EVP_CipherUpdate(sealCtx, outP, outLenP, inP, plaintext.length);
            if (outLen[0] !== plaintext.length) throw new Error("OpenSSL wrote an unexpected AES-GCM length");
          }
          s.EVP_CipherFinal_ex(sealCtx, scratchP, outLenP); // GCM: no bytes
          s.EVP_CIPHER_CTX_ctrl(sealCtx, EVP_CTRL_GCM_GET_TAG, TAG, ptr(out, offset + plaintext.length));
        },
        open(nonceSrc, nonceAt, aad, aadBytes, bytes, dataAt, end) {
          // A receive loop passes one datagram for all three: its address is taken once.
          const base = ptr(bytes);
          if (s.EVP_CipherInit_ex(openCtx, null, null, null, nonceSrc === bytes ? ((base + nonceAt) as Pointer) : ptr(nonceSrc, nonceAt), -1) !== 1) return undefined;
          if (aadBytes > 0) s.EVP_CipherUpdate(openCtx, null, outLenP, aad === bytes ? base : ptr(aad), aadBytes);
          const n = end - dataAt;
          // A datagram's plaintext fits the scratch buffer; a larger message (a control frame) gets its own.
          const buf = n <= SCRATCH_BYTES ? scratch : new Uint8Array(n);
          const bufP = buf === scratch ? scratchP : ptr(buf);
          if (n > 0) {
            s.EVP_CipherUpdate(openCtx, bufP, outLenP, (base + dataAt) as Pointer, n);
            if (outLen[0] !== n) return undefined;
          }
          s.EVP_CIPHER_CTX_ctrl(openCtx, EVP_CTRL_GCM_SET_TAG, TAG, (base + end) as Pointer); // OpenSSL copies the tag
          if (s.EVP_CipherFinal_ex(openCtx, bufP, outLenP) !== 1) return undefined;
          return buf === scratch ? scratch.slice(0, n) : buf;
        },
      };
      contexts.register(gcm, sealCtx);
      contexts.register(gcm, openCtx);
      return gcm;
    },
  };
}

/** Seals and opens one fixed vector and compares it with `node:crypto`: a wrong ABI shows here, not on the wire. */
function selfCheck(lib: Libcrypto): boolean {
  try {
    const key = new Uint8Array(32).map((_, i) => i);
    const nonce = new Uint8Array(NONCE).map((_, i) => 0xa0 + i);
    const aad = new Uint8Array(20).map((_, i) => 0x40 + i);
    const plain = new Uint8Array(67).map((_, i) => (i * 7) & 0xff);
    const c = createCipheriv("aes-256-gcm", key, nonce, { authTagLength: TAG });
    c.setAAD(aad);
    const expected = new Uint8Array([...c.update(plain), ...c.final(), ...c.getAuthTag()]);
    const gcm = lib.gcm(key);
    if (!gcm) return false;
    const out = new Uint8Array(plain.length + TAG);
    gcm.sealInto(nonce, aad, plain, out, 0);
    if (!out.every((b, i) => b === expected[i])) return false;
    const opened = gcm.open(nonce, 0, aad, aad.length, out, 0, plain.length);
    if (!opened || !opened.every((b, i) => b === plain[i])) return false;
    out[3]! ^= 1;
    return gcm.open(nonce, 0, aad, aad.length, out, 0, plain.length) === undefined;
  } catch {
    return false;
  }
}
