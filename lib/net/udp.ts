/**
 * The UDP adapter shared by discovery and beacons, on Bun's native `Bun.udpSocket` (node:dgram in Bun is a
 * JS layer over the same socket that adds an EventEmitter emit, an rinfo object and a Buffer conversion per
 * datagram: about a third of a bare echo's CPU). Received datagrams are read as an async iterable (one by
 * one or in batches) through a bounded queue: when the reader falls behind, new datagrams are dropped and
 * counted. Sends the kernel cannot take at once (EAGAIN) wait in a bounded queue until the socket drains.
 *
 * Listening on one unicast address: Linux delivers a broadcast only to sockets bound to the wildcard or to
 * that broadcast address, and a multicast datagram only to sockets bound to the wildcard or the group. With
 * `hearInterface`, an endpoint bound to a unicast address therefore binds siblings on the same port (the
 * interface's directed broadcast address, and the multicast group), reads them all as one stream, and sends
 * only from the unicast socket, so replies leave from the address it was told to listen on.
 */
import { NetError } from "./errors.ts";
import { getRecvBufferBytes, setRecvBufferBytes } from "./_sockopt.ts";
import { listIpv4Interfaces, type Ipv4Interface } from "./interfaces.ts";

/** One received datagram. */
export interface Datagram {
  /** Its bytes, in memory of its own (a Buffer Bun allocates per datagram: its slice() is a view, which is safe here). */
  readonly data: Uint8Array;
  /** Source IPv4 address. */
  readonly address: string;
  readonly port: number;
}

/** Where datagrams are sent. */
export interface DatagramSink {
  /** Sends one datagram. @throws {NetError} when the OS refuses (EACCES for broadcast without SO_BROADCAST, ENETUNREACH, ...) */
  send(data: Uint8Array, port: number, address: string): Promise<void>;
}

/** A datagram to send. */
export interface OutgoingDatagram {
  readonly data: Uint8Array;
  readonly port: number;
  readonly address: string;
}

/** An open, bound UDP socket. */
export interface UdpEndpoint extends DatagramSink, AsyncIterable<Datagram>, AsyncDisposable {
  /**
   * Sends one datagram without a promise (for receive loops that answer every datagram): `done` gets
   * nothing on success, or the {@link NetError} `send` would reject with. `done` may run before `post`
   * returns (the kernel usually takes the datagram at once).
   */
  post(data: Uint8Array, port: number, address: string, done?: (error?: NetError) => void): void;
  /**
   * {@link post} for several datagrams at once, in order: one `sendmmsg(2)` for as many as the kernel takes
   * (a receive loop answering a batch). `done` runs once per datagram, as for `post`.
   */
  postMany(datagrams: readonly OutgoingDatagram[], done?: (error?: NetError) => void): void;
  /** The bound address. */
  readonly address: string;
  /** The bound port (the one the OS chose for port 0). */
  readonly port: number;
  /**
   * Everything queued at once, as arrays (one promise per batch rather than per datagram, for receive
   * loops under load). Use either this or the datagram iterator, not both.
   */
  batches(): AsyncIterable<readonly Datagram[]>;
  /** Datagrams dropped because the queue was full. */
  readonly overflowed: number;
  /** Extra addresses bound on the same port to hear the interface (`hearInterface`); empty otherwise. */
  readonly siblings: readonly SiblingBinding[];
  /** SO_RCVBUF of the sending socket as the kernel reports it (twice what it grants the data), or -1. */
  readonly recvBufferBytes: number;
  /** Closes the socket and ends the iteration. Idempotent. */
  close(): Promise<void>;
}

/**
 * The SO_RCVBUF receiving sockets that take bursts ask for (the kernel caps it at net.core.rmem_max): a few
 * thousand datagrams wait in the kernel while the loop is busy or descheduled, so a burst (or a flood) costs
 * that buffer, not the datagrams that arrive with it. Discovery and the beacon sockets use it.
 */
export const BURST_RECV_BUFFER_BYTES = 4 << 20;

