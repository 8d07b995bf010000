/** A raw TCP client for feeding hand-made bytes to a disco socket in tests (node:net so it can pause). */
import { connect, type Socket } from "node:net";
import { parseEndpoint } from "../../lib/zmtp/index.ts";
import { Changes } from "../_lines.ts";

/** A connected raw client. */
export class RawClient implements AsyncDisposable {
  readonly socket: Socket;
  received = new Uint8Array(0);
  ended = false;
  readonly #changes = new Changes();

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (d: Buffer) => {
      const n = new Uint8Array(this.received.length + d.length);
      n.set(this.received);
      n.set(d, this.received.length);
      this.received = n;
      this.#changes.notify();
    });
    socket.on("close", () => {
      this.ended = true;
      this.#changes.notify();
    });
    socket.on("error", () => {});
  }

  /**
   * Connects to `tcp://host:port`.
   * @param options `localAddress`: the source address (any 127.x.y.z on loopback), to act as another host
   */
  static open(endpoint: string, options: { localAddress?: string } = {}): Promise<RawClient> {
    const ep = parseEndpoint(endpoint);
    if (ep.transport !== "tcp") throw new Error(`RawClient speaks tcp only, got ${endpoint}`);
    return new Promise((resolve, reject) => {
      const s = connect({ host: ep.host, port: ep.port, ...(options.localAddress && { localAddress: options.localAddress }) }, () => resolve(new RawClient(s)));
      s.once("error", reject);
    });
  }

  /** Waits until `check()` holds (re-checked on data and close) or `timeoutMs` passes. */
  async until(check: () => boolean, timeoutMs = 5000): Promise<void> {
    await this.#changes.until(check, { timeoutMs, failure: () => "timed out waiting on raw client" });
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.socket.destroy();
  }
}
