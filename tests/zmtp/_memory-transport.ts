/**
 * An in-memory Transport for the contract suite: listeners and connections live in one object (no global
 * registry), bytes are delivered on a microtask, and every write is taken whole.
 */
import { formatEndpoint, TransportError, type Connection, type ConnectionHandler, type Endpoint, type Listener, type Transport } from "../../lib/zmtp/index.ts";

interface End {
  handler?: ConnectionHandler;
  peer?: End;
  closed: boolean;
  remote: string;
}

function connection(me: End): Connection {
  return {
    write(bytes) {
      if (me.closed || !me.peer || me.peer.closed) return 0;
      const copy = bytes.slice();
      const peer = me.peer;
      queueMicrotask(() => {
        if (!peer.closed) peer.handler?.data(copy);
      });
      return bytes.length;
    },
    close() {
      for (const end of [me, me.peer]) {
        if (!end || end.closed) continue;
        end.closed = true;
        queueMicrotask(() => end.handler?.closed());
      }
    },
    get remote() {
      return me.remote;
    },
  };
}

/** Creates a fresh in-memory network. */
export function memoryTransport(): Transport {
  const listening = new Map<string, (conn: Connection) => ConnectionHandler>();
  let nextPort = 1000;
  let nextClient = 50000;
  return {
    async listen(endpoint, accept): Promise<Listener> {
      const ep: Endpoint = endpoint.transport === "tcp" && endpoint.port === 0 ? { ...endpoint, port: nextPort++ } : endpoint;
      const key = formatEndpoint(ep);
      if (listening.has(key)) throw new TransportError(`cannot bind ${key}: address in use`, key, { code: "EADDRINUSE" });
      listening.set(key, accept);
      return {
        endpoint: ep,
        close() {
          if (listening.get(key) === accept) listening.delete(key);
        },
      };
    },
    async connect(endpoint, open): Promise<Connection> {
      const key = formatEndpoint(endpoint);
      const accept = listening.get(key);
      if (!accept) throw new TransportError(`cannot connect to ${key}: refused`, key, { code: "ECONNREFUSED" });
      const client: End = { closed: false, remote: key };
      const server: End = { closed: false, remote: `memory:${nextClient++}` };
      client.peer = server;
      server.peer = client;
      server.handler = accept(connection(server));
      client.handler = open(connection(client));
      return connection(client);
    },
  };
}
