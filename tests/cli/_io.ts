/**
 * Test helper: a {@link CliIo} that keeps what an in-process command prints, and waits on it (event-driven,
 * always with a deadline, never a sleep). Also what a terminal must never receive from a peer.
 */
import type { CliIo } from "../../lib/cli/index.ts";
import { Changes } from "../_lines.ts";

/** Control and bidi characters a terminal acts on (ESC, BEL, C1, bidi marks), newline and tab excepted. */
export const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

/** What {@link captureIo} returns. */
export interface CapturedIo {
  readonly io: CliIo;
  /** Everything written to stdout so far. */
  readonly out: string;
  /** Everything written to stderr so far. */
  readonly err: string;
  /**
   * Resolves with the first truthy value of `check()`, re-checked after every write.
   * @throws Error naming `what` (and what was printed) at the deadline
   */
  until<T>(check: () => T | undefined | null | false, what: string, timeoutMs?: number): Promise<T>;
}

/**
 * A capturing io: NO_COLOR set, not a terminal unless `tty`.
 * @example const c = captureIo(); await command.run([...], c.io, signal); assert.match(c.out, /.../);
 */
export function captureIo(o: { tty?: boolean; columns?: number; rows?: number } = {}): CapturedIo {
  const changes = new Changes();
  let out = "";
  let err = "";
  const io: CliIo = {
    out: (t) => {
      out += t;
      changes.notify();
    },
    err: (t) => {
      err += t;
      changes.notify();
    },
    env: { NO_COLOR: "1" },
    stdoutIsTTY: o.tty === true,
    ...(o.columns !== undefined && { columns: o.columns }),
    ...(o.rows !== undefined && { rows: o.rows }),
  };
  return {
    io,
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    until(check, what, timeoutMs = 15_000) {
      return changes.until(check, { timeoutMs, failure: (why) => `${why} waiting for ${what}; stdout: ${JSON.stringify(out.slice(-2000))}; stderr: ${JSON.stringify(err.slice(-2000))}` });
    },
  };
}

/** The text of the last frame of a live view (after its last cursor-home), without the view's own codes. */
export function lastFrame(out: string): string {
  return (out.split("\x1b[H").pop() ?? "").replace(/\x1b\[[JK]/g, "");
}
