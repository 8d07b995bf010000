/**
 * The real-socket adapter: TCP (IPv4/IPv6) and Unix domain sockets through `Bun.listen` / `Bun.connect`.
 * The only file of `lib/zmtp` that touches the operating system.
 */
import { existsSync, unlinkSync } from "node:fs";
import type { Socket, SocketHandler } from "bun";
import type { Endpoint } from "./endpoint.ts";
import { formatEndpoint } from "./endpoint.ts";
import { TransportError } from "./errors.ts";
import type { Connection, ConnectionHandler, Listener, Transport } from "./transport.ts";

interface State {
  handler?: ConnectionHandler;
  done: boolean;
  remote: string;
}

function wrap(socket: Socket<State>): Connection {
  return {
    write(bytes) {
      const n = socket.write(bytes);
      return n > 0 ? n : 0;
    },
    close() {
      socket.end();
    },
    get remote() {
      return socket.data.remote;
    },
  };
}

function finish(socket: Socket<State>, error?: unknown): void {
  const st = socket.data;
  if (st.done) return;
  st.done = true;
  st.handler?.closed(error);
}

function handlers(onOpen: (socket: Socket<State>) => void): SocketHandler<State> {
  return {
    open: onOpen,
    data(socket, chunk) {
      if (!socket.data.done) socket.data.handler?.data(chunk);
    },
    drain(socket) {
      if (!socket.data.done) socket.data.handler?.drain();
    },
    end(socket) {
      socket.end();
      finish(socket);
    },
    close(socket, error) {
      finish(socket, error);
    },
    error(socket, error) {
      finish(socket, error);
    },
  };
}

async function unixSocketAlive(path: string): Promise<boolean> {
  try {
    const s = await Bun.connect({ unix: path, socket: { data() {}, error() {}, connectError() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}

function code(err: unknown): string | undefined {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === "string" ? c : undefined;
}

/** The transport over real sockets. */
export const bunTransport: Transport = {
  async listen(endpoint, accept) {
    const socket = handlers((s) => {
      s.data = { done: false, remote: endpoint.transport === "ipc" ? endpoint.path : `${s.remoteAddress}` };
      s.data.handler = accept(wrap(s));
    });
    try {
      if (endpoint.transport === "ipc") {
        // libzmq removes a stale socket file before binding. We first make sure it is stale: a socket that
        // still accepts belongs to a running process (another proxy), and taking it over would cut that one off.
        if (existsSync(endpoint.path)) {
          if (await unixSocketAlive(endpoint.path)) {
            throw Object.assign(new Error(`another process is listening on ${endpoint.path}`), { code: "EADDRINUSE" });
          }
          try {
            unlinkSync(endpoint.path);
          } catch {
            // gone meanwhile: fine
          }
        }
        const l = Bun.listen<State>({ unix: endpoint.path, socket });
        return listener(l, endpoint);
      }
      const l = Bun.listen<State>({ hostname: endpoint.host, port: endpoint.port, socket });
      return listener(l, { ...endpoint, port: l.port });
    } catch (err) {
      throw new TransportError(`cannot bind ${formatEndpoint(endpoint)}: ${(err as Error).message ?? err}`, formatEndpoint(endpoint), {
        cause: err,
        code: code(err),
      });
    }
  },

  async connect(endpoint, open) {
    const remote = endpoint.transport === "ipc" ? endpoint.path : formatEndpoint(endpoint).slice(6);
    const socket: SocketHandler<State> = {
      ...handlers((s) => {
        s.data = { done: false, remote };
        s.data.handler = open(wrap(s));
      }),
      connectError(_s, error) {
        void error;
      },
    };
    try {
      const s =
        endpoint.transport === "ipc"
          ? await Bun.connect<State>({ unix: endpoint.path, socket })
          : await Bun.connect<State>({ hostname: endpoint.host, port: endpoint.port, socket });
      return wrap(s);
    } catch (err) {
      throw new TransportError(`cannot connect to ${formatEndpoint(endpoint)}: ${(err as Error).message ?? err}`, formatEndpoint(endpoint), {
        cause: err,
        code: code(err),
      });
    }
  },
};

function listener(l: { stop(closeActive?: boolean): void }, endpoint: Endpoint): Listener {
  let closed = false;
  return {
    endpoint,
    close() {
      if (closed) return;
      closed = true;
      l.stop(false);
      if (endpoint.transport === "ipc") {
        try {
          unlinkSync(endpoint.path);
        } catch {
          // already gone
        }
      }
    },
  };
}
