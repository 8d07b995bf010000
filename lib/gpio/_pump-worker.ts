/**
 * The source of the worker that waits for GPIO events with `poll(2)` (through bun:ffi), so the main thread's
 * event loop never blocks: cdev line request fds (mode "read": readable means line events to read) and sysfs
 * `value` fds (mode "pri": POLLPRI/POLLERR means the kernel saw an edge; re-read from offset 0). One worker
 * per driver multiplexes all its lines. It is kept as a string and started from a Blob URL so `bun build --compile` needs no extra
 * entry point.
 *
 * Protocol (main -> worker): {op:"init", wakeFd}, {op:"add", fd, mode}, {op:"remove", fd}, {op:"stop"}; every
 * message after init is followed by a write of 1 to the eventfd `wakeFd`, and the worker handles as many
 * messages as the counter says before polling again. Worker -> main: {op:"data", fd, bytes},
 * {op:"error", fd, errno}, {op:"removed", fd}, {op:"stopped"}.
 */
export const PUMP_WORKER_SOURCE = `
import { dlopen, ptr, read as readPtr } from "bun:ffi";
const c = dlopen("libc.so.6", {
  poll: { args: ["ptr", "u64", "i32"], returns: "i32" },
  read: { args: ["i32", "ptr", "u64"], returns: "i64" },
  pread: { args: ["i32", "ptr", "u64", "i64"], returns: "i64" },
  __errno_location: { args: [], returns: "ptr" },
}).symbols;
const POLLIN = 1, POLLPRI = 2, POLLERR = 8, POLLHUP = 16, POLLNVAL = 32;
let wakeFd = -1, processed = 0, expected = 0, stopping = false, resume = null;
const fds = new Map(); // fd -> mode
const buf = new Uint8Array(48 * 64);
const counter = new Uint8Array(8);
self.onmessage = (e) => {
  const m = e.data;
  if (m.op === "init") { wakeFd = m.wakeFd; loop(); return; }
  if (m.op === "add") fds.set(m.fd, m.mode === "pri" ? "pri" : "read");
  else if (m.op === "remove") { fds.delete(m.fd); postMessage({ op: "removed", fd: m.fd }); }
  else if (m.op === "stop") stopping = true;
  processed++;
  if (resume && processed >= expected) { const r = resume; resume = null; r(); }
};
async function loop() {
  for (;;) {
    const list = [wakeFd, ...fds.keys()];
    const pfd = new Uint8Array(list.length * 8);
    const dv = new DataView(pfd.buffer);
    list.forEach((fd, i) => { dv.setInt32(i * 8, fd, true); dv.setInt16(i * 8 + 4, i > 0 && fds.get(fd) === "pri" ? POLLPRI | POLLERR : POLLIN, true); });
    const r = c.poll(ptr(pfd), BigInt(list.length), -1);
    if (r < 0) continue; // EINTR
    for (let i = 1; i < list.length; i++) {
      const rev = dv.getInt16(i * 8 + 6, true);
      if (rev === 0) continue;
      const fd = list[i];
      if (fds.get(fd) === "pri" && !(rev & POLLNVAL)) {
        // sysfs attribute notification: reading from offset 0 returns the new value and re-arms poll.
        const n = Number(c.pread(fd, ptr(buf), 64n, 0n));
        if (n >= 0) { postMessage({ op: "data", fd, bytes: buf.slice(0, n) }); continue; }
      }
      if (rev & POLLIN) {
        const n = Number(c.read(fd, ptr(buf), BigInt(buf.length)));
        if (n > 0) { postMessage({ op: "data", fd, bytes: buf.slice(0, n) }); continue; }
      }
      if (rev & (POLLERR | POLLHUP | POLLNVAL)) {
        fds.delete(fd);
        postMessage({ op: "error", fd, errno: readPtr.i32(c.__errno_location(), 0) });
      }
    }
    if (dv.getInt16(6, true) & POLLIN) {
      if (Number(c.read(wakeFd, ptr(counter), 8n)) === 8) expected += Number(new DataView(counter.buffer).getBigUint64(0, true));
      if (processed < expected) await new Promise((r) => { resume = r; });
      if (stopping) { postMessage({ op: "stopped" }); return; }
    }
  }
}
`;
