/**
 * The send path: one beacon to every target every interval, starting at once, and a goodbye to every
 * target when the signal aborts (clean shutdown). Send errors are counted, never fatal.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { BeaconBuilder } from "./builder.ts";
import { BeaconCounters } from "./counters.ts";
import type { DatagramSink } from "../net/index.ts";

/** Options for {@link runBeaconSender}. */
export interface BeaconSenderOptions {
  /** Stops sending; a goodbye follows when `goodbye` says so. */
  signal: AbortSignal;
  socket: DatagramSink;
  builder: BeaconBuilder;
  /** Addresses to send to (broadcast addresses, or unicast); `ADDR:PORT` sends that one to its own port. */
  targets: readonly string[];
  port: number;
  intervalMs: number;
  /**
   * Send a goodbye on abort; a function is asked then (a task replaced by a newer one with the same identity
   * says no). @default true
   */
  goodbye?: boolean | (() => boolean);
  /** @default new BeaconCounters() */
  counters?: BeaconCounters;
  /** Called after each datagram is sent (for `--debug`). */
  onSent?: (target: string, data: Uint8Array) => void;
  /** Called on each send error. */
  onError?: (target: string, error: unknown) => void;
}

const ignore = (): void => undefined;

/**
 * A target as address and port: `ADDR:PORT` carries its own port, a bare address takes `port`.
 * @example splitTarget("127.0.0.1:9001", 9000) // { address: "127.0.0.1", port: 9001 }
 */
export function splitTarget(target: string, port: number): { address: string; port: number } {
  const i = target.lastIndexOf(":");
  return i < 0 ? { address: target, port } : { address: target.slice(0, i), port: Number(target.slice(i + 1)) };
}

/** "ADDR:PORT" of a target, for messages. */
export function formatTarget(target: string, port: number): string {
  const t = splitTarget(target, port);
  return `${t.address}:${t.port}`;
}

async function sendAll(o: BeaconSenderOptions, counters: BeaconCounters, data: Uint8Array): Promise<void> {
  await Promise.all(
    o.targets.map(async (target) => {
      try {
        const to = splitTarget(target, o.port);
        await o.socket.send(data, to.port, to.address);
        counters.recordSent(data.length);
        o.onSent?.(target, data);
      } catch (err) {
        counters.recordError();
        o.onError?.(target, err);
      }
    }),
  );
}

/**
 * Sends beacons until the signal aborts, then a goodbye. Resolves after the goodbye is sent.
 */
export async function runBeaconSender(options: BeaconSenderOptions): Promise<void> {
  const counters = options.counters ?? new BeaconCounters();
  const { signal } = options;
  while (!signal.aborted) {
    const started = performance.now();
    await sendAll(options, counters, await options.builder.build());
    if (signal.aborted) break;
    const waitMs = Math.max(0, options.intervalMs - (performance.now() - started));
    // Rejects with an AbortError on abort, which the loop condition then sees.
    await sleep(waitMs, undefined, { signal }).catch(ignore);
  }
  const goodbye = options.goodbye ?? true;
  if (typeof goodbye === "function" ? goodbye() : goodbye) await sendAll(options, counters, await options.builder.build(true));
}
