/** Collects a socket's events so a test waits for one (with a deadline) instead of sleeping. */
import type { SocketEvent, ZmtpSocket } from "../../lib/zmtp/index.ts";
import { Changes } from "../_lines.ts";

/** A running collection of `socket`'s events; `stop()` ends it. */
export function watch(socket: Pick<ZmtpSocket, "events">) {
  const seen: SocketEvent[] = [];
  const changes = new Changes();
  const ac = new AbortController();
  void (async () => {
    for await (const e of socket.events(ac.signal)) {
      seen.push(e);
      changes.notify();
    }
  })();
  return {
    seen,
    stop: () => ac.abort(),
    /** Events of `type` so far. */
    count: (type: SocketEvent["type"], reason?: string) => seen.filter((e) => e.type === type && (reason === undefined || (e.type === "rejected" && e.reason === reason))).length,
    /**
     * Waits for the first event that satisfies `match` (re-checked on every event); `match` may ignore its
     * argument and test counts instead.
     */
    until(match: (e: SocketEvent) => boolean, ms = 10_000): Promise<SocketEvent> {
      return changes.until(() => seen.find(match), { timeoutMs: ms, failure: () => `no matching event in ${JSON.stringify(seen.map((x) => (x.type === "rejected" ? `rejected:${x.reason}` : x.type)))}` });
    },
  };
}