/** Options for {@link openUdp}. */
export interface OpenUdpOptions {
  /** Address to bind. @default "0.0.0.0" */
  address?: string;
  /** Port to bind; 0 lets the OS choose. @default 0 */
  port?: number;
  /** SO_REUSEADDR, so several receivers on one host all get each broadcast. @default false */
  reuseAddr?: boolean;
  /** SO_BROADCAST (needed to send to a broadcast address). @default false */
  broadcast?: boolean;
  /** Multicast group to join, and the local address of the interface to join it on. */
  multicast?: { group: string; interface?: string };
  /** Local address multicast sends leave from (e.g. "127.0.0.1"). */
  multicastInterface?: string;
  /**
   * Received datagrams held for a slow reader; more are dropped (and counted). Also the bound of sends
   * waiting for the kernel (more fail with ENOBUFS). @default 4096
   */
  maxQueued?: number;
  /** Called for each datagram dropped because the queue is full. */
  onOverflow?: () => void;
  /**
   * When `address` is a unicast address of this host, also receive what its interface hears on this port:
   * its directed broadcasts, and the `multicast` group (joined on `multicast.interface`, else on `address`).
   * Replies still leave from `address`. Limited broadcasts (255.255.255.255) are heard only on the
   * wildcard address. @default false
   */
  hearInterface?: boolean;
  /**
   * SO_RCVBUF for every socket of the endpoint, so a burst waits in the kernel instead of being dropped
   * (the kernel caps it at net.core.rmem_max). @default the system's default
   */
  recvBufferBytes?: number;
  /** The interfaces to look `address` up in (tests). @default listIpv4Interfaces() */
  interfaces?: readonly Ipv4Interface[];
}

/** What an endpoint bound with `hearInterface` also listens on, besides its own address. */
export interface SiblingBinding {
  /** The address bound on the same port (a broadcast address or a multicast group). */
  readonly address: string;
  readonly kind: "broadcast" | "multicast";
}

type Waiter<T> = ((r: IteratorResult<T>) => void) | undefined;
type BunUdp = Bun.udp.Socket<"buffer">;

/** A send the kernel refused with EAGAIN, waiting for the socket to drain. */
interface PendingSend {
  readonly data: Uint8Array;
  readonly port: number;
  readonly address: string;
  readonly done: ((error?: NetError) => void) | undefined;
}

/** `Bun.udpSocket` bind flags (uSockets' LIBUS_LISTEN_*), which Bun's node:dgram passes too; not in bun-types. */
const LISTEN_REUSE_ADDR = 16;
const LISTEN_DISALLOW_REUSE_PORT_FAILURE = 32;

function netError(what: string, err: unknown): NetError {
  const code = (err as NodeJS.ErrnoException).code;
  return new NetError(`${what}: ${code ?? (err as Error).message}`, { cause: err, ...(code !== undefined && { code }) });
}

/**
 * Opens and binds a UDP socket.
 * @returns the socket, readable as an async iterable of datagrams or of batches (one reader); `await using`
 *   or `close()` it
 * @throws {NetError} when binding or joining the group fails (EADDRINUSE, EADDRNOTAVAIL, EACCES, ...)
 * @example
 * await using socket = await openUdp({ address: "127.0.0.1", port: 0 });
 * for await (const d of socket) await socket.send(d.data, d.port, d.address); // an echo
 */
