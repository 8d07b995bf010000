/**
 * systemd's readiness protocol (sd_notify(3)) without libsystemd: `KEY=value` lines in one datagram to the
 * `AF_UNIX`/`SOCK_DGRAM` socket named by `$NOTIFY_SOCKET`. `node:dgram` has no unix datagram sockets, so the
 * socket is libc's, through `bun:ffi` (lib/libc.ts: loaded on first use).
 *
 * The encoder and the watchdog arithmetic are pure; only {@link openNotifier} touches the kernel. The caller
 * (the CLI) reads `$NOTIFY_SOCKET`, `$WATCHDOG_USEC` and `$WATCHDOG_PID` and passes them in.
 */
import { ptr } from "bun:ffi";
import { errnoFrom, lazyLibc } from "../libc.ts";
import { DaemonError } from "./errors.ts";

/** `AF_UNIX`, `SOCK_DGRAM`, `SOCK_CLOEXEC`, `MSG_*`: asm-generic values, the same on x86-64 and arm64. */
const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
/** `sizeof(struct sockaddr_un)`: `sa_family_t sun_family` (2 bytes) + `char sun_path[108]` (linux/un.h). */
const SOCKADDR_UN_BYTES = 110;
const SUN_PATH_BYTES = 108;

const load = lazyLibc({
  socket: { args: ["i32", "i32", "i32"], returns: "i32" },
  sendto: { args: ["i32", "ptr", "u64", "i32", "ptr", "u32"], returns: "i64" },
  close: { args: ["i32"], returns: "i32" },
  __errno_location: { args: [], returns: "ptr" },
});

/** The notify socket could not be created (`socket(2)` failed: out of file descriptors, say). */
export class NotifySocketError extends DaemonError {
  override name = "NotifySocketError";
  /** The errno number `socket(2)` set. */
  readonly errno: number;
  constructor(message: string, errnoNumber: number) {
    super(message);
    this.errno = errnoNumber;
  }
}

/**
 * Encodes a notify message: one `KEY=value` line per field, in the object's order, joined by `\n`.
 * @param fields e.g. `{ READY: "1", STATUS: "3 hosts alive" }`
 * @returns the datagram's bytes (UTF-8)
 * @throws {TypeError} a key that is empty or holds `=` or a newline, or a value that holds a newline (sd_notify
 *   has no escaping: a newline would start a forged field)
 * @example encodeNotify({ READY: "1", STATUS: "ok" }) // "READY=1\nSTATUS=ok"
 */
export function encodeNotify(fields: Readonly<Record<string, string>>): Uint8Array {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(fields)) {
    if (!/^[A-Z0-9_]+$/.test(key)) throw new TypeError(`sd_notify field name ${JSON.stringify(key)} must be upper-case letters, digits and '_'`);
    if (/[\n\r\0]/.test(value)) throw new TypeError(`sd_notify field ${key} must be one line (it holds a newline or NUL)`);
    lines.push(`${key}=${value}`);
  }
  return new TextEncoder().encode(lines.join("\n"));
}

/**
 * Encodes `struct sockaddr_un` for a notify socket name: a path (`/run/systemd/notify`) or an abstract name
 * (`@name`, whose `@` becomes the leading NUL).
 * @returns the address bytes and the length to pass to `sendto(2)`
 * @throws {TypeError} a name that is neither absolute nor abstract
 * @throws {RangeError} a name longer than `sun_path` allows
 */
export function encodeSockaddrUn(name: string): { readonly bytes: Uint8Array; readonly length: number } {
  const abstract = name.startsWith("@");
  if (!abstract && !name.startsWith("/")) throw new TypeError(`notify socket ${JSON.stringify(name)} must be an absolute path or an abstract '@name'`);
  const path = new TextEncoder().encode(abstract ? name.slice(1) : name);
  // A path needs its terminating NUL inside sun_path; an abstract name is the NUL plus the bytes, unterminated.
  const used = abstract ? 1 + path.length : path.length + 1;
  if (used > SUN_PATH_BYTES) throw new RangeError(`notify socket name is ${used} bytes, more than the ${SUN_PATH_BYTES} of sun_path`);
  const bytes = new Uint8Array(SOCKADDR_UN_BYTES);
  new DataView(bytes.buffer).setUint16(0, AF_UNIX, true); // sun_family, host order (little-endian on both targets)
  bytes.set(path, abstract ? 3 : 2);
  return { bytes, length: 2 + used };
}

/** An open notify socket. */
export interface Notifier {
  /**
   * Sends one message (see {@link encodeNotify}). Best effort, as sd_notify(3) is: a missing listener, a full
   * queue or a bad field is ignored, never thrown; {@link Notifier.failures} counts them.
   */
  send(fields: Readonly<Record<string, string>>): void;
  /** Messages that could not be sent, since the notifier was opened. */
  readonly failures: number;
  /** Closes the socket; idempotent. Sends after close are dropped (and counted). */
  close(): void;
}

/**
 * Opens a datagram socket towards `$NOTIFY_SOCKET`.
 * @param socketPath the value of `$NOTIFY_SOCKET`: a path or `@abstract`; undefined or empty when systemd did
 *   not ask for notifications
 * @returns a notifier, or undefined when there is no socket to notify
 * @throws {TypeError} a socket name that is neither a path nor abstract
 * @throws {RangeError} a socket name too long for `sockaddr_un`
 * @throws {NotifySocketError} `socket(2)` failed
 */
export function openNotifier(socketPath: string | undefined): Notifier | undefined {
  if (!socketPath) return undefined;
  const addr = encodeSockaddrUn(socketPath);
  const c = load();
  let fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    const errno = errnoFrom(c.__errno_location);
    throw new NotifySocketError(`cannot create the notify socket (errno ${errno})`, errno);
  }
  let failures = 0;
  return {
    send(fields) {
      let msg: Uint8Array;
      try {
        msg = encodeNotify(fields);
      } catch {
        failures++;
        return;
      }
      if (fd < 0 || msg.length === 0) {
        failures++;
        return;
      }
      // MSG_DONTWAIT: never block the event loop on a full queue; MSG_NOSIGNAL: no SIGPIPE.
      const r = c.sendto(fd, ptr(msg), BigInt(msg.length), MSG_DONTWAIT | MSG_NOSIGNAL, ptr(addr.bytes), addr.length);
      if (r < 0) failures++;
    },
    get failures() {
      return failures;
    },
    close() {
      if (fd >= 0) c.close(fd);
      fd = -1;
    },
  };
}

/**
 * How often to send `WATCHDOG=1`: half of systemd's `$WATCHDOG_USEC`, as sd_watchdog_enabled(3) advises.
 * @param watchdogUsec `$WATCHDOG_USEC` (microseconds, decimal)
 * @param watchdogPid `$WATCHDOG_PID`; when set, the watchdog is only this process's if it names `pid`
 * @param pid this process's PID
 * @returns the interval in milliseconds (at least 1), or undefined when no watchdog applies to this process
 *   (unset, malformed, zero, or another process's)
 */
export function watchdogIntervalMs(watchdogUsec: string | undefined, watchdogPid: string | undefined, pid: number): number | undefined {
  if (!watchdogUsec || !/^[0-9]+$/.test(watchdogUsec)) return undefined;
  const usec = Number(watchdogUsec);
  if (!Number.isSafeInteger(usec) || usec === 0) return undefined;
  if (watchdogPid !== undefined && watchdogPid !== "") {
    if (!/^[0-9]+$/.test(watchdogPid) || Number(watchdogPid) !== pid) return undefined;
  }
  return Math.max(1, Math.floor(usec / 2000));
}
