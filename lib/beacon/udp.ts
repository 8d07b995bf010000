/**
 * The UDP adapter (node:dgram, which Bun implements with SO_REUSEADDR, SO_BROADCAST and multicast
 * membership). The only file of this folder that opens sockets. Received datagrams are read as an async
 * iterable through a bounded queue: when the reader falls behind, new datagrams are dropped and counted.
 */
import { createSocket } from "node:dgram";
import { NetError } from "../net/index.ts";

/** One received datagram. */
export interface Datagram {
  readonly data: Uint8Array;
  /** Source IPv4 address. */
  readonly address: string;
  readonly port: number;
}

/** Where datagrams are sent. */
export interface DatagramSink {
  /** Sends one datagram. @throws {NetError} when the OS refuses */
  send(data: Uint8Array, port: number, address: string): Promise<void>;
}

/** An open UDP socket. */
export interface UdpEndpoint extends DatagramSink, AsyncIterable<Datagram>, AsyncDisposable {
  /** The bound port. */
  readonly port: number;
  /**
   * Everything queued at once, as arrays (one promise per batch rather than per datagram, for receive
   * loops under load). Use either this or the datagram iterator, not both.
   */
  batches(): AsyncIterable<readonly Datagram[]>;
  /** Datagrams dropped because the queue was full. */
  readonly overflowed: number;
  /** Closes the socket and ends the iteration. Idempotent. */
  close(): Promise<void>;
}

/** Options for {@link openUdp}. */
export interface OpenUdpOptions {
  /** Port to bind; 0 picks one. @default 0 */
  port?: number;
  /** Address to bind. @default "0.0.0.0" */
  address?: string;
  /** SO_REUSEADDR, so several receivers on one host all get each broadcast. @default true */
  reuseAddr?: boolean;
  /** SO_BROADCAST (needed to send to a broadcast address). @default false */
  broadcast?: boolean;
  /** Multicast group to join, and the local address of the interface to join it on. */
  multicast?: { group: string; interface?: string };
  /** Local address multicast sends leave from (e.g. "127.0.0.1"). */
  multicastInterface?: string;
  /** Received datagrams held for a slow reader. @default 4096 */
  maxQueued?: number;
  /** Called for each datagram dropped because the queue is full. */
  onOverflow?: () => void;
}

/**
 * Opens and binds a UDP socket.
 * @returns the socket, readable as an async iterable of datagrams (one reader)
 * @throws {NetError} when the bind fails (port in use, no permission, unknown address)
 */
export async function openUdp(options: OpenUdpOptions = {}): Promise<UdpEndpoint> {
  const socket = createSocket({ type: "udp4", reuseAddr: options.reuseAddr ?? true });
  const maxQueued = options.maxQueued ?? 4096;
  const queue: Datagram[] = [];
  let waiting: ((r: IteratorResult<Datagram>) => void) | undefined;
  let waitingBatch: ((r: IteratorResult<readonly Datagram[]>) => void) | undefined;
  let closed = false;
  let overflowed = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(options.port ?? 0, options.address ?? "0.0.0.0", () => {
        socket.off("error", reject);
        resolve();
      });
    });
    if (options.broadcast) socket.setBroadcast(true);
    if (options.multicastInterface) socket.setMulticastInterface(options.multicastInterface);
    if (options.multicast) socket.addMembership(options.multicast.group, options.multicast.interface);
  } catch (err) {
    socket.close();
    const code = (err as NodeJS.ErrnoException).code;
    const where = `${options.address ?? "0.0.0.0"}:${options.port ?? 0}`;
    const hint = code === "EADDRINUSE" ? " (port in use; another receiver without SO_REUSEADDR?)" : code === "EACCES" ? " (permission denied)" : "";
    throw new NetError(`cannot open UDP socket on ${where}${options.multicast ? ` joined to ${options.multicast.group}` : ""}: ${(err as Error).message}${hint}`, { cause: err, ...(code !== undefined && { code }) });
  }
  socket.on("error", () => {
    // Asynchronous socket errors (ICMP unreachable and the like) must not end the process; sends report
    // their own errors through their callback.
  });
  socket.on("message", (msg: Buffer, rinfo) => {
    const d: Datagram = { data: new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), address: rinfo.address, port: rinfo.port };
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w({ value: d, done: false });
    } else if (waitingBatch) {
      const w = waitingBatch;
      waitingBatch = undefined;
      w({ value: [d], done: false });
    } else if (queue.length < maxQueued) queue.push(d);
    else {
      overflowed++;
      options.onOverflow?.();
    }
  });
  const port = socket.address().port;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
    const w = waiting;
    waiting = undefined;
    w?.({ value: undefined, done: true });
    const wb = waitingBatch;
    waitingBatch = undefined;
    wb?.({ value: undefined, done: true });
  };
  return {
    port,
    get overflowed() {
      return overflowed;
    },
    send: (data, toPort, address) =>
      new Promise<void>((resolve, reject) => {
        if (closed) return reject(new NetError("socket is closed"));
        socket.send(data, toPort, address, (err) => {
          if (err) {
            const code = (err as NodeJS.ErrnoException).code;
            reject(new NetError(`send to ${address}:${toPort} failed: ${err.message}`, { cause: err, ...(code !== undefined && { code }) }));
          } else resolve();
        });
      }),
    close,
    [Symbol.asyncDispose]: close,
    batches: () => ({
      [Symbol.asyncIterator]: (): AsyncIterator<readonly Datagram[]> => ({
        next: () => {
          if (queue.length > 0) return Promise.resolve({ value: queue.splice(0), done: false });
          if (closed) return Promise.resolve({ value: undefined, done: true });
          return new Promise((resolve) => (waitingBatch = resolve));
        },
        return: async () => {
          await close();
          return { value: undefined, done: true };
        },
      }),
    }),
    [Symbol.asyncIterator](): AsyncIterator<Datagram> {
      return {
        next: () => {
          const d = queue.shift();
          if (d) return Promise.resolve({ value: d, done: false });
          if (closed) return Promise.resolve({ value: undefined, done: true });
          return new Promise((resolve) => (waiting = resolve));
        },
        return: async () => {
          await close();
          return { value: undefined, done: true };
        },
      };
    },
  };
}

/** Sockets opened by {@link openUdp}, for callers that inject their own (tests, benchmarks). */
export type OpenUdp = typeof openUdp;