export async function openUdp(options: OpenUdpOptions = {}): Promise<UdpEndpoint> {
  const maxQueued = options.maxQueued ?? 4096;
  const onOverflow = options.onOverflow;
  const reuseAddr = options.reuseAddr ?? false;
  const queue: Datagram[] = [];
  let waiting: Waiter<Datagram>;
  let waitingBatch: Waiter<readonly Datagram[]>;
  let closed = false;
  let closing: Promise<void> | undefined;
  let overflowed = 0;
  let flushScheduled = false;
  const flushBatch = (): void => {
    flushScheduled = false;
    const w = waitingBatch;
    if (!w || queue.length === 0) return;
    waitingBatch = undefined;
    w({ value: queue.splice(0), done: false });
  };
  const onMessage = (data: Uint8Array, port: number, address: string): void => {
    const d: Datagram = { data, address, port };
    if (waiting) {
      const w = waiting;
      waiting = undefined;
      w({ value: d, done: false });
    } else if (queue.length < maxQueued) {
      queue.push(d);
      // A waiting batch reader gets everything that arrives in this turn of the event loop as one batch,
      // not one datagram at a time: per-batch work is much cheaper.
      if (waitingBatch && !flushScheduled) {
        flushScheduled = true;
        setImmediate(flushBatch);
      }
    } else {
      overflowed++;
      onOverflow?.();
    }
  };
  const pending: PendingSend[] = [];
  // Set once the sending socket exists (the handler is shared by every socket of the endpoint).
  let sendNow: (p: PendingSend, retry: boolean) => boolean = () => false;
  const handler: Bun.udp.SocketHandler<"buffer"> = {
    data: (_s, data, port, address) => onMessage(data, port, address),
    // Asynchronous socket errors (ICMP unreachable and the like, from the kernel's error queue) must not end
    // the process or the endpoint; sends report their own errors.
    error: () => undefined,
    drain: () => {
      let sent = 0;
      while (sent < pending.length && sendNow(pending[sent]!, true)) sent++;
      pending.splice(0, sent);
    },
  };
  const address = options.address ?? "0.0.0.0";
  const socket = await bindSocket(address, options.port ?? 0, reuseAddr, handler);
  const sockets: BunUdp[] = [socket];
  const port = socket.port;
  const siblings: SiblingBinding[] = [];
  const where = `${address}:${port}`;
  const siblingsOf = options.hearInterface ? interfaceOf(address, options.interfaces ?? listIpv4Interfaces()) : undefined;
  try {
    if (options.broadcast) socket.setBroadcast(true);
    if (options.multicastInterface !== undefined) socket.setMulticastInterface(options.multicastInterface);
    if (options.multicast && !siblingsOf) socket.addMembership(options.multicast.group, options.multicast.interface);
  } catch (err) {
    socket.close();
    throw netError(`cannot set up ${options.multicast ? `multicast group ${options.multicast.group}` : "broadcast/multicast"} on UDP ${where}`, err);
  }
  if (siblingsOf) {
    try {
      if (siblingsOf.broadcast !== address) {
        sockets.push(await bindSocket(siblingsOf.broadcast, port, reuseAddr, handler));
        siblings.push({ address: siblingsOf.broadcast, kind: "broadcast" });
      }
      if (options.multicast) {
        const group = await bindSocket(options.multicast.group, port, reuseAddr, handler);
        sockets.push(group);
        try {
          group.addMembership(options.multicast.group, options.multicast.interface ?? address);
        } catch (err) {
          throw netError(`cannot join multicast group ${options.multicast.group} on ${options.multicast.interface ?? address}`, err);
        }
        siblings.push({ address: options.multicast.group, kind: "multicast" });
      }
    } catch (err) {
      for (const s of sockets) s.close();
      throw err;
    }
  }
  if (options.recvBufferBytes !== undefined) {
    for (const s of sockets) {
      try {
        setRecvBufferBytes(fdOf(s), options.recvBufferBytes);
      } catch {
        // Best effort (no libc to call): a smaller buffer only means earlier drops under a burst.
      }
    }
  }
  const bound = socket.address;

  /** Hands one datagram to the kernel; false when it would block (then it is still to be sent). */
  sendNow = (p, retry) => {
    try {
      if (!socket.send(p.data, p.port, p.address)) return false;
    } catch (err) {
      // A port unreachable from an earlier datagram can surface on this send: that datagram goes again.
      if (retry && (err as NodeJS.ErrnoException).code === "ECONNREFUSED" && !closed) return sendNow(p, false);
      p.done?.(netError(`cannot send to ${p.address}:${p.port}`, err));
      return true;
    }
    p.done?.();
    return true;
  };

  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      closed = true;
      const w = waiting;
      waiting = undefined;
      w?.({ value: undefined, done: true });
      const wb = waitingBatch;
      waitingBatch = undefined;
      wb?.({ value: undefined, done: true });
      for (const s of sockets) s.close();
      for (const p of pending.splice(0)) p.done?.(new NetError(`send to ${p.address}:${p.port} cancelled: the socket closed`, { code: "ECANCELED" }));
      // Bun closes a UDP socket synchronously; resolve on the next turn so readers see the end first.
      setImmediate(resolve);
    });
    return closing;
  };
  const post = (data: Uint8Array, toPort: number, address: string, done?: (error?: NetError) => void): void => {
    if (closed) return done?.(new NetError(`send to ${address}:${toPort} on a closed socket`));
    const p: PendingSend = { data, port: toPort, address, done };
    // Behind datagrams already waiting for the kernel, in order; the kernel takes the rest at once.
    if (pending.length === 0 && sendNow(p, true)) return;
    if (pending.length >= maxQueued) return done?.(new NetError(`cannot send to ${address}:${toPort}: ${maxQueued} datagrams already wait for the kernel`, { code: "ENOBUFS" }));
    pending.push(p);
  };
  const postMany = (datagrams: readonly OutgoingDatagram[], done?: (error?: NetError) => void): void => {
    if (datagrams.length === 0) return;
    if (closed || pending.length > 0 || datagrams.length === 1) {
      for (const d of datagrams) post(d.data, d.port, d.address, done);
      return;
    }
    const flat: (Uint8Array | number | string)[] = [];
    for (const d of datagrams) flat.push(d.data, d.port, d.address);
    let took: number;
    try {
      took = socket.sendMany(flat);
    } catch {
      // One of them was refused (and which is not known): each goes on its own, and reports its own error.
      for (const d of datagrams) post(d.data, d.port, d.address, done);
      return;
    }
    for (let i = 0; i < took; i++) done?.();
    // The kernel took only the first `took` (a full send buffer): the rest wait for drain, in order.
    for (let i = took; i < datagrams.length; i++) post(datagrams[i]!.data, datagrams[i]!.port, datagrams[i]!.address, done);
  };
  const end = async <T>(): Promise<IteratorResult<T>> => {
    await close();
    return { value: undefined, done: true };
  };

  return {
    address: bound.address,
    port: bound.port,
    get overflowed() {
      return overflowed;
    },
    get recvBufferBytes() {
      try {
        return closed ? -1 : getRecvBufferBytes(fdOf(socket));
      } catch {
        return -1;
      }
    },
    siblings,
    send: (data, toPort, address) => new Promise<void>((resolve, reject) => post(data, toPort, address, (err) => (err ? reject(err) : resolve()))),
    post,
    postMany,
    close,
    [Symbol.asyncDispose]: close,
    batches: () => ({
      [Symbol.asyncIterator]: (): AsyncIterator<readonly Datagram[]> => ({
        next: () => {
          if (queue.length > 0) return Promise.resolve({ value: queue.splice(0), done: false });
          if (closed) return Promise.resolve({ value: undefined, done: true });
          return new Promise((resolve) => (waitingBatch = resolve));
        },
        return: end,
      }),
    }),
    [Symbol.asyncIterator]: (): AsyncIterator<Datagram> => ({
      next: () => {
        const d = queue.shift();
        if (d) return Promise.resolve({ value: d, done: false });
        if (closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (waiting = resolve));
      },
      return: end,
    }),
  };
}

