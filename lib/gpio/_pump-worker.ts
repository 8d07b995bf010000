/**
 * The worker thread that waits for GPIO events with `poll(2)` (through bun:ffi), so the main thread's event
 * loop never blocks: cdev line request fds (mode "read": readable means line events to read) and sysfs
 * `value` fds (mode "pri": POLLPRI/POLLERR means the kernel saw an edge; re-read from offset 0). One worker
 * per driver multiplexes all its lines. `_pump.ts` starts it with `new Worker(new URL(...))`; the build
 * (`scripts/build.ts`) compiles this file as a second entry point of the single executable.
 *
 * Protocol: main -> worker {@link PumpCommand}; every command after `init` is followed by a write of 1 to
 * the eventfd `wakeFd`, and the worker handles as many commands as the counter says before polling again.
 * Worker -> main: {@link PumpReport}.
 */
import { dlopen, ptr } from "bun:ffi";
import { errnoFrom, LIBC_PATH } from "../libc.ts";

/** What the main thread tells the worker. */
export type PumpCommand =
  | { op: "init"; wakeFd: number }
  | { op: "add"; fd: number; mode: PumpMode }
  | { op: "remove"; fd: number }
  | { op: "stop" };

/** How an fd is watched: read when readable (cdev), or re-read from offset 0 on POLLPRI (sysfs). */
export type PumpMode = "read" | "pri";

/** What the worker reports. */
export type PumpReport =
  | { op: "data"; fd: number; bytes: Uint8Array }
  | { op: "error"; fd: number; errno: number }
  | { op: "removed"; fd: number }
  | { op: "stopped" };

// <poll.h>
const POLLIN = 1;
const POLLPRI = 2;
const POLLERR = 8;
const POLLHUP = 16;
const POLLNVAL = 32;
/** sizeof(struct pollfd): int fd; short events; short revents. */
const POLLFD_BYTES = 8;

// Only a worker thread loads this file: the main thread imports its types, which erase.
const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<PumpCommand>) => void) | null;
  postMessage(m: PumpReport): void;
};

const c = dlopen(LIBC_PATH, {
  poll: { args: ["ptr", "u64", "i32"], returns: "i32" },
  read: { args: ["i32", "ptr", "u64"], returns: "i64" },
  pread: { args: ["i32", "ptr", "u64", "i64"], returns: "i64" },
  __errno_location: { args: [], returns: "ptr" },
}).symbols;

let wakeFd = -1;
let processed = 0;
let expected = 0;
let stopping = false;
let resume: (() => void) | undefined;
const fds = new Map<number, PumpMode>();
/** Up to 64 `struct gpio_v2_line_event` (48 bytes each) per read. */
const buf = new Uint8Array(48 * 64);
const counter = new Uint8Array(8);

scope.onmessage = (e) => {
  const m = e.data;
  if (m.op === "init") {
    wakeFd = m.wakeFd;
    void loop();
    return;
  }
  if (m.op === "add") fds.set(m.fd, m.mode === "pri" ? "pri" : "read");
  else if (m.op === "remove") {
    fds.delete(m.fd);
    scope.postMessage({ op: "removed", fd: m.fd });
  } else stopping = true;
  processed++;
  if (resume && processed >= expected) {
    const r = resume;
    resume = undefined;
    r();
  }
};

function errno(): number {
  return errnoFrom(c.__errno_location);
}

/** Reports what one ready fd has, or its failure (the fd is then dropped). */
function drain(fd: number, revents: number): void {
  if (fds.get(fd) === "pri" && !(revents & POLLNVAL)) {
    // A sysfs attribute notification: reading from offset 0 returns the new value and re-arms poll.
    const n = Number(c.pread(fd, ptr(buf), 64n, 0n));
    if (n >= 0) return scope.postMessage({ op: "data", fd, bytes: buf.slice(0, n) });
  }
  if (revents & POLLIN) {
    const n = Number(c.read(fd, ptr(buf), BigInt(buf.length)));
    if (n > 0) return scope.postMessage({ op: "data", fd, bytes: buf.slice(0, n) });
  }
  if (revents & (POLLERR | POLLHUP | POLLNVAL)) {
    fds.delete(fd);
    scope.postMessage({ op: "error", fd, errno: errno() });
  }
}

async function loop(): Promise<void> {
  for (;;) {
    const list = [wakeFd, ...fds.keys()];
    const pfd = new Uint8Array(list.length * POLLFD_BYTES);
    const dv = new DataView(pfd.buffer);
    list.forEach((fd, i) => {
      dv.setInt32(i * POLLFD_BYTES, fd, true);
      dv.setInt16(i * POLLFD_BYTES + 4, i > 0 && fds.get(fd) === "pri" ? POLLPRI | POLLERR : POLLIN, true);
    });
    const r = c.poll(ptr(pfd), BigInt(list.length), -1);
    if (r < 0) continue; // EINTR
    for (let i = 1; i < list.length; i++) {
      const revents = dv.getInt16(i * POLLFD_BYTES + 6, true);
      if (revents !== 0) drain(list[i]!, revents);
    }
    if (dv.getInt16(6, true) & POLLIN) {
      if (Number(c.read(wakeFd, ptr(counter), 8n)) === 8) expected += Number(new DataView(counter.buffer).getBigUint64(0, true));
      if (processed < expected) await new Promise<void>((r) => (resume = r));
      if (stopping) {
        scope.postMessage({ op: "stopped" });
        return;
      }
    }
  }
}
