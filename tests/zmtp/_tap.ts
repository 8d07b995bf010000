/**
 * A Transport wrapper for tests: decodes both directions of every connection a socket opens and counts the
 * ZMTP commands (PING, PONG, ...), so a test waits for heartbeats to happen instead of sleeping.
 */
import { bunTransport, ZmtpDecoder, type Connection, type ConnectionHandler, type Transport } from "../../lib/zmtp/index.ts";
import { Changes } from "../_lines.ts";

/** Which way a command went, seen from the disco socket. */
export type Direction = "sent" | "received";

/** Counts the commands crossing a transport; pass {@link CommandTap.transport} in the socket's options. */
export class CommandTap {
  readonly transport: Transport;
  readonly #counts = { sent: new Map<string, number>(), received: new Map<string, number>() };
  readonly #changes = new Changes();

  /** @param inner the transport that does the I/O (default bunTransport) */
  constructor(inner: Transport = bunTransport) {
    const tap = (conn: Connection, make: (tapped: Connection) => ConnectionHandler): { conn: Connection; handler: ConnectionHandler } => {
      const sent = this.#decoder("sent");
      const received = this.#decoder("received");
      const tapped: Connection = {
        get remote() {
          return conn.remote;
        },
        write: (bytes) => {
          const n = conn.write(bytes);
          sent(bytes.subarray(0, n));
          return n;
        },
        close: () => conn.close(),
      };
      const handler = make(tapped);
      return {
        conn: tapped,
        handler: {
          data: (chunk) => {
            received(chunk);
            handler.data(chunk);
          },
          drain: () => handler.drain(),
          closed: (error) => handler.closed(error),
        },
      };
    };
    this.transport = {
      listen: (endpoint, accept) => inner.listen(endpoint, (conn) => tap(conn, accept).handler),
      connect: async (endpoint, open) => {
        let tapped: Connection | undefined;
        const conn = await inner.connect(endpoint, (c) => {
          const t = tap(c, open);
          tapped = t.conn;
          return t.handler;
        });
        return tapped ?? conn;
      },
    };
  }

  /** How many `name` commands (e.g. "PING") went `direction` so far, over every connection. */
  count(direction: Direction, name: string): number {
    return this.#counts[direction].get(name) ?? 0;
  }

  /**
   * Waits until at least `n` `name` commands went `direction`.
   * @throws Error after `timeoutMs` with the counts so far
   */
  async waitFor(direction: Direction, name: string, n: number, timeoutMs = 10_000): Promise<void> {
    await this.#changes.until(() => this.count(direction, name) >= n, {
      timeoutMs,
      failure: () => `timed out waiting for ${n} ${name} ${direction}; sent ${JSON.stringify([...this.#counts.sent])} received ${JSON.stringify([...this.#counts.received])}`,
    });
  }

  /** A feed for one direction of one connection; stops decoding (never throws) at the first bad byte. */
  #decoder(direction: Direction): (bytes: Uint8Array) => void {
    const decoder = new ZmtpDecoder();
    let broken = false;
    const counts = this.#counts[direction];
    return (bytes) => {
      if (broken || bytes.length === 0) return;
      try {
        for (const e of decoder.feed(bytes)) if (e.type === "command") counts.set(e.command.type, (counts.get(e.command.type) ?? 0) + 1);
      } catch {
        broken = true;
      }
      this.#changes.notify();
    };
  }
}
