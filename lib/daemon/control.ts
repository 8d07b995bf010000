/**
 * The control socket's I/O (node:net over a unix stream socket): the daemon's server and the commands'
 * client. The protocol itself is the pure codec in control-codec.ts. The server never lets one client stall
 * the daemon: a request must arrive within the idle timeout, lines are bounded, clients are counted, and a
 * client that does not read what it asked for is dropped.
 */
import { chmodSync, lstatSync, mkdirSync, unlinkSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import {
  decodeEvent,
  decodeLine,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  errorResponse,
  MAX_CONTROL_LINE_BYTES,
  type ControlRequest,
  type ControlResponse,
} from "./control-codec.ts";
import { ControlError, ControlProtocolError, errorMessage } from "./errors.ts";

/** Options for {@link openControlServer}. */
export interface ControlServerOptions {
  /** The socket's path. */
  path: string;
  /** Answers one request with its result (thrown errors become "internal" error responses). */
  handle(request: ControlRequest): Promise<unknown>;
  /** Events after a watching request's response (`hosts` with `watch`), until the signal aborts. */
  watch?(request: ControlRequest, signal: AbortSignal): AsyncIterable<unknown>;
  /** A client that sends no complete request for this long gets a timeout error and is closed. @default 10000 */
  idleTimeoutMs?: number;
  /** Clients at once; more are refused at once. @default 32 */
  maxClients?: number;
  /** Bytes queued to a slow client (a watch it does not read) before it is dropped. @default 1048576 */
  maxQueuedBytes?: number;
  /** The socket file's mode. @default 0o660 */
  mode?: number;
}

/** A listening control socket. */
export interface ControlServer extends AsyncDisposable {
  readonly path: string;
  /** Stops listening, ends every client and removes the socket file. Idempotent. */
  close(): Promise<void>;
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/** Whether something answers on `path` (false for a stale socket file nobody listens on). */
function probe(path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(path);
    const done = (answered: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(answered);
    };
    // A socket that accepts but is too busy to answer in time is still somebody's.
    const timer = setTimeout(() => done(true), timeoutMs);
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

/**
 * Listens on the control socket. A socket file left by a killed daemon is removed first; a live one is not.
 * @throws {ControlError} when another process answers on the path, the path is not a socket, or listening
 *   fails (errno in `errno`)
 */
export async function openControlServer(o: ControlServerOptions): Promise<ControlServer> {
  const path = o.path;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
  } catch (err) {
    throw new ControlError(`cannot create the directory of the control socket ${path}: ${errnoOf(err) ?? errorMessage(err)}`, { cause: err, ...(errnoOf(err) && { errno: errnoOf(err)! }) });
  }
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    stat = undefined;
  }
  if (stat) {
    if (!stat.isSocket()) throw new ControlError(`${path} exists and is not a socket; remove it or set [daemon] control_socket`);
    if (await probe(path, 1000)) throw new ControlError(`another daemon answers on ${path} (disco status --socket ${path})`, { errno: "EADDRINUSE" });
    unlinkSync(path);
  }
  const idleMs = o.idleTimeoutMs ?? 10_000;
  const maxClients = o.maxClients ?? 32;
  const maxQueued = o.maxQueuedBytes ?? 1_048_576;
  /** Every connection until it is closed, refused ones too: close() destroys what is left. */
  const open = new Set<Socket>();
  let serving = 0;
  const stop = new AbortController();
  // Half-open: a client may end its side right after its request (`socat`, `nc -N`) and still get the answer.
  // Our side ends with endAndDestroy(), so a client that never ends its own cannot keep a connection (and
  // the daemon's stop) waiting.
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
    socket.on("error", () => undefined);
    if (serving >= maxClients) {
      endAndDestroy(socket, encodeResponse({ ok: false, error: { code: "busy", message: `too many clients (${maxClients}); try again` } }));
      return;
    }
    serving++;
    serveClient(socket, o, { idleMs, maxQueued, signal: stop.signal }).finally(() => {
      serving--;
      endAndDestroy(socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  }).catch((err: unknown) => {
    throw new ControlError(`cannot listen on the control socket ${path}: ${errnoOf(err) ?? errorMessage(err)}`, { cause: err, ...(errnoOf(err) && { errno: errnoOf(err)! }) });
  });
  server.on("error", () => undefined);
  try {
    chmodSync(path, o.mode ?? 0o660);
  } catch (err) {
    server.close();
    throw new ControlError(`cannot set the mode of the control socket ${path}: ${errnoOf(err) ?? errorMessage(err)}`, { cause: err });
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      stop.abort();
      server.close(() => resolve());
      for (const c of open) c.destroy();
    }).then(() => {
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    }));
  return { path, close, [Symbol.asyncDispose]: close };
}