/** The socket's file descriptor (Bun has it; bun-types does not declare it). */
function fdOf(socket: BunUdp): number {
  return (socket as BunUdp & { readonly fd: number }).fd;
}

/** Binds one native UDP socket. @throws {NetError} with the OS's code */
async function bindSocket(address: string, port: number, reuseAddr: boolean, handler: Bun.udp.SocketHandler<"buffer">): Promise<BunUdp> {
  const options: Bun.udp.SocketOptions<"buffer"> & { flags: number } = {
    hostname: address,
    port,
    binaryType: "buffer",
    flags: LISTEN_DISALLOW_REUSE_PORT_FAILURE | (reuseAddr ? LISTEN_REUSE_ADDR : 0),
    socket: handler,
  };
  try {
    return await Bun.udpSocket(options);
  } catch (err) {
    // The errno goes in `code` (and the message); commands say what it means in their own words.
    throw netError(`cannot bind UDP ${address}:${port}`, err);
  }
}

/**
 * The interface whose siblings a unicast address needs: undefined for the wildcard, a broadcast or multicast
 * address, or an address no interface has (binding it already failed or it is not ours).
 */
function interfaceOf(address: string, interfaces: readonly Ipv4Interface[]): Ipv4Interface | undefined {
  if (address === "0.0.0.0" || address === "255.255.255.255") return undefined;
  const found = interfaces.find((i) => i.address === address);
  return found && found.broadcast !== found.address ? found : undefined;
}

/** Sockets opened by {@link openUdp}, for callers that inject their own (tests, benchmarks). */
export type OpenUdp = typeof openUdp;
