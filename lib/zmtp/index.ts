/**
 * ZeroMQ's wire protocol (ZMTP 3.0/3.1, RFC 23/37) in TypeScript: the pure codec, PUB/SUB/XPUB/XSUB sockets
 * over tcp:// and ipc://, and the XSUB/XPUB proxy. Interoperates with libzmq.
 */
export { ClosedError, EndpointError, FrameError, ProtocolError, TransportError, ZmtpError, type ProtocolErrorReason } from "./errors.ts";
export { GREETING_BYTES, ZMTP_MAJOR, ZMTP_MINOR, decodeGreeting, encodeGreeting, type Decoded, type Greeting } from "./greeting.ts";
export { FLAG_COMMAND, FLAG_LONG, FLAG_MORE, decodeFrame, decodeFrameHeader, encodeFrame, encodeMessage, type Frame, type FrameHeader } from "./frame.ts";
export {
  decodeCommand,
  decodeMetadata,
  decodeSubscription,
  encodeCommand,
  encodeMetadata,
  encodeSubscription,
  metadataText,
  type Command,
  type Metadata,
} from "./command.ts";
export { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_PARTS, ZmtpDecoder, type DecoderEvent, type DecoderOptions } from "./decoder.ts";
export { formatEndpoint, parseEndpoint, type Endpoint } from "./endpoint.ts";
export type { Connection, ConnectionHandler, Listener, Transport } from "./transport.ts";
export { bunTransport } from "./bun-transport.ts";
export type { SocketType } from "./session.ts";
export { DEFAULT_MAX_TOPICS_PER_PEER, type SocketOptions } from "./socket-options.ts";
export { ZmtpSocket, type SocketEvent, type SocketStats } from "./socket.ts";
export { systemClock, type Timer, type ZmtpClock } from "./clock.ts";
export { PubSocket, XPubSocket, type OutgoingMessage } from "./pub.ts";
export type { ReceivedMessage } from "./_receiving.ts";
export { SubSocket, XSubSocket } from "./sub.ts";
export { runProxy, type ProxyOptions, type ProxyStats } from "./proxy.ts";
