/** Waiting for sysfs files that appear only after an `export` write (GPIO lines, PWM channels). */
import { setTimeout as sleep } from "node:timers/promises";
import { errnoOf } from "./errors.ts";

/**
 * Runs `attempt` until it succeeds, retrying every 20 ms while it fails because the exported files are
 * not there yet (ENOENT) or udev has not yet given them their group (EACCES), until `timeoutMs` passes.
 * @returns what `attempt` returned
 * @throws the last error of `attempt` once the time is up, or any other error at once
 */
export async function retryAfterExport<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      const code = errnoOf(err);
      if ((code !== "ENOENT" && code !== "EACCES") || Date.now() >= deadline) throw err;
      await sleep(20);
    }
  }
}