async function serveClient(socket: Socket, o: ControlServerOptions, x: { idleMs: number; maxQueued: number; signal: AbortSignal }): Promise<void> {
  const ended = new AbortController();
  const signal = AbortSignal.any([x.signal, ended.signal]);
  let buffer = new Uint8Array(0);
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  socket.on("data", (chunk: Buffer) => {
    const next = new Uint8Array(buffer.length + chunk.length);
    next.set(buffer);
    next.set(chunk, buffer.length);
    buffer = next;
    poke();
  });
  const finish = () => {
    ended.abort();
    poke();
  };
  socket.on("end", finish);
  socket.on("close", finish);
  socket.on("error", finish);
  const write = (bytes: Uint8Array): boolean => {
    if (socket.destroyed) return false;
    if (socket.writableLength > x.maxQueued) {
      socket.destroy();
      return false;
    }
    socket.write(bytes);
    return true;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    for (;;) {
      let found: { line: Uint8Array; next: number } | undefined;
      try {
        found = decodeLine(buffer);
      } catch (err) {
        if (err instanceof ControlProtocolError) write(encodeResponse(errorResponse(err)));
        break;
      }
      if (!found) {
        if (signal.aborted) break;
        // Wait for more bytes, the end, or the idle deadline.
        let timedOut = false;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(() => {
            timedOut = true;
            resolve();
          }, x.idleMs);
        });
        clearTimeout(timer);
        if (timedOut) {
          write(encodeResponse({ ok: false, error: { code: "timeout", message: `no complete request within ${x.idleMs} ms` } }));
          break;
        }
        continue;
      }
      buffer = buffer.slice(found.next);
      let request: ControlRequest;
      try {
        request = decodeRequest(found.line);
      } catch (err) {
        if (!(err instanceof ControlProtocolError)) throw err;
        if (!write(encodeResponse(errorResponse(err)))) break;
        continue;
      }
      let response: ControlResponse;
      try {
        response = { ok: true, ...(request.id !== undefined && { id: request.id }), result: await o.handle(request) };
      } catch (err) {
        response = { ok: false, ...(request.id !== undefined && { id: request.id }), error: { code: "internal", message: errorMessage(err) } };
      }
      if (!write(encodeResponse(response))) break;
      if (request.watch && response.ok && o.watch) {
        for await (const event of o.watch(request, signal)) if (!write(encodeResponse({ event }))) break;
        break;
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Ends our side (after `last`, if given) and closes the connection once the client has ended its side too,
 * or after a second at most: with allowHalfOpen, end() alone would leave it open for as long as the client
 * likes. What the client still sends meanwhile is read and dropped, so its writes do not fail before it has
 * read our last line.
 */
function endAndDestroy(socket: Socket, last?: Uint8Array): void {
  if (socket.destroyed) return;
  const done = () => socket.destroy();
  const timer = setTimeout(done, 1000);
  socket.once("close", () => clearTimeout(timer));
  socket.removeAllListeners("data");
  socket.on("data", () => undefined);
  // Closed once both hold: what we wrote is sent ("finish"), and the client has ended its side.
  let waiting = 2;
  const half = () => {
    if (--waiting === 0) done();
  };
  if (socket.readableEnded) half();
  else socket.once("end", half);
  if (last) socket.end(last, half);
  else socket.end(half);
}

/** Options for {@link requestControl}. */
export interface RequestControlOptions {
  /** Give up after this long. @default 5000 */
  timeoutMs?: number;
  signal?: AbortSignal;
}

function unreachable(path: string, err: unknown): ControlError {
  const errno = errnoOf(err);
  const why =
    errno === "ENOENT" || errno === "ECONNREFUSED"
      ? "no daemon answers"
      : errno === "EACCES" || errno === "EPERM"
        ? "permission denied (run as the daemon's user or a member of its group)"
        : (errno ?? errorMessage(err));
  return new ControlError(`${why} on ${path}`, { cause: err, ...(errno !== undefined && { errno }) });
}

/** Reads lines from a socket as they come. */
async function* linesOf(socket: Socket, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  let buffer = new Uint8Array(0);
  const chunks: Buffer[] = [];
  let done = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  socket.on("data", (c: Buffer) => {
    chunks.push(c);
    poke();
  });
  socket.on("end", () => {
    done = true;
    poke();
  });
  socket.on("error", (err) => {
    failure = err;
    done = true;
    poke();
  });
  socket.on("close", () => {
    done = true;
    poke();
  });
  const onAbort = () => poke();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (;;) {
      while (chunks.length) {
        const c = chunks.shift()!;
        const next = new Uint8Array(buffer.length + c.length);
        next.set(buffer);
        next.set(c, buffer.length);
        buffer = next;
      }
      let found;
      while ((found = decodeLine(buffer, 0, MAX_CONTROL_LINE_BYTES))) {
        yield found.line;
        buffer = buffer.slice(found.next);
      }
      if (signal.aborted) throw new ControlError("timed out waiting for the daemon's answer", { cause: signal.reason, errno: "ETIMEDOUT" });
      if (failure) throw failure;
      if (done) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

async function connect(path: string, signal: AbortSignal): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    const onAbort = () => {
      s.destroy();
      reject(new ControlError(`timed out connecting to ${path}`, { errno: "ETIMEDOUT" }));
    };
    signal.addEventListener("abort", onAbort, { once: true });
    s.once("connect", () => {
      signal.removeEventListener("abort", onAbort);
      resolve(s);
    });
    s.once("error", (err) => {
      signal.removeEventListener("abort", onAbort);
      reject(unreachable(path, err));
    });
  });
}

/**
 * Sends one request and reads its response.
 * @throws {ControlError} when no daemon answers (errno ENOENT / ECONNREFUSED), access is denied, it times
 *   out, or the answer is not a response
 */
export async function requestControl(path: string, request: ControlRequest, o: RequestControlOptions = {}): Promise<ControlResponse> {
  const signal = AbortSignal.any([AbortSignal.timeout(o.timeoutMs ?? 5000), ...(o.signal ? [o.signal] : [])]);
  const socket = await connect(path, signal);
  try {
    socket.write(encodeRequest(request));
    for await (const line of linesOf(socket, signal)) return decodeResponse(line);
    throw new ControlError(`the daemon on ${path} closed the connection without answering`);
  } catch (err) {
    if (err instanceof ControlProtocolError) throw new ControlError(`the daemon on ${path} answered something that is not a response (${err.message})`, { cause: err });
    throw err;
  } finally {
    socket.destroy();
  }
}

/**
 * Sends a watching request: its response, then every event until `signal` aborts or the daemon closes.
 * @throws {ControlError} as {@link requestControl}
 */
export async function watchControl(path: string, request: ControlRequest, o: { signal: AbortSignal; timeoutMs?: number }): Promise<{ response: ControlResponse; events: AsyncIterable<unknown> }> {
  const first = AbortSignal.any([AbortSignal.timeout(o.timeoutMs ?? 5000), o.signal]);
  const socket = await connect(path, first);
  socket.write(encodeRequest({ ...request, watch: true }));
  const stream = new AbortController();
  const lines = linesOf(socket, AbortSignal.any([stream.signal, o.signal]));
  // Until the response arrives the timeout applies; after it, only the caller's signal.
  const timer = first.aborted ? undefined : setTimeout(() => stream.abort(), o.timeoutMs ?? 5000);
  let head: IteratorResult<Uint8Array>;
  try {
    head = await lines.next();
  } catch (err) {
    socket.destroy();
    throw err;
  } finally {
    clearTimeout(timer);
  }
  if (head.done) {
    socket.destroy();
    throw new ControlError(`the daemon on ${path} closed the connection without answering`);
  }
  const response = decodeResponse(head.value);
  async function* events(): AsyncGenerator<unknown> {
    try {
      for (;;) {
        let r: IteratorResult<Uint8Array>;
        try {
          r = await lines.next();
        } catch (err) {
          if (o.signal.aborted) return;
          throw err;
        }
        if (r.done) return;
        yield decodeEvent(r.value).event;
      }
    } finally {
      socket.destroy();
    }
  }
  return { response, events: events() };
}
