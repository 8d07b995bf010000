/**
 * SO_RCVBUF through setsockopt(2)/getsockopt(2) with `bun:ffi`: `Bun.udpSocket` has no option for it.
 * libc is loaded on first use, so a socket that never asks for a buffer size never loads it.
 */
import { ptr } from "bun:ffi";
import { lazyLibc } from "../libc.ts";

/** `<asm-generic/socket.h>`: the same on x86-64, arm and arm64. */
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;

const load = lazyLibc({
  setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
  getsockopt: { args: ["i32", "i32", "i32", "ptr", "ptr"], returns: "i32" },
});

/**
 * Asks the kernel for a receive buffer of `bytes` on socket `fd` (it doubles the value for its own
 * bookkeeping and caps it at net.core.rmem_max).
 * @returns whether the call succeeded
 */
export function setRecvBufferBytes(fd: number, bytes: number): boolean {
  const value = new Int32Array([Math.min(bytes, 0x7fffffff)]);
  return load().setsockopt(fd, SOL_SOCKET, SO_RCVBUF, ptr(value), 4) === 0;
}

/** The receive buffer the kernel gave socket `fd`, in bytes (as the kernel reports it: doubled). */
export function getRecvBufferBytes(fd: number): number {
  const value = new Int32Array(1);
  const length = new Uint32Array([4]);
  if (load().getsockopt(fd, SOL_SOCKET, SO_RCVBUF, ptr(value), ptr(length)) !== 0) return -1;
  return value[0]!;
}
