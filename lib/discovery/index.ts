/** Discovery: the query/answer protocol of disco-server / disco-client (codec, responder, client, legacy). */
export { FrameError, ProtocolError, type ProtocolReason } from "./errors.ts";
export {
  CHANNEL_ID_BYTES,
  FLAG_SEALED,
  FRAME_TYPE,
  HEADER_BYTES,
  KEY_ID_BYTES,
  MARKER,
  MAX_BODY_BYTES,
  MAX_FRAME_BYTES,
  NONCE_BYTES,
  TAG_BYTES,
  VERSION,
  bytesEqual,
  decodeDatagram,
  decodeFrame,
  decodeHeader,
  encodeFrame,
  encodeHeader,
  toHex,
  type Decoded,
  type Frame,
  type FrameHeader,
  type FrameType,
  type HeaderFields,
} from "./frame.ts";
export {
  ERROR_CODE,
  ERROR_PAYLOAD_BYTES,
  MAX_DESCRIPTION_BYTES,
  QUERY_ID_BYTES,
  QUERY_PAYLOAD_BYTES,
  decodeAnswer,
  decodeError,
  decodeQuery,
  describeErrorCode,
  encodeAnswer,
  encodeAnswerJson,
  encodeDescription,
  encodeError,
  encodeQuery,
  toSelfDescription,
  type AnswerPayload,
  type ErrorCode,
  type ErrorPayload,
  type GpioLineInfo,
  type HostInterfaces,
  type QueryPayload,
  type SelfDescription,
} from "./payload.ts";
export { openFrame, sealFrame, type Opened, type SealOptions } from "./envelope.ts";
export { describeHost, type DescribeOptions } from "./describe.ts";
export { RateLimiter, type RateLimiterOptions } from "./rate-limit.ts";
export {
  DROP_REASONS,
  Responder,
  runResponder,
  type Decision,
  type DropReason,
  type Handled,
  type LegacyResponderOptions,
  type ResponderCounters,
  type ResponderOptions,
  type RunResponderOptions,
} from "./responder.ts";
export {
  discover,
  type ClientDropReason,
  type ClientEvent,
  type DiscoverOptions,
  type DiscoverResult,
  type FoundHost,
  type LegacyClientOptions,
  type Refusal,
  type Target,
} from "./client.ts";
export {
  LEGACY_COUNTER,
  LEGACY_DEFAULT_MAGIC,
  LEGACY_MAX_AGE_MS,
  encodeLegacyAnswer,
  encodeLegacyError,
  encodeLegacyRequest,
  formatPythonFloat,
  importLegacyKey,
  legacyCrypt,
  legacyDecodeText,
  legacyKeyBytes,
  parseLegacyAnswer,
  parseLegacyRequest,
  pythonJsonDumps,
  type LegacyAnswer,
  type LegacyRequest,
} from "./legacy.ts";
// The UDP adapter lives in lib/net (shared with beacons); re-exported for existing importers.
export { openUdp, type Datagram, type OpenUdpOptions, type UdpEndpoint, type UdpEndpoint as UdpSocket } from "../net/index.ts";
export { buildKeyring, parseKeyFile, parsePasswordFile, type SecretsOptions } from "./secrets.ts";
export { serveDiscovery, type ServeDiscoveryOptions } from "./serve.ts";
