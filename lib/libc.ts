/**
 * libc through `bun:ffi`, for the few calls Bun has no API for: GPIO ioctls and eventfds, SO_RCVBUF, the
 * unix datagram socket of sd_notify, CLOCK_MONOTONIC. One library name, one way to load it: on first use,
 * so a program that never makes those calls never loads libc, and a system without glibc fails only where
 * a call is made.
 */
import { dlopen, read, type FFIFunction, type Pointer } from "bun:ffi";

/** glibc on Debian and Raspberry Pi OS (x86-64 and arm64). */
export const LIBC_PATH = "libc.so.6";

/** The callable symbols `dlopen` gives for a symbol set. */
export type LibcSymbols<S extends Record<string, FFIFunction>> = ReturnType<typeof dlopen<S>>["symbols"];

/**
 * A loader for a set of libc symbols: libc is opened at the first call of the loader, once.
 * @throws {Error} from `dlopen` (at that first call) when libc or a symbol is missing
 */
export function lazyLibc<const S extends Record<string, FFIFunction>>(symbols: S): () => LibcSymbols<S> {
  let loaded: LibcSymbols<S> | undefined;
  return () => (loaded ??= dlopen(LIBC_PATH, symbols).symbols);
}

/** `errno` right after a failed call, through the set's `__errno_location` symbol (declared `returns: "ptr"`). */
export function errnoFrom(errnoLocation: () => unknown): number {
  return read.i32(errnoLocation() as Pointer, 0);
}
