/**
 * The UDP adapter for discovery (node:dgram, which Bun implements): a socket whose received datagrams are an
 * async iterable with a bounded queue, with promise-based send and an idempotent close.
 */
import dgram from "node:dgram";
import { NetError } from "../net/index.ts";

/** One received datagram. */
export interface Datagram {
  readonly data: Uint8Array;
  readonly address: string;
  readonly port: number;
}

/** A bound UDP socket. */
export interface UdpSocket extends AsyncIterable<Datagram>, AsyncDisposable {
  /** The bound address and port (the port the OS chose for port 0). */
  readonly address: string;
  readonly port: number;
  /** Datagrams dropped because the receive queue was full. */
  readonly queueDrops: number;
  /**
   * Sends one datagram.
   * @throws {NetError} when the OS refuses (e.g. EACCES for broadcast without SO_BROADCAST, ENETUNREACH)
   */
  send(data: Uint8Array, port: number, address: string): Promise<void>;
  /** Closes the socket and ends the iteration. Idempotent. */
  close(): Promise<void>;
}

/** Options for {@link openUdp}. */
export interface OpenUdpOptions {
  /** Address to bind. @default "0.0.0.0" */
  address?: string;
  /** Port to bind; 0 lets the OS choose. @default 0 */
  port?: number;
  /** Allow sending to broadcast addresses. @default false */
  broadcast?: boolean;
  /** SO_REUSEADDR (several servers on one port, e.g. one per address). @default false */
  reuseAddr?: boolean;
  /** Join this multicast group. */
  multicastGroup?: string;
  /** Local address for multicast: membership and outgoing interface. */
  multicastInterface?: string;
  /** Datagrams buffered while the reader is busy; more are dropped (and counted). @default 1024 */
  maxQueue?: number;
}

/**
 * Opens and binds a UDP socket.
 * @returns the socket; iterate it for datagrams, `await using` or `close()` it
 * @throws {NetError} when binding or joining the group fails (EADDRINUSE, EADDRNOTAVAIL, ...)
 */
export async function openUdp(options: OpenUdpOptions = {}): Promise<UdpSocket> {
  const sock = dgram.createSocket({ type: "udp4", reuseAddr: options.reuseAddr ?? false });
  const maxQueue = options.maxQueue ?? 1024;
  const queue: Datagram[] = [];
  let waiter: ((r: IteratorResult<Datagram>) => void) | undefined;
  let closed = false;
  let queueDrops = 0;
  let closing: Promise<void> | undefined;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => {
      sock.close();
      const code = (err as NodeJS.ErrnoException).code;
      reject(new NetError(`cannot bind UDP ${options.address ?? "0.0.0.0"}:${options.port ?? 0}: ${code ?? err.message}`, { cause: err, ...(code !== undefined && { code }) }));
    };
    sock.once("error", onError);
    sock.bind(options.port ?? 0, options.address ?? "0.0.0.0", () => {
      sock.off("error", onError);
      resolve();
    });
  });
  try {
    if (options.broadcast) sock.setBroadcast(true);
    if (options.multicastInterface !== undefined) sock.setMulticastInterface(options.multicastInterface);
    if (options.multicastGroup !== undefined) sock.addMembership(options.multicastGroup, options.multicastInterface);
  } catch (err) {
    sock.close();
    const code = (err as NodeJS.ErrnoException).code;
    throw new NetError(`cannot set up multicast/broadcast on UDP socket: ${code ?? (err as Error).message}`, { cause: err, ...(code !== undefined && { code }) });
  }
  // Errors after bind (ICMP unreachable reported on some systems) must not end the process.
  sock.on("error", () => undefined);
  sock.on("message", (msg: Buffer, rinfo: dgram.RemoteInfo) => {
    const d: Datagram = { data: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), address: rinfo.address, port: rinfo.port };
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w({ value: d, done: false });
    } else if (queue.length < maxQueue) queue.push(d);
    else queueDrops++;
  });
  const bound = sock.address();

  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      closed = true;
      if (waiter) {
        const w = waiter;
        waiter = undefined;
        w({ value: undefined, done: true });
      }
      try {
        sock.close(() => resolve());
      } catch {
        resolve();
      }
    });
    return closing;
  };

  return {
    address: bound.address,
    port: bound.port,
    get queueDrops() {
      return queueDrops;
    },
    send(data, port, address) {
      return new Promise<void>((resolve, reject) => {
        if (closed) return reject(new NetError("send on a closed socket"));
        // A pending ICMP "port unreachable" from an earlier datagram (to someone else) surfaces as
        // ECONNREFUSED on the next send and that datagram is lost: retry it once.
        const attempt = (retry: boolean) =>
          sock.send(data, port, address, (err) => {
            if (!err) return resolve();
            const code = (err as NodeJS.ErrnoException).code;
            if (retry && code === "ECONNREFUSED" && !closed) return attempt(false);
            reject(new NetError(`cannot send to ${address}:${port}: ${code ?? err.message}`, { cause: err, ...(code !== undefined && { code }) }));
          });
        attempt(true);
      });
    },
    close,
    [Symbol.asyncDispose]: close,
    [Symbol.asyncIterator](): AsyncIterator<Datagram> {
      return {
        next: () => {
          const d = queue.shift();
          if (d) return Promise.resolve({ value: d, done: false });
          if (closed) return Promise.resolve({ value: undefined, done: true });
          return new Promise((resolve) => (waiter = resolve));
        },
        return: async () => {
          await close();
          return { value: undefined, done: true };
        },
      };
    },
  };
}
