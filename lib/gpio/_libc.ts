/**
 * The few libc calls the cdev driver needs, through `bun:ffi` (no native addon). Loaded on first use, so
 * importing lib/gpio on a machine without glibc only fails when the cdev driver is actually used.
 */
import { ptr } from "bun:ffi";
import { errnoFrom, lazyLibc } from "../libc.ts";

const load = lazyLibc({
  ioctl: { args: ["i32", "u64", "ptr"], returns: "i32" },
  __errno_location: { args: [], returns: "ptr" },
  eventfd: { args: ["u32", "i32"], returns: "i32" },
  write: { args: ["i32", "ptr", "u64"], returns: "i64" },
  close: { args: ["i32"], returns: "i32" },
});

/** Linux errno numbers (asm-generic, the same on x86-64, arm and arm64) to names. */
const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM", 2: "ENOENT", 4: "EINTR", 5: "EIO", 6: "ENXIO", 9: "EBADF", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES",
  14: "EFAULT", 16: "EBUSY", 19: "ENODEV", 22: "EINVAL", 25: "ENOTTY", 95: "EOPNOTSUPP", 524: "ENOTSUPP",
};

/** The name of an errno number (`EBUSY`), or `errno N` when unknown. */
export function errnoName(n: number): string {
  return ERRNO_NAMES[n] ?? `errno ${n}`;
}

/**
 * Calls `ioctl(fd, request, buf)`.
 * @returns 0 or a positive result, or the errno name on failure
 */
export function ioctl(fd: number, request: number, buf: Uint8Array): number | string {
  const c = load();
  const r = c.ioctl(fd, BigInt(request), ptr(buf));
  if (r >= 0) return r;
  return errnoName(errnoFrom(c.__errno_location));
}

/** Creates an eventfd (counter starting at 0), used to wake the event worker. @returns the fd or -1 */
export function eventfd(): number {
  return load().eventfd(0, 0o2000000 /* EFD_CLOEXEC */);
}

/** Adds `n` to an eventfd's counter. */
export function signalEventfd(fd: number, n = 1n): void {
  load().write(fd, ptr(new BigUint64Array([n])), 8n);
}

/** Closes an fd opened outside node:fs. */
export function closeFd(fd: number): void {
  load().close(fd);
}
