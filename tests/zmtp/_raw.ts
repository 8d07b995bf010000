/** A raw TCP client for feeding hand-made bytes to a disco socket in tests (node:net so it can pause). */
import { connect, type Socket } from "node:net";
import { encodeCommand, encodeFrame, encodeGreeting, parseEndpoint, ZmtpDecoder } from "../../lib/zmtp/index.ts";
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

const te = new TextEncoder();

/** One command frame. */
export function commandFrame(c: Parameters<typeof encodeCommand>[0]): Uint8Array {
  return encodeFrame(encodeCommand(c), { command: true });
}

/** The frames joined. */
export function joinFrames(parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** A raw peer's opening: greeting, then READY as a SUB. */
export const SUB_HELLO = joinFrames([encodeGreeting(), commandFrame({ type: "READY", metadata: [["Socket-Type", te.encode("SUB")]] })]);

/** A PING whose PONG proves everything sent before it was handled. */
export const PING_MARK = commandFrame({ type: "PING", ttlDs: 0, context: te.encode("end") });

/** Greeting, READY as a SUB, one SUBSCRIBE per topic, then {@link PING_MARK}. */
export function subscriberBytes(topics: readonly (string | Uint8Array)[]): Uint8Array {
  return joinFrames([SUB_HELLO, ...topics.map((t) => commandFrame({ type: "SUBSCRIBE", topic: typeof t === "string" ? te.encode(t) : t })), PING_MARK]);
}

/** How many PONGs the raw client received (0 when what it got does not decode). */
export function pongCount(raw: RawClient): number {
  try {
    return new ZmtpDecoder().feed(raw.received).filter((e) => e.type === "command" && e.command.type === "PONG").length;
  } catch {
    return 0;
  }
}
