/**
 * The narrow interface between ZMTP sessions and the operating system's sockets. The adapter
 * ({@link bunTransport} in `bun-transport.ts`) is the only file that touches real sockets; sessions and
 * sockets receive a `Transport` as an option, so tests can pass their own.
 */
import type { Endpoint } from "./endpoint.ts";

/** What a connection reports to its owner. */
export interface ConnectionHandler {
  /** Bytes arrived (the chunk may be reused after the call returns: copy what you keep). */
  data(chunk: Uint8Array): void;
  /** The kernel took what was pending: write more. */
  drain(): void;
  /** The connection ended (by either side, or an error). Called once. */
  closed(error?: unknown): void;
}

/** One byte-stream connection. */
export interface Connection {
  /**
   * Writes as much of `bytes` as the kernel takes now.
   * @returns the number of bytes taken; the caller keeps the rest and retries on `drain`
   */
  write(bytes: Uint8Array): number;
  /** Closes the connection (idempotent); `closed` follows. */
  close(): void;
  /** The peer's address for logs (`10.0.0.5:41234`, or the ipc path). */
  readonly remote: string;
}

/** A bound listener. */
export interface Listener {
  /** The endpoint actually bound (an ephemeral port resolved). */
  readonly endpoint: Endpoint;
  /** Stops accepting (idempotent); existing connections stay. */
  close(): void;
}

/** Opens listeners and outgoing connections. */
export interface Transport {
  /**
   * Binds and accepts connections; `accept` returns the handler of each new connection.
   * @throws {TransportError} when the address cannot be bound
   */
  listen(endpoint: Endpoint, accept: (conn: Connection) => ConnectionHandler): Promise<Listener>;
  /**
   * Connects once.
   * @throws {TransportError} when the connection is refused or fails
   */
  connect(endpoint: Endpoint, open: (conn: Connection) => ConnectionHandler): Promise<Connection>;
}
