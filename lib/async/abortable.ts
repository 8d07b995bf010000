/**
 * Waiting on one step of work *or* a stop signal without leaking. `Promise.race([step, stopped])` in a loop
 * adds a reaction to the long-lived `stopped` promise on every turn, and each reaction keeps that turn's
 * result (a batch of datagrams, a frame) reachable until `stopped` settles — for a receive loop, forever.
 * {@link untilAborted} instead makes one short-lived promise per wait and removes its abort listener as soon
 * as the step settles, so nothing outlives the turn.
 */
import { setTimeout as sleep } from "node:timers/promises";

/**
 * Resolves with `step`'s value, or with `undefined` as soon as `signal` aborts (at once when it already
 * has). The abort listener is removed when `step` settles, so calling it once per loop turn keeps nothing
 * of earlier turns alive. A rejection of `step` is passed on (after an abort it is swallowed).
 * @param step the work to wait for (e.g. `iterator.next()`)
 * @param signal stops the wait
 * @returns the value, or undefined when the signal won
 * @example
 * for (;;) {
 *   const r = await untilAborted(it.next(), signal);
 *   if (r === undefined || r.done) break;
 *   handle(r.value);
 * }
 */
export function untilAborted<T>(step: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) {
    step.catch(swallow);
    return Promise.resolve(undefined);
  }
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = (): void => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    step.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        // After an abort the outer promise is settled already; this only keeps the rejection handled.
        reject(err);
      },
    );
  });
}

/**
 * Resolves after `ms`, or early when `signal` aborts; never rejects (an abort is an ordinary end of the wait).
 * @example await sleepUnlessAborted(1000, signal); if (signal.aborted) return;
 */
export function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  return sleep(ms, undefined, { signal }).catch(swallow);
}

function swallow(): void {}
