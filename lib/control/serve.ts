/**
 * The control target as one long-running task, for `disco-server` and the daemon: binds the control port,
 * serves remote GPIO and the declared queries until the signal aborts, returns the counters.
 */
import type { ControlConfig, GpioConfig } from "../config/index.ts";
import { deriveChannelId, type Keyring } from "../crypto/index.ts";
import { BURST_RECV_BUFFER_BYTES, openUdp } from "../net/index.ts";
import { spawnQuery } from "./_spawn.ts";
import { createRemoteGpio, type LinesSource } from "./gpio.ts";
import { createRemoteQueries, type QuerySpawner } from "./query.ts";
import { ControlServer, runControlServer, type ControlCounters, type ControlEvent } from "./server.ts";

/** Options for {@link serveControl}. */
export interface ServeControlOptions {
  signal: AbortSignal;
  /** `[control]` and `[[query]]`, with command-line overrides applied (port 0 lets the OS choose). */
  config: ControlConfig;
  /** The channel name (`[discovery] magic`). */
  magic: string;
  /** Address to bind. @default "0.0.0.0" */
  listen?: string;
  /** The keyring of purpose "control"; without one every request is refused as unsealed. */
  keyring?: Keyring;
  /** Silence for what does not authenticate. @default true */
  hidden?: boolean;
  /** `[gpio]` and its opened lines, when this host serves GPIO. */
  gpio?: { readonly config: GpioConfig; readonly lines: LinesSource };
  /** The queries' base environment (from the CLI). @default {} */
  env?: Readonly<Record<string, string | undefined>>;
  /** This host's name (DISCO_HOST for queries). */
  host?: string;
  /** Runs query commands. @default Bun.spawn */
  spawn?: QuerySpawner;
  /** Called once the socket is bound. */
  onListening?: (address: string, port: number) => void;
  /** Every write, query, refusal and drop. */
  onEvent?: (e: ControlEvent) => void;
  /** Receives the server, e.g. to read its counters while it runs. */
  onServer?: (s: ControlServer) => void;
}

/**
 * Serves control until `signal` aborts.
 * @returns the final counters
 * @throws {NetError} when the port cannot be bound
 */
export async function serveControl(o: ServeControlOptions): Promise<ControlCounters> {
  const c = o.config;
  const server = new ControlServer({
    channelId: await deriveChannelId(o.magic),
    ...(o.keyring && { keyring: o.keyring }),
    hidden: o.hidden ?? true,
    ...(o.gpio && { gpio: createRemoteGpio(o.gpio.config, o.gpio.lines) }),
    ...(c.queries.length > 0 && {
      queries: createRemoteQueries(c.queries, o.spawn ?? spawnQuery, { maxConcurrent: c.maxConcurrentQueries, ...(o.env && { env: o.env }), ...(o.host !== undefined && { host: o.host }) }),
    }),
    challenges: { ttlMs: c.challengeTtlMs },
    ...(o.host !== undefined && { host: o.host }),
    ...(o.onEvent && { onEvent: o.onEvent }),
  });
  o.onServer?.(server);
  // A burst (or a flood) waits in the kernel while the loop is busy, as at the discovery port: with the
  // default buffer, a flood of forged requests cost legitimate ones (97.8% answered, bench/flood.bench.ts).
  const socket = await openUdp({ address: o.listen ?? "0.0.0.0", port: c.port, recvBufferBytes: BURST_RECV_BUFFER_BYTES });
  o.onListening?.(socket.address, socket.port);
  await runControlServer(socket, server, { signal: o.signal });
  return server.counters;
}

/** Whether a config has anything to serve remotely (GPIO lines or queries). */
export function hasControlToServe(config: { readonly gpio: GpioConfig; readonly control: ControlConfig }): boolean {
  return config.control.enabled && (config.gpio.enabled || config.control.queries.length > 0);
}
